"""Every missed call owned: a missed or voicemail call from a number we can ring becomes a pooled callback due now.

Several missed calls from one caller (from any of their numbers) within MISSED_CALL_GROUP_MINUTES make one callback
(the later ones join it, telephony_calls.callback_id, and the callback shows how many it stands for); they are not our
failed attempts, which would close it as unreachable. A withheld number, or one with a "do not ring back" flag in
force, makes none. Calls from one caller are serialised on the caller's row (find_or_create_caller locks it), so two
missed calls at the same moment still make one callback. The callback then follows the callbacks' clocks: the reminder
to the team on shift (a pooled callback's reminder goes in-app to everyone on shift), escalation, missed.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app

from caseapp.audit.services import record_event
from caseapp.callbacks import history, workflow
from caseapp.callbacks.booking import book_missed_call_callback, suggestion_for
from caseapp.caller_flags import queries as flag_queries
from caseapp.callers import queries as caller_queries
from caseapp.callers import services as caller_services
from caseapp.cases import queries as case_queries
from caseapp.cases import services as case_services
from caseapp.extensions import db
from caseapp.telephony import queries
from caseapp.telephony.models import EventKind, TelephonyCall
from caseapp.timeutil import now_utc

logger = logging.getLogger(__name__)

ANSWERED_AFTER_ALL = "The missed call was answered after all (the phone system reported it late)."
REASONS = {EventKind.MISSED: "Missed call", EventKind.VOICEMAIL: "Missed call: voicemail left"}


def _audit(call: TelephonyCall, detail: dict[str, Any]) -> None:
    """telephony.call_missed, with what became of the call (booked, joined, withheld, do_not_ring_back)."""
    record_event("telephony.call_missed", actor_id=None, entity_type="telephony_call", entity_id=call.id, detail=detail)


def own_missed_call(call: TelephonyCall, kind: EventKind) -> None:
    """Give a missed call (outcome missed or voicemail, nobody answered) its callback, once."""
    if call.callback_id is not None or call.answered_at is not None:
        return
    number = call.from_e164
    if number is None:
        _audit(call, {"callback": "withheld"})
        return
    known = caller_queries.find_caller_by_phone(number)
    if flag_queries.ring_back_blocked(number, known.id if known else None):
        call.caller_id = known.id if known else call.caller_id
        _audit(call, {"callback": "do_not_ring_back"})
        return
    caller, _ = caller_services.find_or_create_caller(number, actor=None)  # locks the caller: one number at a time
    call.caller_id = caller.id
    window = timedelta(minutes=int(current_app.config["MISSED_CALL_GROUP_MINUTES"]))
    existing = queries.find_open_missed_call_callback(caller.id, now_utc() - window)
    if existing is not None:
        call.callback_id = existing.id
        history.record("missed_call_added", existing.id, None, telephony_call_id=call.id, event=kind.value)
        _audit(call, {"callback": "joined", "callback_id": existing.id})
        return
    case = case_queries.find_open_case_for_caller(caller.id)
    if case is None:
        case = case_services.open_case(caller, actor=None)
    callback = book_missed_call_callback(case, priority=suggestion_for(case).priority, reason=REASONS[kind])
    call.callback_id = callback.id
    _audit(call, {"callback": "booked", "callback_id": callback.id, "case_id": case.id})
    logger.info("missed call %s: callback %s booked", call.id, callback.id, extra={"callback_id": callback.id})


def answered_after_all(call: TelephonyCall) -> None:
    """An `answered` arriving after the call's `missed` (out of order): the call gave up its callback. A callback
    it made alone, not yet started or tried, is withdrawn; one other missed calls joined, or being worked, stays."""
    if call.callback_id is None:
        return
    callback_id, call.callback_id = call.callback_id, None
    db.session.flush()
    if queries.count_missed_calls(callback_id) == 0:
        workflow.withdraw_untouched(callback_id, reason=ANSWERED_AFTER_ALL)
