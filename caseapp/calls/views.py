"""Pages: log a call (phone first, repeat-caller banner, autosaved draft) and the banner fragment."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp import reference
from caseapp.access import services as access
from caseapp.api import Extended, load
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.callbacks import queries as callback_queries
from caseapp.caller_flags import present as flag_present
from caseapp.caller_flags import queries as flag_queries
from caseapp.caller_flags import services as flag_services
from caseapp.callers import queries as caller_queries
from caseapp.callers import services as caller_services
from caseapp.callers.models import Caller
from caseapp.callers.phones import try_normalise, typing_state
from caseapp.calls import queries, services
from caseapp.calls.schemas import CallCreateSchema
from caseapp.cases import queries as case_queries
from caseapp.errors import AppError
from caseapp.extensions import db
from caseapp.forms import form_to_payload, merge_errors
from caseapp.ids import as_id, parse_id
from caseapp.telephony import screen_pop as telephony
from caseapp.timeutil import now_utc, to_local
from caseapp.transactions import commit_keeping_loaded

bp = Blueprint("calls", __name__, url_prefix="/calls")
guard_blueprint(bp, Role.ADVISOR)

LOCAL_DATETIMES = ("started_at", "ended_at")
NON_DATA_TYPES = [t for t in reference.CallType if t != reference.CallType.DATA]


def caller_form_values(caller: Caller) -> dict[str, str]:
    """A caller's details on record, as the log-a-call form's fields hold them (its starting point for a known
    caller; also sent with the repeat-caller banner, so the page can fill them in as the number is typed)."""
    return {
        "caller_name": caller.name or "",
        "relationship": caller.relationship.value,
        "consent_callback": "true" if caller.consent_callback else "false",
        "consent_voicemail": "true" if caller.consent_voicemail else "false",
        "consent_sms": "true" if caller.consent_sms else "false",
        "safe_to_call_notes": caller.safe_to_call_notes or "",
    }


def _known_caller() -> Caller | None:
    """The caller the page is opened for (`?case_id=` or a `?phone=` on record), audited as a read."""
    case_id = as_id(request.args.get("case_id"))
    if case_id is not None:
        case = access.get_case_for(case_id, current_user)
        caller_services.record_view(case.caller, actor=current_user)
        return case.caller
    e164 = try_normalise(request.args.get("phone"))
    if e164 is None:
        return None
    caller = caller_queries.find_caller_by_phone(e164)
    caller_services.lookup_phone_audit(caller, actor=current_user)
    return caller


def _initial_values() -> MultiDict[str, Any]:
    values: MultiDict[str, Any] = MultiDict(
        {
            "started_at": to_local(now_utc()).strftime("%Y-%m-%dT%H:%M"),
            "direction": "inbound",
            "channel": "phone",
            "relationship": "self",
        }
    )
    for key in ("phone", "case_id"):
        if request.args.get(key):
            values[key] = request.args[key]
    caller = _known_caller()
    commit_keeping_loaded()
    if caller is not None:
        for key, value in caller_form_values(caller).items():
            values[key] = value  # replaces the default (MultiDict.update would add a second value)
    draft_id = request.args.get("draft", type=parse_id)
    draft = queries.find_draft(draft_id, current_user.id) if draft_id else None
    if draft is not None:
        for key, value in draft.data.items():
            if isinstance(value, list):
                values.setlist(key, [str(v) for v in value])
            else:
                values[key] = value
        values["draft_id"] = str(draft.id)
    return values


def _flags_for(values: MultiDict[str, Any]) -> list[Extended]:
    """The flags in force for the number on the form (a screen-pop's, or one typed) and its caller, as the banner
    shows them (reasons only to those who may read the caller); showing them is audited."""
    e164 = try_normalise(values.get("phone"))
    if e164 is None:
        return []
    caller = caller_queries.find_caller_by_phone(e164)
    found = flag_queries.active_flags(caller.id if caller else None, e164)
    if not found:
        return []
    flag_services.record_flag_listing(found, actor=current_user)
    commit_keeping_loaded()
    return flag_present.shown(found, current_user, found=caller)


def _render(values: MultiDict[str, Any], errors: dict[str, list[str]], message: str | None = None) -> str:
    case_id = as_id(values.get("case_id"))
    case = access.get_case_for(case_id, current_user) if case_id is not None else None
    draft = queries.latest_draft(current_user.id) if not values.get("draft_id") else None
    return render_template(
        "calls/new.html",
        values=values,
        errors=errors,
        message=message,
        case=case,
        draft=draft,
        non_data_types=NON_DATA_TYPES,
        ref=reference,
        flags=_flags_for(values),
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    if request.method == "GET":
        return _render(_initial_values(), {})
    payload, errors = form_to_payload(request.form, CallCreateSchema, local_datetimes=LOCAL_DATETIMES)
    payload["tags"] = [tag.strip() for value in payload.get("tags", []) for tag in value.split(",") if tag.strip()]
    now = now_utc().isoformat()
    if payload.get("started_at") is None and not errors.get("started_at"):
        payload["started_at"] = now  # a form without a start time logs a call that starts and ends now
    if payload.get("ended_at") is None and not errors.get("ended_at"):
        payload["ended_at"] = now  # logged at the end of the call unless told otherwise
    if request.form.get("quick_type"):  # one-click non-data call: only type, time and (maybe) number matter
        payload = {key: payload.get(key) for key in ("phone", "started_at", "direction", "channel", "draft_id")}
        payload["call_type"] = request.form["quick_type"]
        errors = {key: value for key, value in errors.items() if key in payload}
    message = None
    if not errors:
        try:
            body = load(CallCreateSchema, payload)
            call_input = services.call_input_from(body)
            access.require_call_on(call_input, current_user)
            answered = telephony.answered_call_for_draft(body.get("draft_id"), call_input, actor=current_user)
            logged = services.log_call(call_input, actor=current_user, draft_id=body.get("draft_id"))
            telephony.link_logged_call(answered, logged.call)
        except AppError as exc:
            db.session.rollback()
            errors, message = merge_errors(errors, exc.fields), exc.message
        else:
            db.session.commit()
            if logged.case is not None:
                what = "New caller and case" if logged.created_case else "Call added to case"
                flash(f"{what} {logged.case.reference}.", "info")
                return redirect(url_for("cases.show", case_id=logged.case.id))
            flash(f"{logged.call.call_type.label} call logged.", "info")
            return redirect(url_for("calls.new"))
    return _render(request.form, errors, message), 422


@bp.get("/lookup")
def lookup() -> ResponseReturnValue:
    """The repeat-caller banner for a number as typed (an HTML fragment the log-a-call page fetches)."""
    raw = request.args.get("phone", "")
    state, e164 = typing_state(raw), try_normalise(raw)
    if e164 is None:
        return render_template("calls/_banner.html", state=state)
    caller = caller_queries.find_caller_by_phone(e164)
    caller_services.lookup_phone_audit(caller, actor=current_user)
    found_flags = flag_queries.active_flags(caller.id if caller else None, e164)
    if found_flags:
        flag_services.record_flag_listing(found_flags, actor=current_user)
    flags = flag_present.shown(found_flags, current_user, found=caller)
    commit_keeping_loaded()
    if caller is None:
        return render_template("calls/_banner.html", state="new", flags=flags)
    case = case_queries.find_open_case_for_caller(caller.id)
    return render_template(
        "calls/_banner.html",
        state="known",
        flags=flags,
        caller=caller,
        on_record=caller_form_values(caller),
        case=case,
        callbacks=callback_queries.open_callbacks_for_case(case.id) if case else [],
        calls=queries.recent_calls_for_caller(caller.id),
    )
