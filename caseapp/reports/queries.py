"""Every aggregation the reports run: GROUP BY in the database, never rows loaded into Python.

Local time: each call carries the Europe/London `local_date` and `local_hour` of its start, written with the call
(calls.services.local_date_and_hour), so day, week, month and hour-of-week buckets are plain GROUP BYs on PostgreSQL
and SQLite alike, and a call is in exactly one local day however long that day is. Hour buckets group the instant
itself (date_trunc('hour', started_at, zone) on PostgreSQL; the UTC hour on SQLite, the same for a zone whose offsets
are whole hours), so the two 01:00s of the October change stay two buckets. Functions with dialect-specific SQL keep
their SQLite form next to the PostgreSQL one.

What a call is "about" (substance, pathway, risk) comes from its case's current assessment: the latest recorded
(highest id; a correction is a new revision with a higher id, so superseded revisions never count).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from caseapp.assessments.models import Assessment
from caseapp.auth.models import User
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.db import UTCDateTime
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason
from caseapp.reports.params import Bucket, Dimension, Filters, Period
from caseapp.timeutil import local_zone, to_local

#: rows fetched at a time when a result is streamed
YIELD_PER = 2000


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# --- the current assessment of each case, and what a call is about ------------------------------------------------


def current_assessments() -> sa.Subquery:
    """(case_id, substance, pathway, risk) of each case's latest assessment revision."""
    newer = aliased(Assessment)
    return (
        sa.select(
            Assessment.case_id,
            Assessment.primary_substance.label("substance"),
            Assessment.recommended_pathway.label("pathway"),
            Assessment.risk_level.label("risk"),
        )
        .where(~sa.exists().where(newer.case_id == Assessment.case_id, newer.id > Assessment.id))
        .subquery("current_assessment")
    )


@dataclass
class _CallQuery:
    """calls, joined to what the dimension and filters need (outer joins: a call without a case still counts)."""

    query: sa.Select[Any]
    current: sa.Subquery | None = None

    @classmethod
    def build(cls, columns: Sequence[Any], period: Period, filters: Filters, dimension: Dimension | None) -> _CallQuery:
        needs_assessment = filters.substance is not None or dimension in (
            Dimension.SUBSTANCE,
            Dimension.PATHWAY,
            Dimension.RISK,
        )
        current = current_assessments() if needs_assessment else None
        key = dimension_column(dimension, current) if dimension is not None else None
        query = sa.select(*columns, *([key.label("key")] if key is not None else [])).select_from(Call)
        if current is not None:
            query = query.outerjoin(current, current.c.case_id == Call.case_id)
        if dimension == Dimension.RELATIONSHIP:
            query = query.outerjoin(Caller, Caller.id == Call.caller_id)
        query = query.where(*in_period(period), *call_filters(filters, current))
        return cls(query, current)


def dimension_column(dimension: Dimension, current: sa.Subquery | None) -> sa.ColumnElement[Any]:
    if dimension in (Dimension.SUBSTANCE, Dimension.PATHWAY, Dimension.RISK):
        assert current is not None  # noqa: S101 - built together in _CallQuery
        return current.c[dimension.value]
    columns: dict[Dimension, sa.ColumnElement[Any]] = {
        Dimension.CHANNEL: Call.channel,  # type: ignore[dict-item]
        Dimension.DIRECTION: Call.direction,  # type: ignore[dict-item]
        Dimension.ADVISOR: Call.advisor_id,  # type: ignore[dict-item]
        Dimension.RELATIONSHIP: Caller.relationship,  # type: ignore[dict-item]
    }
    return columns[dimension]


def in_period(period: Period) -> list[sa.ColumnElement[bool]]:
    """Calls that started in [start, end); the local_date bounds are implied and let the date index narrow scans."""
    return [
        Call.started_at >= period.start,
        Call.started_at < period.end,
        Call.local_date >= period.first_day,
        Call.local_date <= period.last_day,
    ]


def call_filters(filters: Filters, current: sa.Subquery | None) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.advisor_id is not None:
        conditions.append(Call.advisor_id == filters.advisor_id)
    if filters.channel is not None:
        conditions.append(Call.channel == filters.channel)
    if filters.direction is not None:
        conditions.append(Call.direction == filters.direction)
    if filters.substance is not None:
        assert current is not None  # noqa: S101 - built together in _CallQuery
        conditions.append(current.c.substance == filters.substance)
    return conditions


# --- bucketing (dialect-specific SQL, each with its SQLite form) --------------------------------------------------


