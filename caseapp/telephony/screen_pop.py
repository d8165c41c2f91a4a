"""Screen-pop: an answered call opens the log-a-call page for the advisor who took it, filled in.

The draft (calls' CallDraft, which the log-a-call page restores) holds the number, inbound by phone, and the
answered and (once known) ended times as the form shows them; a notification links to the page with the draft, where
the repeat-caller banner and the flags in force for the number appear. When the advisor saves the call, the log
takes its start and end from the phone system (link_logged_call), and an `ended` arriving afterwards fills the log's
end time if it has none.
"""

from __future__ import annotations

from datetime import datetime

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.calls.models import Call, CallDraft
from caseapp.calls.services import CallInput
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.telephony import queries
from caseapp.telephony.models import TelephonyCall
from caseapp.timeutil import to_local

NOTIFICATION_KIND = "telephony_screen_pop"
FORM_TIME = "%Y-%m-%dT%H:%M"


def draft_link(draft_id: int) -> str:
    return f"/calls/new?draft={draft_id}"


def _form_time(moment: datetime | None) -> str:
    return to_local(moment).strftime(FORM_TIME) if moment is not None else ""


def _draft_data(call: TelephonyCall) -> dict[str, str]:
    data = {
        "phone": call.from_e164 or "withheld",
        "direction": "inbound",
        "channel": "phone",
        "started_at": _form_time(call.answered_at),
        "telephony_call_id": str(call.id),
    }
    if call.ended_at is not None:
        data["ended_at"] = _form_time(call.ended_at)
    return data


def open_for_advisor(call: TelephonyCall, advisor: User) -> CallDraft:
    """The draft and the notification, once per call (the call row is locked by ingest)."""
    draft = CallDraft(advisor_id=advisor.id, data=_draft_data(call))
    db.session.add(draft)
    db.session.flush()
    call.call_draft_id = draft.id
    notifications.notify(
        [advisor.id], kind=NOTIFICATION_KIND, title="Call answered: log it now", link=draft_link(draft.id)
    )
    record_event(
        "telephony.call_answered",
        actor_id=None,
        entity_type="telephony_call",
        entity_id=call.id,
        detail={"advisor_id": advisor.id, "draft_id": draft.id, "caller_id": call.caller_id},
    )
    return draft


def fill_end(call: TelephonyCall) -> None:
    """The end is known: into the draft the advisor has not saved yet, or the log they saved without one."""
    if call.ended_at is None:
        return
    if call.call_draft_id is not None:
        draft = db.session.get(CallDraft, call.call_draft_id)
        if draft is not None and draft.data.get("ended_at") != _form_time(call.ended_at):
            draft.data = {**draft.data, "ended_at": _form_time(call.ended_at)}
    if call.call_id is not None:
        logged = db.session.get(Call, call.call_id)
        if logged is not None and logged.ended_at is None and call.ended_at >= logged.started_at:
            logged.ended_at = call.ended_at


def answered_call_for_draft(draft_id: int | None, call_input: CallInput, *, actor: User) -> TelephonyCall | None:
    """The answered call a screen-pop draft was opened for (locked), its times put on the log being saved: the
    phone system's to the second, not the form's minutes."""
    if draft_id is None:
        return None
    call = queries.find_call_for_draft(draft_id, actor.id)
    if call is None or call.answered_at is None:
        return None
    call_input.started_at = call.answered_at
    # not ended yet by the phone system's account: left empty, and filled when it says so (fill_end)
    call_input.ended_at = call.ended_at if call.ended_at is not None and call.ended_at >= call.answered_at else None
    return call


def link_logged_call(call: TelephonyCall | None, logged: Call) -> None:
    """The phone system's call now has its log (an `ended` arriving later fills the log's end: fill_end)."""
    if call is not None:
        call.call_id = logged.id
