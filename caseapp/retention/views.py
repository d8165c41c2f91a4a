"""Page actions on the case page: place or release a legal hold (managers, admins), erase the caller (admins)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseapp.auth.access import guard_blueprint, require_role
from caseapp.auth.models import Role
from caseapp.cases import queries as case_queries
from caseapp.errors import AppError
from caseapp.extensions import db
from caseapp.retention import services

bp = Blueprint("retention", __name__)
guard_blueprint(bp, Role.MANAGER)


def _back(case_id: int) -> ResponseReturnValue:
    return redirect(url_for("cases.show", case_id=case_id) + "#data-protection")


def _refused(exc: AppError, case_id: int) -> ResponseReturnValue:
    db.session.rollback()
    details = " ".join(m for messages in exc.fields.values() for m in messages if m != exc.message)
    flash(f"{exc.message} {details}".strip(), "error")
    return _back(case_id)


@bp.post("/cases/<int:case_id>/legal-hold")
def place_hold(case_id: int) -> ResponseReturnValue:
    try:
        case = services.place_legal_hold(case_id, actor=current_user, reason=request.form.get("reason"))
    except AppError as exc:
        return _refused(exc, case_id)
    db.session.commit()
    flash(f"Legal hold placed on {case.reference}.", "info")
    return _back(case_id)


@bp.post("/cases/<int:case_id>/legal-hold/release")
def release_hold(case_id: int) -> ResponseReturnValue:
    try:
        case = services.release_legal_hold(case_id, actor=current_user, reason=request.form.get("reason"))
    except AppError as exc:
        return _refused(exc, case_id)
    db.session.commit()
    flash(f"Legal hold on {case.reference} released.", "info")
    return _back(case_id)


@bp.post("/cases/<int:case_id>/erase-caller")
@require_role(Role.ADMIN)
def erase_caller(case_id: int) -> ResponseReturnValue:
    case = case_queries.get_case(case_id)
    try:
        services.erase_caller(case.caller_id, actor=current_user, reason=request.form.get("reason"))
    except AppError as exc:
        return _refused(exc, case_id)
    db.session.commit()
    flash("The caller and all their cases have been anonymised.", "info")
    return _back(case_id)