def bucket_column(bucket: Bucket) -> sa.ColumnElement[Any]:
    """The bucket a call falls in: its UTC hour start (hour) or the local date its day/week/month starts on."""
    sqlite = _dialect() == "sqlite"
    if bucket == Bucket.HOUR:
        if sqlite:
            expression = sa.func.strftime("%Y-%m-%d %H:00:00", Call.started_at)
        else:
            expression = sa.func.date_trunc("hour", Call.started_at, local_zone().key)
        return sa.type_coerce(expression, UTCDateTime())
    if bucket == Bucket.DAY:
        return Call.local_date  # type: ignore[return-value]
    if bucket == Bucket.WEEK:
        if sqlite:  # the next Sunday (or this one), less six days: this week's Monday
            return sa.type_coerce(sa.func.date(Call.local_date, "weekday 0", "-6 days"), sa.Date())
        return sa.type_coerce(
            Call.local_date - (sa.cast(sa.extract("isodow", Call.local_date), sa.Integer) - 1), sa.Date()
        )
    if sqlite:
        return sa.type_coerce(sa.func.date(Call.local_date, "start of month"), sa.Date())
    return sa.type_coerce(Call.local_date - (sa.cast(sa.extract("day", Call.local_date), sa.Integer) - 1), sa.Date())


def iso_weekday_column() -> sa.ColumnElement[int]:
    """1 = Monday .. 7 = Sunday, of the call's local date."""
    if _dialect() == "sqlite":  # %w: 0 = Sunday
        return sa.cast((sa.cast(sa.func.strftime("%w", Call.local_date), sa.Integer) + 6) % 7 + 1, sa.Integer)
    return sa.cast(sa.extract("isodow", Call.local_date), sa.Integer)


def talk_seconds_column() -> sa.ColumnElement[Any]:
    """Seconds between start and end (null while a call has no end)."""
    if _dialect() == "sqlite":
        return (sa.func.julianday(Call.ended_at) - sa.func.julianday(Call.started_at)) * 86400
    return sa.extract("epoch", Call.ended_at - Call.started_at)


def local_date_of(column: sa.ColumnElement[datetime], period: Period) -> sa.ColumnElement[date]:
    """The local calendar date of a timestamp column, for tables that do not store it (callbacks).

    PostgreSQL converts with the zone; SQLite adds the UTC offset in force, from the zone's transitions in the
    period (at most a few), as a CASE."""
    if _dialect() != "sqlite":
        return sa.cast(sa.func.timezone(local_zone().key, column), sa.Date)
    offsets = _offsets(period)
    whens = [(column < edge, f"{seconds:+d} seconds") for edge, seconds in offsets[:-1]]
    modifier = sa.case(*whens, else_=f"{offsets[-1][1]:+d} seconds") if whens else f"{offsets[-1][1]:+d} seconds"
    return sa.type_coerce(sa.func.date(column, modifier), sa.Date())


def _offsets(period: Period) -> list[tuple[datetime, int]]:
    """[(until, offset seconds), ...] covering the period (the last `until` is the period's end); a week's slack
    either side for callbacks just outside it."""
    start, end = period.start - timedelta(days=7), period.end + timedelta(days=7)
    result: list[tuple[datetime, int]] = []

    def offset(moment: datetime) -> int:
        return int(to_local(moment).utcoffset().total_seconds())  # type: ignore[union-attr]

    moment, current = start, offset(start)
    while moment < end:
        following = min(moment + timedelta(hours=1), end)
        if offset(following) != current:
            result.append((following, current))
            current = offset(following)
        moment = following
    result.append((end, current))
    return result


# --- the reports -------------------------------------------------------------------------------------------------


def volume(
    period: Period, bucket: Bucket, dimension: Dimension | None, filters: Filters
) -> Iterator[tuple[Any, Any, int]]:
    """(bucket, key or None, calls) for buckets with calls, ordered by bucket."""
    bucket_key = bucket_column(bucket).label("bucket")
    built = _CallQuery.build([bucket_key, sa.func.count().label("calls")], period, filters, dimension)
    # grouped by output name: an expression repeated in GROUP BY would get its own bind parameters (PostgreSQL then
    # refuses the select list), and both dialects accept the name
    group: list[sa.ColumnElement[Any]] = [sa.literal_column("bucket")]
    if dimension is not None:
        group.append(sa.literal_column("key"))
    query = built.query.group_by(*group).order_by(sa.literal_column("bucket"))
    for row in db.session.execute(query.execution_options(yield_per=YIELD_PER)):
        yield row.bucket, (row.key if dimension is not None else None), int(row.calls)


def heatmap(period: Period, filters: Filters) -> list[tuple[int, int, int]]:
    """(ISO weekday, local hour, calls) for cells with calls."""
    weekday = iso_weekday_column().label("weekday")
    built = _CallQuery.build([weekday, Call.local_hour, sa.func.count().label("calls")], period, filters, None)
    query = built.query.group_by(sa.literal_column("weekday"), Call.local_hour)
    return [(int(w), int(h), int(n)) for w, h, n in db.session.execute(query)]


