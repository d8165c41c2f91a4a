"""Pages: record a screening from the case page (a form per instrument, made from its data), continue a draft, and
the result with its band and suggested pathway (a positive AUDIT-C offers the full AUDIT, its answers carried)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp import reference
from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import load
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.errors import AppError, NotFound
from caseapp.extensions import db
from caseapp.forms import form_to_payload, merge_errors
from caseapp.ids import parse_id
from caseapp.reference import Substance
from caseapp.screenings import instruments, present, queries, services
from caseapp.screenings.clinician import SCALES
from caseapp.screenings.instruments import INSTRUMENTS, Instrument
from caseapp.screenings.models import Screening, ScreeningStatus
from caseapp.screenings.schemas import ClinicianScoreInputSchema
from caseapp.timeutil import now_utc, to_local

bp = Blueprint("screenings", __name__)
guard_blueprint(bp, Role.ADVISOR)


def _answers_from(form: MultiDict[str, str], instrument: Instrument) -> dict[str, Any]:
    """The form's answers as the service takes them: whole numbers, or the text itself (which it refuses)."""
    answers: dict[str, Any] = {}
    for item in instrument.items:
        text = (form.get(item.id) or "").strip()
        if text:
            answers[item.id] = int(text) if text.isdigit() and len(text) < 4 else text
    return answers


def _substance_from(form: MultiDict[str, str]) -> tuple[Substance | None, dict[str, list[str]]]:
    text = form.get("substance") or ""
    if not text:
        return None, {}
    try:
        return Substance(text), {}
    except ValueError:
        return None, {"substance": ["Choose a substance from the list."]}


def _form_values(screening: Screening) -> MultiDict[str, str]:
    values: MultiDict[str, str] = MultiDict({k: str(v) for k, v in screening.answers.items()})
    if screening.substance:
        values["substance"] = screening.substance.value
    return values


def _render(
    case: Case,
    instrument: Instrument,
    values: MultiDict[str, str],
    errors: dict[str, list[str]],
    message: str | None = None,
    draft: Screening | None = None,
) -> str:
    return render_template(
        "screenings/form.html",
        case=case,
        instrument=instrument,
        values=values,
        errors=errors,
        message=message,
        draft=draft,
        substances=reference.choices(Substance),
        choices={item.id: [(str(o.value), o.label) for o in item.options] for item in instrument.items},
    )


