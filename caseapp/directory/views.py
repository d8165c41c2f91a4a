"""Pages of the treatment services directory: the list with its filter bar and a service's page (advisors and up);
adding and changing a service, confirming its beds, taking it out of use and back (managers and admins)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp.api import load
from caseapp.auth.access import guard_blueprint, require_role
from caseapp.auth.models import Role
from caseapp.callers.phones import display as display_phone
from caseapp.directory import present, queries, services
from caseapp.directory.models import (
    CommercialRelationship,
    Funding,
    Gender,
    Rating,
    Region,
    Regulator,
    ServiceType,
    TreatmentService,
)
from caseapp.directory.schemas import BedsInputSchema, ServiceInputSchema, ServicePageQuery, ServicePatchSchema
from caseapp.errors import AppError, ValidationError
from caseapp.extensions import db
from caseapp.forms import form_to_payload, merge_errors
from caseapp.reference import Substance, choices

bp = Blueprint("directory", __name__, url_prefix="/services")
guard_blueprint(bp, Role.ADVISOR)
PER_PAGE = 50
#: the form's fields as the page names them (the error summary links to them by these)
LABELS = {
    "name": "Name",
    "service_type": "Type of service",
    "region": "Region",
    "address": "Address",
    "postcode": "Postcode",
    "phone": "Phone",
    "email": "Email",
    "website": "Website",
    "regulator": "Regulator",
    "regulator_id": "Registration id",
    "rating": "Latest rating",
    "substances": "Substances treated",
    "min_age": "Youngest age taken",
    "max_age": "Oldest age taken",
    "gender": "Who it takes",
    "dual_diagnosis": "Dual diagnosis",
    "funding": "Funding accepted",
    "typical_wait_days": "Typical wait in days",
    "beds_available": "Beds free",
    "commercial_relationship": "Commercial relationship with us",
    "commercial_detail": "What the link is",
    "notes": "Notes",
}
_TEXT = ("name", "address", "postcode", "email", "website", "regulator_id", "commercial_detail", "notes")
_NUMBERS = ("min_age", "max_age", "typical_wait_days", "beds_available")
_CHOICES = ("service_type", "region", "regulator", "rating", "gender", "commercial_relationship")


def _page_context() -> dict[str, Any]:
    return {
        "labels": LABELS,
        "Substance": Substance,
        "Funding": Funding,
        "choices": choices,
        "enums": {
            "service_type": ServiceType,
            "region": Region,
            "regulator": Regulator,
            "rating": Rating,
            "gender": Gender,
            "commercial_relationship": CommercialRelationship,
        },
        "beds_text": present.beds_text,
    }


@bp.get("/")
def index() -> ResponseReturnValue:
    errors: dict[str, list[str]] = {}
    args = {k: (request.args.getlist(k) if k in ("type", "region") else v) for k, v in request.args.items() if v}
    try:
        query = load(ServicePageQuery, args)
    except AppError as exc:
        errors, query = exc.fields, load(ServicePageQuery, {})
    select = queries.select_services(
        types=query["type"],
        regions=query["region"],
        substance=query["substance"],
        funding=query["funding"],
        active=None if query["inactive"] else True,
        name=query["q"],
    )
    page = db.paginate(queries.by_name(select), page=query["page"], per_page=PER_PAGE, error_out=False)
    filters = {
        "type": [t.value for t in query["type"]],
        "region": [r.value for r in query["region"]],
        "substance": query["substance"].value if query["substance"] else "",
        "funding": query["funding"].value if query["funding"] else "",
        "q": query["q"] or "",
        "inactive": "1" if query["inactive"] else "",
    }
    pager_args = {k: request.args.getlist(k) for k in request.args if k != "page"}
    return render_template(
        "directory/list.html", page=page, filters=filters, errors=errors, pager_args=pager_args, **_page_context()
    ), (200 if not errors else 422)


@bp.get("/<int:service_id>")
def show(service_id: int) -> ResponseReturnValue:
    return _render_show(queries.get_service(service_id), MultiDict(), {})


def _render_show(
    service: TreatmentService, values: MultiDict[str, Any], errors: dict[str, list[str]], message: str | None = None
) -> str:
    return render_template(
        "directory/show.html",
        service=service,
        values=values,
        errors=errors,
        message=message,
        phone=display_phone(service.phone) if service.phone else None,
        **_page_context(),
    )


def _values_from(service: TreatmentService) -> MultiDict[str, Any]:
    values: MultiDict[str, Any] = MultiDict()
    for name in _TEXT:
        values[name] = getattr(service, name) or ""
    for name in _NUMBERS:
        number = getattr(service, name)
        values[name] = "" if number is None else str(number)
    for name in _CHOICES:
        choice = getattr(service, name)
        values[name] = choice.value if choice is not None else ""
    values["phone"] = display_phone(service.phone) if service.phone else ""
    values["dual_diagnosis"] = "true" if service.dual_diagnosis else ""
    values.setlist("substances", list(service.substances))
    values.setlist("funding", list(service.funding))
    values["version"] = str(service.version)
    return values


def _submitted(
    schema: type[ma.Schema], service: TreatmentService | None = None
) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The form as `schema` reads it, or None with the errors: each field's own, and (so that one answer lists
    everything to put right) those across the fields that were valid."""
    payload, errors = form_to_payload(request.form, schema)
    try:
        if errors:
            raise ValidationError("Some fields are not valid.", fields=errors)
        return load(schema, payload), {}
    except AppError as exc:
        errors = exc.fields
    bad = {name.split(".", 1)[0] for name in errors}
    try:
        valid = load(schema, {k: v for k, v in payload.items() if k not in bad}, partial=True)
        services.check_service(valid, service)
    except AppError as exc:
        errors = merge_errors(errors, {k: v for k, v in exc.fields.items() if k.split(".", 1)[0] not in bad})
    return None, errors


