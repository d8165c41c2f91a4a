"""Pages: a case (header, actions, timeline), my cases, all open cases, the stale cases, and search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp import reference
from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import load
from caseapp.audit.services import record_listing
from caseapp.auth import queries as auth_queries
from caseapp.auth.access import guard_blueprint, require_role, safe_next
from caseapp.auth.models import Role
from caseapp.callbacks import queries as callback_queries
from caseapp.caller_flags import present as flag_present
from caseapp.caller_flags import queries as flag_queries
from caseapp.caller_flags import services as flag_services
from caseapp.caller_flags.forms import expiry_from_page
from caseapp.caller_flags.models import FlagKind
from caseapp.caller_flags.schemas import FlagLiftSchema, FlagPageSchema
from caseapp.callers import services as caller_services
from caseapp.callers.phones import try_normalise
from caseapp.callers.schemas import CallerDetailsSchema
from caseapp.cases import queries, services
from caseapp.cases import stale as stale_cases
from caseapp.cases.models import Case, parse_reference
from caseapp.cases.schemas import CasePatchSchema, StaleDaysQuery
from caseapp.cases.timeline import build_timeline
from caseapp.emergencies import queries as emergency_queries
from caseapp.emergencies import texts as emergency_texts
from caseapp.errors import AppError, NotFound, ValidationError
from caseapp.extensions import db
from caseapp.forms import form_to_payload, merge_errors
from caseapp.ids import parse_id
from caseapp.referrals import audit as referral_audit
from caseapp.referrals import queries as referral_queries
from caseapp.referrals import workflow as referral_workflow
from caseapp.safeguarding import reference as safeguarding_reference
from caseapp.screenings import queries as screening_queries
from caseapp.screenings.present import band_of
from caseapp.settings.services import flag_max_days
from caseapp.timeutil import now_utc
from caseapp.transactions import commit_keeping_loaded

bp = Blueprint("cases", __name__)
guard_blueprint(bp, Role.ADVISOR)
PER_PAGE = 50


def _render_case(
    case: Case,
    *,
    errors: dict[str, list[str]] | None = None,
    form: str | None = None,
    values: MultiDict[str, Any] | None = None,
    message: str | None = None,
) -> str:
    """The case page; every rendering shows the caller's details, so every rendering is an audited view (also the
    re-rendering after a refused change)."""
    services.record_view(case, actor=current_user)
    commit_keeping_loaded()
    caller = case.caller
    caller_values: MultiDict[str, Any] = MultiDict(
        {
            "name": caller.name or "",
            "relationship": caller.relationship.value,
            "consent_callback": "true" if caller.consent_callback else "",
            "consent_voicemail": "true" if caller.consent_voicemail else "",
            "consent_sms": "true" if caller.consent_sms else "",
            "preferred_from": caller.preferred_from.strftime("%H:%M") if caller.preferred_from else "",
            "preferred_to": caller.preferred_to.strftime("%H:%M") if caller.preferred_to else "",
            "preferred_times_note": caller.preferred_times_note or "",
            "safe_to_call_notes": caller.safe_to_call_notes or "",
        }
    )
    update_values: MultiDict[str, Any] = MultiDict(
        {
            "status": case.status.value,
            "risk_level": case.risk_level.value if case.risk_level else "",
            "assigned_advisor_id": str(case.assigned_advisor_id or ""),
            "version": str(case.version),
        }
    )
    chosen = {
        "caller": caller_values,
        "update": update_values,
        "note": MultiDict(),
        "flag": MultiDict(),
        "lift": MultiDict(),
    }
    if form and values is not None:
        chosen[form] = values
    callbacks = callback_queries.callbacks_for_case(case.id)
    caller_flags = flag_queries.active_flags(caller.id, caller.phone_e164)
    if caller_flags:
        flag_services.record_flag_listing(caller_flags, actor=current_user, caller_id=caller.id)
        commit_keeping_loaded()
    referrals = referral_queries.referrals_for_case(case.id)
    if referrals:
        referral_audit.listed(referrals, actor=current_user)
        commit_keeping_loaded()
    return render_template(
        "cases/show.html",
        alert_text=emergency_texts.describe(emergency_queries.find_latest_alert(case.id)),
        callbacks=callbacks,
        flags=callback_queries.open_flags_for_case(case.id),
        caller_flags=flag_present.shown(caller_flags, current_user, found=caller),
        flag_kinds=[(kind.value, kind.label) for kind in FlagKind],
        flag_max_days=flag_max_days(),
        case=case,
        referrals=referrals,
        referral_transitions=referral_workflow.TRANSITIONS,
        timeline=build_timeline(case.id, callbacks),
        screenings=[(s, band_of(s)) for s in screening_queries.latest_complete_per_instrument(case.id)],
        ref=reference,
        sg_ref=safeguarding_reference,
        staff_choices=[(str(u.id), u.full_name) for u in auth_queries.list_active_staff()],
        forms=chosen,
        errors=errors or {},
        error_form=form,
        message=message,
    )


@bp.get("/cases/<int:case_id>")
def show(case_id: int) -> ResponseReturnValue:
    return _render_case(access.get_case_for(case_id, current_user))


@bp.post("/cases/<int:case_id>/update")
def update(case_id: int) -> ResponseReturnValue:
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    payload, _ = form_to_payload(request.form, CasePatchSchema)
    if payload.get("assigned_advisor_id") is None:
        payload["assigned_advisor_id"] = None
    payload = {k: v for k, v in payload.items() if v is not None or k == "assigned_advisor_id"}
    try:
        body = load(CasePatchSchema, payload)
        services.update_case(case, body, expected_version=body.pop("version"), actor=current_user)
    except AppError as exc:
        db.session.rollback()
        case = queries.get_case(case_id)
        return _render_case(
            case, errors=exc.fields, form="update", values=request.form, message=exc.message
        ), exc.status
    db.session.commit()
    flash("Case updated.", "info")
    back = request.form.get("next")  # a list's inline form (the stale cases' Assign) goes back to the list
    return redirect(safe_next(back) if back else url_for("cases.show", case_id=case.id))


@bp.post("/cases/<int:case_id>/notes")
def add_note(case_id: int) -> ResponseReturnValue:
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    try:
        services.add_note(case, request.form.get("body", ""), actor=current_user)
    except AppError as exc:
        db.session.rollback()
        return _render_case(case, errors=exc.fields, form="note", values=request.form, message=exc.message), 422
    db.session.commit()
    flash("Note added.", "info")
    return redirect(url_for("cases.show", case_id=case.id) + "#timeline")


@bp.post("/cases/<int:case_id>/caller")
def update_caller(case_id: int) -> ResponseReturnValue:
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    payload, errors = form_to_payload(request.form, CallerDetailsSchema)
    try:
        body = load(CallerDetailsSchema, payload)
        # the form shows every detail: an emptied field means "remove it"
        caller_services.apply_details(case.caller, body, actor=current_user, clear=caller_services.CLEARABLE_FIELDS)
    except AppError as exc:
        db.session.rollback()
        case = queries.get_case(case_id)
        return _render_case(case, errors=exc.fields, form="caller", values=request.form, message=exc.message), 422
    db.session.commit()
    flash("Caller details saved.", "info")
    return redirect(url_for("cases.show", case_id=case.id))


#: the service's fields as the page's form names them
_FLAG_PAGE_FIELDS = {"expires_in_hours": "duration", "expires_in_days": "duration", "expires_at": "expires_date"}


@bp.post("/cases/<int:case_id>/flags")
def raise_flag(case_id: int) -> ResponseReturnValue:
    """Raise a flag on the case's caller, or on the number they rang from."""
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    payload, _ = form_to_payload(request.form, FlagPageSchema)
    try:
        body = load(FlagPageSchema, payload)
        expiry = expiry_from_page(body)
        if body["target"] == "number":
            flag_services.raise_on_number(
                case.caller.phone_e164, kind=body["kind"], reason=body["reason"], actor=current_user, **expiry
            )
        else:
            flag_services.raise_on_caller(
                case.caller, kind=body["kind"], reason=body["reason"], actor=current_user, **expiry
            )
    except AppError as exc:
        db.session.rollback()
        case = queries.get_case(case_id)
        errors = merge_errors(*({_FLAG_PAGE_FIELDS.get(k, k): v} for k, v in exc.fields.items()))
        return _render_case(case, errors=errors, form="flag", values=request.form, message=exc.message), exc.status
    db.session.commit()
    flash("Flag raised.", "info")
    return redirect(url_for("cases.show", case_id=case_id) + "#flags")