def _field_errors(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """ "answers.q3" -> "q3", the form's field names."""
    return {key.removeprefix("answers."): messages for key, messages in fields.items()}


@bp.route("/cases/<int:case_id>/screenings/new", methods=["GET", "POST"])
def new(case_id: int) -> ResponseReturnValue:
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    instrument = instruments.get(request.args.get("instrument", ""))
    if instrument is None:
        return render_template("screenings/choose.html", case=case, instruments=list(INSTRUMENTS.values()))
    if request.method == "GET":
        values: MultiDict[str, str] = MultiDict()
        earlier_id = request.args.get("carry", type=parse_id)
        if earlier_id:  # a positive AUDIT-C's answers, carried into the full AUDIT
            earlier = queries.get_screening(earlier_id)
            if earlier.case_id != case.id:
                raise NotFound("No such screening on this case.")
            services.record_view(earlier, actor=current_user)
            db.session.commit()
            values = _form_values(earlier)
        return _render(case, instrument, values, {})
    substance, errors = _substance_from(request.form)
    draft = request.form.get("action") == "draft"
    if not errors:
        try:
            screening = services.record_screening(
                case,
                instrument.code,
                _answers_from(request.form, instrument),
                substance=substance,
                draft=draft,
                actor=current_user,
            )
        except AppError as exc:
            db.session.rollback()
            return _render(case, instrument, request.form, _field_errors(exc.fields), exc.message), 422
        db.session.commit()
        flash("Draft saved." if draft else f"{instrument.code.label} recorded.", "info")
        return redirect(url_for("screenings.show", screening_id=screening.id))
    return _render(case, instrument, request.form, errors, services.NOT_VALID), 422


@bp.route("/screenings/<int:screening_id>/edit", methods=["GET", "POST"])
def edit(screening_id: int) -> ResponseReturnValue:
    """Continue a draft."""
    screening = queries.get_screening(screening_id)
    case = access.get_case_for(screening.case_id, current_user, Action.CHANGE)
    instrument = present.instrument_of(screening)
    if screening.status != ScreeningStatus.DRAFT:
        return redirect(url_for("screenings.show", screening_id=screening.id))
    if request.method == "GET":
        services.record_view(screening, actor=current_user)
        db.session.commit()
        return _render(case, instrument, _form_values(screening), {}, draft=screening)
    substance, errors = _substance_from(request.form)
    draft = request.form.get("action") == "draft"
    if not errors:
        try:
            screening = queries.lock_screening(screening_id)
            services.update_screening(
                screening,
                {item.id: None for item in instrument.items} | _answers_from(request.form, instrument),
                substance=substance,
                draft=draft,
                actor=current_user,
            )
        except AppError as exc:
            db.session.rollback()
            screening = queries.get_screening(screening_id)
            return _render(
                case, instrument, request.form, _field_errors(exc.fields), exc.message, draft=screening
            ), exc.status
        db.session.commit()
        flash("Draft saved." if draft else f"{instrument.code.label} recorded.", "info")
        return redirect(url_for("screenings.show", screening_id=screening.id))
    return _render(case, instrument, request.form, errors, services.NOT_VALID, draft=screening), 422


@bp.get("/screenings/<int:screening_id>")
def show(screening_id: int) -> ResponseReturnValue:
    screening = queries.get_screening(screening_id)
    case = access.get_case_for(screening.case_id, current_user)
    services.record_view(screening, actor=current_user)
    db.session.commit()
    instrument = present.instrument_of(screening)
    rows = []
    for item in instrument.items:
        value = screening.answers.get(item.id)
        option = item.option(value) if isinstance(value, int) else None
        rows.append((item, option))
    return render_template(
        "screenings/show.html",
        screening=screening,
        case=case,
        instrument=instrument,
        rows=rows,
        band=present.band_of(screening),
        suggestion=present.suggestion_of(screening),
        follow_up=present.follow_up_of(screening),
    )


# --- a clinician's withdrawal score -----------------------------------------------------------------------------------


def _render_clinician_form(
    case: Case, values: MultiDict[str, str], errors: dict[str, list[str]], message: str | None
) -> str:
    return render_template(
        "screenings/clinician_form.html",
        case=case,
        values=values,
        errors=errors,
        message=message,
        scales=[(s.code.value, s.code.label) for s in SCALES.values()],
        sources=[s.source for s in SCALES.values()],
    )


@bp.route("/cases/<int:case_id>/clinician-scores/new", methods=["GET", "POST"])
def new_clinician_score(case_id: int) -> ResponseReturnValue:
    """Record a COWS or CIWA-Ar total a clinician reported (the form comes back with what was typed when refused)."""
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    if request.method == "GET":
        now = to_local(now_utc()).strftime("%Y-%m-%dT%H:%M")
        return _render_clinician_form(case, MultiDict({"assessed_at": now}), {}, None)
    payload, errors = form_to_payload(request.form, ClinicianScoreInputSchema, local_datetimes=("assessed_at",))
    score = payload.get("score")
    if isinstance(score, str) and score.isdigit() and len(score) < 4:
        payload["score"] = int(score)
    message = "The score has not been saved yet."
    if not errors:
        try:
            body = load(ClinicianScoreInputSchema, payload)
            record = services.record_clinician_score(
                case,
                body["instrument"],
                body["score"],
                assessed_at=body["assessed_at"],
                clinician_name=body["clinician_name"].strip(),
                clinician_role=body["clinician_role"].strip(),
                actor=current_user,
            )
        except AppError as exc:
            db.session.rollback()
            errors, message = merge_errors(errors, exc.fields), exc.message
        else:
            db.session.commit()
            flash(f"{record.instrument.label} {record.score} recorded.", "info")
            return redirect(url_for("cases.show", case_id=case.id) + "#screenings")
    return _render_clinician_form(case, request.form, errors, message), 422