def _render_form(
    values: MultiDict[str, Any],
    errors: dict[str, list[str]],
    message: str | None = None,
    service: TreatmentService | None = None,
) -> str:
    return render_template(
        "directory/form.html", service=service, values=values, errors=errors, message=message, **_page_context()
    )


@bp.route("/new", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def new() -> ResponseReturnValue:
    if request.method == "GET":
        values: MultiDict[str, Any] = MultiDict(
            {"regulator": "none", "gender": "any", "commercial_relationship": "none"}
        )
        return _render_form(values, {})
    body, errors = _submitted(ServiceInputSchema)
    message, status = None, 422
    if body is not None:
        try:
            service = services.create_service(body, actor=current_user)
        except AppError as exc:
            db.session.rollback()
            errors, message, status = merge_errors(errors, exc.fields), exc.message, exc.status
        else:
            db.session.commit()
            flash("Service added to the directory.", "info")
            return redirect(url_for("directory.show", service_id=service.id))
    return _render_form(request.form, errors, message or "The service has not been added yet."), status


@bp.route("/<int:service_id>/edit", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def edit(service_id: int) -> ResponseReturnValue:
    service = queries.get_service(service_id)
    if request.method == "GET":
        return _render_form(_values_from(service), {}, service=service)
    body, errors = _submitted(ServicePatchSchema, service)
    message, status = None, 422
    if body is not None:
        try:
            version = body.pop("version")
            services.update_service(queries.lock_service(service_id), body, version=version, actor=current_user)
        except AppError as exc:
            db.session.rollback()
            errors, message, status = merge_errors(errors, exc.fields), exc.message, exc.status
        else:
            db.session.commit()
            flash("Changes saved.", "info")
            return redirect(url_for("directory.show", service_id=service_id))
    service = queries.get_service(service_id)
    return _render_form(request.form, errors, message or "The changes have not been saved yet.", service), status


@bp.post("/<int:service_id>/beds")
@require_role(Role.MANAGER)
def confirm_beds(service_id: int) -> ResponseReturnValue:
    payload, errors = form_to_payload(request.form, BedsInputSchema)
    try:
        if errors:
            raise ValidationError("Give the number of beds free.", fields=errors)
        if "beds_available" not in payload:
            payload["beds_available"] = None
        body = load(BedsInputSchema, payload)
        services.set_beds(queries.lock_service(service_id), body["beds_available"], actor=current_user)
    except AppError as exc:
        db.session.rollback()
        return _render_show(queries.get_service(service_id), request.form, exc.fields, exc.message), exc.status
    db.session.commit()
    flash("Beds confirmed.", "info")
    return redirect(url_for("directory.show", service_id=service_id))


@bp.post("/<int:service_id>/deactivate")
@require_role(Role.MANAGER)
def deactivate(service_id: int) -> ResponseReturnValue:
    services.deactivate_service(queries.lock_service(service_id), actor=current_user)
    db.session.commit()
    flash("Service taken out of use: it is hidden from the directory and from suggestions.", "info")
    return redirect(url_for("directory.show", service_id=service_id))


@bp.post("/<int:service_id>/reactivate")
@require_role(Role.MANAGER)
def reactivate(service_id: int) -> ResponseReturnValue:
    services.reactivate_service(queries.lock_service(service_id), actor=current_user)
    db.session.commit()
    flash("Service back in use.", "info")
    return redirect(url_for("directory.show", service_id=service_id))
