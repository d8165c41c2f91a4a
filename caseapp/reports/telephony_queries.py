"""The telephony report's aggregations over telephony_calls: GROUP BY in the database, one statement per figure set.

A call belongs to the period by when the phone system offered it. Every statement narrows by `local_date` first (the
Europe/London date written with the row; ix_telephony_calls_local_date_hour) and then by `offered_at` itself, so a
period given as instants is exact and a period of whole days reads only its days. Hours of the day are the stored
`local_hour`: both 01:00s of the October change are hour 1, and 29 March has no hour 1.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from caseapp.callbacks.models import OPEN_STATUSES, Callback, CallbackAttempt
from caseapp.extensions import db
from caseapp.reports.params import Period
from caseapp.telephony.models import CallOutcome, TelephonyCall

#: outcomes counted as missed (a voicemail is a missed call where the caller left a message)
MISSED_OUTCOMES = (CallOutcome.MISSED, CallOutcome.VOICEMAIL)

#: how the callback a missed call made went (the first that applies, in this order)
WITHHELD = "withheld"
NO_CALLBACK = "no_callback"
WAITING = "waiting"
NEVER = "never"
WITHIN_1_HOUR = "within_1_hour"
WITHIN_4_HOURS = "within_4_hours"
LATER = "later"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _in_period(period: Period) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        TelephonyCall.local_date.between(period.first_day, period.last_day),
        TelephonyCall.offered_at >= period.start,
        TelephonyCall.offered_at < period.end,
    )


def _at_most(later: Any, earlier: Any, seconds: int) -> sa.ColumnElement[bool]:
    """`later - earlier <= seconds`, exactly at the boundary (interval arithmetic on PostgreSQL; on SQLite the
    Julian-day difference rounded to the millisecond)."""
    if _dialect() == "sqlite":
        return sa.func.round((sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400, 3) <= seconds
    return later - earlier <= sa.literal_column(f"interval '{int(seconds)} seconds'")


def _count(*conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.count().filter(sa.and_(*conditions))


def counts_by_day(period: Period, answer_within_seconds: int) -> list[sa.Row[Any]]:
    """Per local date with calls: offered, answered, answered within the target, answered with a call log, missed
    (voicemail included) and voicemail."""
    answered = TelephonyCall.outcome == CallOutcome.ANSWERED
    statement = (
        sa.select(
            TelephonyCall.local_date.label("day"),
            sa.func.count().label("offered"),
            _count(answered).label("answered"),
            _count(
                answered,
                TelephonyCall.answered_at.is_not(None),
                _at_most(TelephonyCall.answered_at, TelephonyCall.offered_at, answer_within_seconds),
            ).label("answered_within_target"),
            _count(answered, TelephonyCall.call_id.is_not(None)).label("logged"),
            _count(TelephonyCall.outcome.in_(MISSED_OUTCOMES)).label("missed"),
            _count(TelephonyCall.outcome == CallOutcome.VOICEMAIL).label("voicemail"),
        )
        .where(*_in_period(period))
        .group_by(TelephonyCall.local_date)
        .order_by(TelephonyCall.local_date)
    )
    return list(db.session.execute(statement))


def counts_by_hour(period: Period) -> list[sa.Row[Any]]:
    """Per Europe/London hour of the day (0-23) with calls: offered, answered, missed (voicemail included) and
    voicemail."""
    statement = (
        sa.select(
            TelephonyCall.local_hour.label("hour"),
            sa.func.count().label("offered"),
            _count(TelephonyCall.outcome == CallOutcome.ANSWERED).label("answered"),
            _count(TelephonyCall.outcome.in_(MISSED_OUTCOMES)).label("missed"),
            _count(TelephonyCall.outcome == CallOutcome.VOICEMAIL).label("voicemail"),
        )
        .where(*_in_period(period))
        .group_by(TelephonyCall.local_hour)
        .order_by(TelephonyCall.local_hour)
    )
    return list(db.session.execute(statement))


def missed_call_callbacks(period: Period) -> dict[str, int]:
    """Missed calls (voicemail included) offered in the period, counted by how their callback went (the constants
    above). Each missed call is measured from its own missed_at to the first attempt on its callback made at or
    after it: the first of several missed calls sharing a callback is measured to the callback's first attempt, a
    later one to the first attempt after it rang (an attempt made before a caller rang again did not answer that
    call). No attempt since: "waiting" while the callback is open, "never" once it is closed."""
    given_up_at = sa.func.coalesce(TelephonyCall.missed_at, TelephonyCall.offered_at)
    first_attempt = (
        sa.select(sa.func.min(CallbackAttempt.attempted_at))
        .where(CallbackAttempt.callback_id == TelephonyCall.callback_id, CallbackAttempt.attempted_at >= given_up_at)
        .correlate(TelephonyCall)
        .scalar_subquery()
    )
    calls = (
        sa.select(
            TelephonyCall.withheld,
            TelephonyCall.callback_id,
            Callback.status,
            given_up_at.label("given_up_at"),
            first_attempt.label("first_attempt"),
        )
        .outerjoin(Callback, Callback.id == TelephonyCall.callback_id)
        .where(*_in_period(period), TelephonyCall.outcome.in_(MISSED_OUTCOMES))
        .subquery()
    )
    outcome = sa.case(
        (calls.c.withheld, WITHHELD),
        (calls.c.callback_id.is_(None), NO_CALLBACK),
        (sa.and_(calls.c.first_attempt.is_(None), calls.c.status.in_(OPEN_STATUSES)), WAITING),
        (calls.c.first_attempt.is_(None), NEVER),
        (_at_most(calls.c.first_attempt, calls.c.given_up_at, 3600), WITHIN_1_HOUR),
        (_at_most(calls.c.first_attempt, calls.c.given_up_at, 4 * 3600), WITHIN_4_HOURS),
        else_=LATER,
    ).label("outcome")
    statement = sa.select(outcome, sa.func.count()).group_by(outcome)
    return {row[0]: row[1] for row in db.session.execute(statement)}