@dataclass(frozen=True)
class BreakdownRow:
    key: Any
    calls: int
    cases: int
    talk_seconds: int


def breakdown(period: Period, dimension: Dimension, filters: Filters) -> list[BreakdownRow]:
    """Calls, distinct cases and talk time per value of the dimension, most calls first."""
    calls = sa.func.count().label("calls")
    columns = [
        calls,
        sa.func.count(sa.distinct(Call.case_id)).label("cases"),
        sa.func.coalesce(sa.func.sum(talk_seconds_column()), 0).label("talk"),
    ]
    built = _CallQuery.build(columns, period, filters, dimension)
    query = built.query.group_by(sa.literal_column("key")).order_by(calls.desc())
    return [
        BreakdownRow(row.key, int(row.calls), int(row.cases), int(round(row.talk))) for row in db.session.execute(query)
    ]


def assessments_completed(period: Period, filters: Filters) -> dict[int, int]:
    """advisor id → first revisions recorded in the period (a correction is not another assessment completed).

    The advisor and substance filters apply (to the assessment); channel and direction do not (they are a call's)."""
    query = sa.select(Assessment.advisor_id, sa.func.count()).where(
        Assessment.supersedes_id.is_(None),
        Assessment.created_at >= period.start,
        Assessment.created_at < period.end,
    )
    if filters.advisor_id is not None:
        query = query.where(Assessment.advisor_id == filters.advisor_id)
    if filters.substance is not None:
        query = query.where(Assessment.primary_substance == filters.substance)
    return {int(a): int(n) for a, n in db.session.execute(query.group_by(Assessment.advisor_id))}


@dataclass(frozen=True)
class FunnelCounts:
    first_calls: int
    assessed: int
    referred: int
    admitted: int


def funnel(period: Period, filters: Filters) -> FunnelCounts:
    """Cases opened in the period (each by its first call), and how many of them have got to assessed, referred and
    admitted. The case's status says how far it got; a case closed with "treatment started" was admitted, and each
    stage includes the later ones (an admitted case was referred and assessed)."""
    current = current_assessments()
    admitted = sa.or_(Case.status == CaseStatus.ADMITTED, Case.close_reason == CloseReason.TREATMENT_STARTED)
    referred = sa.or_(Case.status == CaseStatus.REFERRED, admitted)
    assessed = sa.or_(current.c.case_id.is_not(None), Case.status == CaseStatus.ASSESSED, referred)

    def count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    query = (
        sa.select(
            sa.func.count().label("first_calls"),
            count_where(assessed).label("assessed"),
            count_where(referred).label("referred"),
            count_where(admitted).label("admitted"),
        )
        .select_from(Case)
        .outerjoin(current, current.c.case_id == Case.id)
        .where(Case.created_at >= period.start, Case.created_at < period.end)
    )
    if filters.substance is not None:
        query = query.where(current.c.substance == filters.substance)
    if filters.advisor_id is not None or filters.channel is not None or filters.direction is not None:
        earlier = aliased(Call)
        first = (
            sa.select(earlier.id)
            .where(earlier.case_id == Case.id)
            .order_by(earlier.started_at, earlier.id)
            .limit(1)
            .correlate(Case)
            .scalar_subquery()
        )
        query = query.where(sa.exists().where(Call.id == first, *call_filters(filters, None)))
    row = db.session.execute(query).one()
    return FunnelCounts(int(row.first_calls), int(row.assessed), int(row.referred), int(row.admitted))


# --- the "today" strip ----------------------------------------------------------------------------------------------


def count_calls_between(start: datetime, end: datetime) -> int:
    query = sa.select(sa.func.count()).select_from(Call).where(Call.started_at >= start, Call.started_at < end)
    return int(db.session.scalar(query) or 0)


def count_on_shift() -> int:
    """Active staff with an open shift."""
    from caseapp.shifts.models import Shift

    query = (
        sa.select(sa.func.count(sa.distinct(Shift.user_id)))
        .join(User, User.id == Shift.user_id)
        .where(Shift.ended_at.is_(None), User.is_active.is_(True))
    )
    return int(db.session.scalar(query) or 0)


def advisor_names(ids: Sequence[int]) -> dict[int, str]:
    """For the dashboard (staff only; never in an export)."""
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(list(ids)))).tuples().all())


def list_advisors() -> list[tuple[int, str]]:
    """Staff who have taken calls, for the dashboard's advisor filter."""
    taken = sa.select(Call.advisor_id).distinct().scalar_subquery()
    query = sa.select(User.id, User.full_name).where(User.id.in_(taken)).order_by(User.full_name, User.id)
    return list(db.session.execute(query).tuples())


# --- callbacks: timeliness -------------------------------------------------------------------------------------------
# A callback is judged by when it was started (first attempt) against the end of its window (due_at + window_minutes,
# or due_at when it has no window): completed and started by then is on time; completed and started after is late,
# by that many seconds. Percentiles are nearest-rank (the ceil(p*n)-th smallest), computed with window functions so
# PostgreSQL and SQLite give the same answer.


