"""Rows for the telephony report's tests, written straight to the tables (the webhook that fills them in service is
tested on its own), and the report's figures worked out again in plain Python from what the test wrote."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from caseapp.auth.models import Role, User
from caseapp.callbacks.models import Callback, CallbackAttempt
from caseapp.extensions import db
from caseapp.reference import AttemptOutcome, CallbackStatus
from caseapp.telephony.models import CallOutcome, TelephonyCall
from tests import factories

LONDON = ZoneInfo("Europe/London")
_sequence = itertools.count(1)
OPEN = {CallbackStatus.SCHEDULED, CallbackStatus.IN_PROGRESS, CallbackStatus.NO_ANSWER}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def make_telephony_call(
    offered_at: datetime,
    outcome: CallOutcome = CallOutcome.ANSWERED,
    *,
    answered_after: timedelta | None = None,
    missed_after: timedelta = timedelta(seconds=30),
    withheld: bool = False,
    callback: Callback | None = None,
    logged: bool = False,
) -> TelephonyCall:
    """One call as the phone system would have left it: answered after `answered_after` (default 10 s) when the
    outcome is answered, given up on after `missed_after` when missed or voicemail; `logged` saves a call log."""
    local = offered_at.astimezone(LONDON)
    answered_at = offered_at + (answered_after or timedelta(seconds=10)) if outcome == CallOutcome.ANSWERED else None
    missed_at = offered_at + missed_after if outcome in (CallOutcome.MISSED, CallOutcome.VOICEMAIL) else None
    row = TelephonyCall(
        provider="test",
        provider_call_id=f"CA{next(_sequence):08d}",
        line="helpline",
        from_e164=None if withheld else f"+447700{next(_sequence) % 1_000_000:06d}",
        withheld=withheld,
        outcome=outcome,
        offered_at=offered_at,
        answered_at=answered_at,
        missed_at=missed_at,
        ended_at=(answered_at or missed_at or offered_at) + timedelta(minutes=5),
        callback_id=callback.id if callback else None,
        call_id=factories.make_call().id if logged else None,
        local_date=local.date(),
        local_hour=local.hour,
    )
    db.session.add(row)
    db.session.flush()
    return row


def make_missed_call_callback(status: CallbackStatus = CallbackStatus.SCHEDULED) -> Callback:
    return factories.make_callback(status=status)


def attempt(callback: Callback, at: datetime, advisor: User | None = None) -> CallbackAttempt:
    row = CallbackAttempt(
        callback_id=callback.id,
        outcome=AttemptOutcome.NO_ANSWER,
        advisor_id=(advisor or factories.make_user(role=Role.ADVISOR)).id,
        attempted_at=at,
    )
    db.session.add(row)
    db.session.flush()
    return row


# --- the figures, worked out again -----------------------------------------------------------------------------------


@dataclass
class Written:
    """What a test wrote: the calls, and each callback's status and attempt times."""

    calls: list[TelephonyCall] = field(default_factory=list)
    callbacks: dict[int, tuple[CallbackStatus, list[datetime]]] = field(default_factory=dict)

    def call(self, *args: Any, **kwargs: Any) -> TelephonyCall:
        row = make_telephony_call(*args, **kwargs)
        self.calls.append(row)
        return row

    def callback(self, status: CallbackStatus = CallbackStatus.SCHEDULED) -> Callback:
        row = make_missed_call_callback(status)
        self.callbacks[row.id] = (status, [])
        return row

    def attempt(self, callback: Callback, at: datetime) -> None:
        attempt(callback, at)
        self.callbacks[callback.id][1].append(at)


def _in(call: TelephonyCall, first: date, last: date) -> bool:
    return first <= call.offered_at.astimezone(LONDON).date() <= last


def expected_totals(written: Written, first: date, last: date) -> dict[str, int]:
    calls = [c for c in written.calls if _in(c, first, last)]
    answered = [c for c in calls if c.outcome == CallOutcome.ANSWERED]
    return {
        "offered": len(calls),
        "answered": len(answered),
        "answered_within_20s": sum(
            1 for c in answered if c.answered_at and (c.answered_at - c.offered_at).total_seconds() <= 20
        ),
        "logged": sum(1 for c in answered if c.call_id is not None),
        "missed": sum(1 for c in calls if c.outcome in (CallOutcome.MISSED, CallOutcome.VOICEMAIL)),
        "voicemail": sum(1 for c in calls if c.outcome == CallOutcome.VOICEMAIL),
    }


def expected_hours(written: Written, first: date, last: date) -> dict[int, tuple[int, int]]:
    """Hour of the day -> (offered, missed), from each call's London wall clock."""
    offered: Counter[int] = Counter()
    missed: Counter[int] = Counter()
    for c in written.calls:
        if not _in(c, first, last):
            continue
        hour = c.offered_at.astimezone(LONDON).hour
        offered[hour] += 1
        if c.outcome in (CallOutcome.MISSED, CallOutcome.VOICEMAIL):
            missed[hour] += 1
    return {hour: (offered[hour], missed[hour]) for hour in range(24)}


def expected_callbacks(written: Written, first: date, last: date) -> dict[str, int]:
    lines: Counter[str] = Counter()
    for c in written.calls:
        if not _in(c, first, last) or c.outcome not in (CallOutcome.MISSED, CallOutcome.VOICEMAIL):
            continue
        assert c.missed_at is not None
        if c.withheld:
            lines["withheld"] += 1
            continue
        if c.callback_id is None:
            lines["no_callback"] += 1
            continue
        status, attempts = written.callbacks[c.callback_id]
        after = sorted(at for at in attempts if at >= c.missed_at)
        if not after:
            lines["waiting" if status in OPEN else "never"] += 1
            continue
        waited = after[0] - c.missed_at
        if waited <= timedelta(hours=1):
            lines["within_1_hour"] += 1
        elif waited <= timedelta(hours=4):
            lines["within_4_hours"] += 1
        else:
            lines["later"] += 1
    return dict(lines)