@bp.post("/cases/<int:case_id>/flags/<int:flag_id>/lift")
def lift_flag(case_id: int, flag_id: int) -> ResponseReturnValue:
    """Lift a flag on the case's caller (or their number) before its expiry."""
    case = access.get_case_for(case_id, current_user)
    flag = flag_queries.lock_flag(flag_id)
    if flag.caller_id != case.caller_id and (flag.phone_e164 is None or flag.phone_e164 != case.caller.phone_e164):
        raise NotFound("There is no such flag on this caller.")
    payload, _ = form_to_payload(request.form, FlagLiftSchema)
    try:
        flag_services.lift_flag(flag, reason=load(FlagLiftSchema, payload)["reason"], actor=current_user)
    except AppError as exc:
        db.session.rollback()
        case = queries.get_case(case_id)
        return _render_case(case, errors=exc.fields, form="lift", values=request.form, message=exc.message), exc.status
    db.session.commit()
    flash("Flag lifted.", "info")
    return redirect(url_for("cases.show", case_id=case_id) + "#flags")


@bp.get("/cases/mine")
def mine() -> ResponseReturnValue:
    query = queries.select_cases(advisor_id=current_user.id, open_only=True).order_by(
        Case.updated_at.desc(), Case.id.desc()
    )
    page = db.paginate(query, page=request.args.get("page", 1, type=parse_id), per_page=PER_PAGE, error_out=False)
    _audit_listing(page.items)
    return render_template("cases/list.html", page=page, title="My cases", endpoint="cases.mine", filters={})


