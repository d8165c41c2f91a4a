"""Apply one telephony event: record it once, fold it into its call, and do what the call's new state asks.

Idempotent on (provider, call id, event): a repeat finds its event row there (INSERT ... ON CONFLICT DO NOTHING)
and changes nothing. Order does not matter: each field is filled commutatively (offered_at the earliest time seen,
answered_at and missed_at the earliest of their kind, ended_at the latest; a number, line or advisor once known is
kept; the outcome is the strongest seen: answered over voicemail over missed over ringing). The screen-pop opens when
the answered event is applied (once), with whatever else is known by then; the missed-call callback is opened from
the call's state, and an answered event arriving after a missed one withdraws the callback the call made alone
(missed.answered_after_all), so the call ends in the same state either way. The
call's row is locked first, so two events of one call are applied one after the other. Everything happens in the
caller's transaction: an error anywhere leaves nothing behind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from caseapp.callers import queries as caller_queries
from caseapp.calls.services import local_date_and_hour
from caseapp.extensions import db
from caseapp.telephony import missed, queries, screen_pop
from caseapp.telephony.events import EventInput
from caseapp.telephony.models import CallOutcome, EventKind, TelephonyCall, TelephonyEvent

logger = logging.getLogger(__name__)

#: the outcome an event points to, and how strongly (the strongest seen wins, in any order)
_OUTCOMES = {
    EventKind.RINGING: CallOutcome.RINGING,
    EventKind.ENDED: CallOutcome.RINGING,
    EventKind.MISSED: CallOutcome.MISSED,
    EventKind.VOICEMAIL: CallOutcome.VOICEMAIL,
    EventKind.ANSWERED: CallOutcome.ANSWERED,
}
_STRENGTH = [CallOutcome.RINGING, CallOutcome.MISSED, CallOutcome.VOICEMAIL, CallOutcome.ANSWERED]


@dataclass(frozen=True)
class Applied:
    telephony_call_id: int
    duplicate: bool


def _insert(table: Any) -> Any:
    """INSERT ... ON CONFLICT for the dialect in use."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _lock_call(event: EventInput) -> TelephonyCall:
    """The call row for (provider, call id), inserted when new, locked for the transaction. On PostgreSQL the
    no-op ON CONFLICT DO UPDATE takes the row lock whether it inserted or found the row."""
    table = cast(sa.Table, TelephonyCall.__table__)
    local_date, local_hour = local_date_and_hour(event.occurred_at)
    stmt = _insert(table).values(
        provider=event.provider,
        provider_call_id=event.provider_call_id,
        offered_at=event.occurred_at,
        local_date=local_date,
        local_hour=local_hour,
        outcome=CallOutcome.RINGING.value,
        withheld=event.from_e164 is None,
        from_e164=event.from_e164,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.provider, table.c.provider_call_id], set_={"provider": stmt.excluded.provider}
    ).returning(table.c.id)
    call_id = db.session.execute(stmt).scalar_one()
    query = sa.select(TelephonyCall).where(TelephonyCall.id == call_id).with_for_update()
    return db.session.scalars(query.execution_options(populate_existing=True)).one()


def _record_event(call: TelephonyCall, event: EventInput) -> bool:
    """True when this (provider, call id, event) is new."""
    table = cast(sa.Table, TelephonyEvent.__table__)
    stmt = (
        _insert(table)
        .values(
            telephony_call_id=call.id,
            provider=event.provider,
            provider_call_id=event.provider_call_id,
            event=event.event,
            kind=event.kind.value,
            occurred_at=event.occurred_at,
        )
        .on_conflict_do_nothing(index_elements=[table.c.provider, table.c.provider_call_id, table.c.event])
        .returning(table.c.id)
    )
    return db.session.execute(stmt).scalar_one_or_none() is not None


def _fold(call: TelephonyCall, event: EventInput) -> None:
    at = event.occurred_at
    if at < call.offered_at:
        call.offered_at = at
        call.local_date, call.local_hour = local_date_and_hour(at)
    if event.from_e164 is not None and call.from_e164 is None and call.withheld:
        # an earlier event said withheld and this one has a number (a provider filling in late): the number wins
        call.from_e164, call.withheld = event.from_e164, False
    if call.line is None and event.line:
        call.line = event.line
    if call.advisor_id is None and event.kind in (EventKind.ANSWERED, EventKind.ENDED):
        advisor = queries.find_advisor(event.advisor_id, event.advisor_extension)
        call.advisor_id = advisor.id if advisor else None
    if event.kind is EventKind.ANSWERED and (call.answered_at is None or at < call.answered_at):
        call.answered_at = at
    if event.kind is EventKind.ENDED:
        if call.ended_at is None or at > call.ended_at:
            call.ended_at = at
        if event.duration_seconds is not None:
            call.duration_seconds = event.duration_seconds
    if event.kind in (EventKind.MISSED, EventKind.VOICEMAIL) and (call.missed_at is None or at < call.missed_at):
        call.missed_at = at
    outcome = _OUTCOMES[event.kind]
    if _STRENGTH.index(outcome) > _STRENGTH.index(call.outcome):
        call.outcome = outcome


def apply_event(event: EventInput) -> Applied:
    """Record and apply one event (flushes; the caller commits)."""
    call = _lock_call(event)
    if not _record_event(call, event):
        return Applied(call.id, duplicate=True)
    _fold(call, event)
    if event.kind in (EventKind.MISSED, EventKind.VOICEMAIL):
        # before anything writes the call's caller_id: that foreign key takes a share lock on the caller's row, and
        # two missed calls each holding one while waiting for the row lock find_or_create_caller takes deadlock
        missed.own_missed_call(call, event.kind)
    if call.caller_id is None and call.from_e164 is not None:
        known = caller_queries.find_caller_by_phone(call.from_e164)
        call.caller_id = known.id if known else None
    db.session.flush()
    if event.kind is EventKind.ANSWERED:
        # once per call (the answered event is applied once); the draft then takes the end if it is known already
        advisor = queries.find_advisor(call.advisor_id, None) if call.advisor_id is not None else None
        if advisor is not None and call.call_draft_id is None and call.call_id is None:
            screen_pop.open_for_advisor(call, advisor)
        missed.answered_after_all(call)
    screen_pop.fill_end(call)
    db.session.flush()
    logger.info(
        "telephony event %s applied to call %s",
        event.kind.value,
        call.id,
        extra={"telephony_call_id": call.id, "provider": event.provider},
    )
    return Applied(call.id, duplicate=False)