def seconds_between(later: Any, earlier: Any) -> sa.ColumnElement[Any]:
    """Seconds from `earlier` to `later` (two timestamp columns or expressions)."""
    if _dialect() == "sqlite":
        return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400
    return sa.extract("epoch", later - earlier)


@dataclass(frozen=True)
class CallbackRow:
    key: Any
    booked: int
    completed_on_time: int
    completed_late: int
    missed: int
    unreachable: int
    cancelled: int
    still_open: int
    lateness_median: int | None = None
    lateness_p90: int | None = None


def callback_timeliness(period: Period, group: str | None, filters: Filters) -> list[CallbackRow]:
    """Callbacks due in the period, counted by outcome, per `group` (None: one row; "advisor": the assignee, null
    for the pool; "day": the local date they were due)."""
    from caseapp.callbacks.models import OPEN_STATUSES, Callback
    from caseapp.reference import CallbackStatus

    window = sa.func.coalesce(Callback.window_minutes, 0) * 60
    lateness = seconds_between(Callback.started_at, Callback.due_at) - window
    completed = Callback.status == CallbackStatus.COMPLETED
    late = sa.and_(completed, lateness > 0)
    if group == "advisor":
        key: sa.ColumnElement[Any] = Callback.assignee_id  # type: ignore[assignment]
    elif group == "day":
        key = local_date_of(Callback.due_at, period)  # type: ignore[arg-type]
    else:
        key = sa.null()
    where = [Callback.due_at >= period.start, Callback.due_at < period.end]
    if filters.advisor_id is not None:
        where.append(Callback.assignee_id == filters.advisor_id)

    def count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    counts = sa.select(
        key.label("key"),
        sa.func.count().label("booked"),
        count_where(sa.and_(completed, lateness <= 0)).label("on_time"),
        count_where(late).label("late"),
        count_where(Callback.status == CallbackStatus.MISSED).label("missed"),
        count_where(Callback.status == CallbackStatus.UNREACHABLE).label("unreachable"),
        count_where(Callback.status == CallbackStatus.CANCELLED).label("cancelled"),
        count_where(Callback.status.in_(OPEN_STATUSES)).label("still_open"),
    ).where(*where)
    ranked = (
        sa.select(
            key.label("key"),
            lateness.label("lateness"),
            sa.func.row_number().over(partition_by=key, order_by=lateness).label("rank"),
            sa.func.count().over(partition_by=key).label("n"),
        )
        .where(*where, late)
        .subquery("late_callbacks")
    )
    percentiles = sa.select(
        ranked.c.key,
        sa.func.max(sa.case((ranked.c.rank == (ranked.c.n + 1) / 2, ranked.c.lateness))).label("median"),
        sa.func.max(sa.case((ranked.c.rank == (ranked.c.n * 9 + 9) / 10, ranked.c.lateness))).label("p90"),
    )
    if group is not None:
        counts = counts.group_by(sa.literal_column("key"))
        percentiles = percentiles.group_by(ranked.c.key)
    spread = {row.key: (row.median, row.p90) for row in db.session.execute(percentiles) if row.median is not None}
    rows = []
    for row in db.session.execute(counts):
        if group is None and not row.booked:
            continue
        median, p90 = spread.get(row.key, (None, None))
        rows.append(
            CallbackRow(
                row.key,
                int(row.booked),
                int(row.on_time),
                int(row.late),
                int(row.missed),
                int(row.unreachable),
                int(row.cancelled),
                int(row.still_open),
                int(round(median)) if median is not None else None,
                int(round(p90)) if p90 is not None else None,
            )
        )
    return rows


def count_callbacks_due(start: datetime, end: datetime) -> int:
    """Callbacks still to make that fall due in [start, end)."""
    from caseapp.callbacks.models import OPEN_STATUSES, Callback

    query = (
        sa.select(sa.func.count())
        .select_from(Callback)
        .where(Callback.status.in_(OPEN_STATUSES), Callback.due_at >= start, Callback.due_at < end)
    )
    return int(db.session.scalar(query) or 0)


def count_callbacks_overdue(now: datetime) -> int:
    """Callbacks still to make whose window (or due time) has passed (Callback.is_overdue, in SQL)."""
    from caseapp.callbacks.models import OPEN_STATUSES, Callback

    window = sa.func.coalesce(Callback.window_minutes, 0) * 60
    query = (
        sa.select(sa.func.count())
        .select_from(Callback)
        .where(
            Callback.status.in_(OPEN_STATUSES),
            Callback.due_at < now,
            seconds_between(sa.literal(now, UTCDateTime()), Callback.due_at) > window,
        )
    )
    return int(db.session.scalar(query) or 0)