@bp.get("/cases/")
@require_role(Role.MANAGER)
def all_open() -> ResponseReturnValue:
    statuses = [s for s in reference.CaseStatus if s.value in request.args.getlist("status")]
    risks = [r for r in reference.RiskLevel if r.value in request.args.getlist("risk")]
    advisor_id = request.args.get("advisor", type=parse_id)
    query = queries.select_cases(statuses=statuses, risk_levels=risks, advisor_id=advisor_id, open_only=True)
    query = query.order_by(Case.updated_at.desc(), Case.id.desc())
    page = db.paginate(query, page=request.args.get("page", 1, type=parse_id), per_page=PER_PAGE, error_out=False)
    _audit_listing(page.items)
    filters = {"status": [s.value for s in statuses], "risk": [r.value for r in risks], "advisor": advisor_id}
    return render_template(
        "cases/list.html",
        page=page,
        title="All open cases",
        endpoint="cases.all_open",
        filters=filters,
        ref=reference,
        sg_ref=safeguarding_reference,
        staff_choices=[(u.id, u.full_name) for u in auth_queries.list_active_staff()],
    )


@bp.get("/cases/stale")
@require_role(Role.MANAGER)
def stale() -> ResponseReturnValue:
    """Open cases nobody has reached for N days with no callback open, most stale first, with what to do next."""
    typed = request.args.get("days", "").strip()[:10]
    errors: dict[str, list[str]] = {}
    try:
        days = load(StaleDaysQuery, {"days": typed} if typed else {})["days"] or stale_cases.configured_days()
    except ValidationError as exc:
        errors, days = exc.fields, stale_cases.configured_days()
    page = stale_cases.stale_page(days, now_utc(), page=request.args.get("page", 1, type=parse_id), per_page=PER_PAGE)
    if page.items:  # the list shows callers' first names: which cases were shown is audited
        record_listing("case.listed", actor_id=current_user.id, entity_type="case", ids=[row.id for row in page.items])
        db.session.commit()
    return render_template(
        "cases/stale.html",
        page=page,
        days=days,
        typed=typed,
        errors=errors,
        staff_choices=[(u.id, u.full_name) for u in auth_queries.list_active_staff()],
    ), 422 if errors else 200


@dataclass(frozen=True)
class NameResults:
    """A name search's cases, shown like a page of one (a name search is narrowed by typing more, not paged)."""

    items: list[Case]
    more: bool
    too_short: bool = False
    pages: int = 1

    @property
    def total(self) -> int:
        return len(self.items)


@bp.get("/search")
def search() -> ResponseReturnValue:
    text = request.args.get("q", "").strip()[:100]
    page: Any = None
    if text:
        phone = try_normalise(text) if any(c.isdigit() for c in text) else None
        if phone is not None or parse_reference(text) is not None:
            query = queries.select_case_search(text, phone)
            page = db.paginate(
                query, page=request.args.get("page", 1, type=parse_id), per_page=PER_PAGE, error_out=False
            )
        else:
            found = queries.search_cases_by_name(text, limit=PER_PAGE, only=access.findable_clause(current_user))
            too_short = len(text) < queries.NAME_SEARCH_MIN_LENGTH
            page = NameResults(found[:PER_PAGE], more=len(found) > PER_PAGE, too_short=too_short)
        _audit_listing(page.items, action="case.searched", even_if_empty=True)
    exact = page is not None and not isinstance(page, NameResults)
    return render_template("cases/search.html", q=text, page=page, limit=PER_PAGE, exact=exact)


def _audit_listing(cases: list[Case], action: str = "case.listed", even_if_empty: bool = False) -> None:
    """A list of cases shows callers' names and numbers: which ones were shown is audited."""
    if cases or even_if_empty:
        record_listing(action, actor_id=current_user.id, entity_type="case", ids=[c.id for c in cases])
        commit_keeping_loaded()
