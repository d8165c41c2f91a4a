"""Every aggregation the reports run: GROUP BY in the database, never rows loaded into Python.

Local time: each call carries the Europe/London `local_date` and `local_hour` of its start, written with the call
(calls.services.local_date_and_hour), so day, week, month and hour-of-week buckets are plain GROUP BYs on PostgreSQL
and SQLite alike, and a call is in exactly one local day however long that day is. Hour buckets group the instant
itself (date_trunc('hour', started_at, zone) on PostgreSQL; the UTC hour on SQLite, the same for a zone whose offsets
are whole hours), so the two 01:00s of the October change stay two buckets. Functions with dialect-specific SQL keep
their SQLite form next to the PostgreSQL one.

Sources of call counts (see Source):

- report_call_hours (reports/models.py, kept by triggers): calls and talk time per UTC hour, channel, direction and
  advisor; for any whole-hour period when neither the split nor a filter needs what the call is about (substance,
  pathway, risk) or who rang (relationship);
- report_call_days (kept by triggers): calls and talk time per local day by substance, pathway, risk and
  relationship; for those splits over whole days;
- calls itself, otherwise (mid-hour periods, hour buckets of those splits, mixed filters).

What a call is "about" comes from its case's latest assessment revision (report_case_facts, kept by triggers: a
correction has a higher id than what it corrects, so superseded revisions never count).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
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
from caseapp.reference import CallbackStatus, CaseStatus, CloseReason
from caseapp.reports.models import (
    ALL_ADVISORS,
    CALLBACK_DAY_COUNTS,
    AssessmentDay,
    CallbackDay,
    CallDay,
    CallHour,
    CaseDay,
    CaseFacts,
    LateCallback,
)
from caseapp.reports.params import Bucket, Dimension, Filters, Period
from caseapp.timeutil import local_zone, to_local

#: splits that need the case's assessment or the caller, so only calls can answer them
_ABOUT = (Dimension.SUBSTANCE, Dimension.PATHWAY, Dimension.RISK)
_DAY_DIMENSIONS = (*_ABOUT, Dimension.RELATIONSHIP)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# --- where the counts come from ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a report's counts come from (the same numbers from each; the smallest that can answer is chosen):

    - "hours": report_call_hours, when the period starts and ends on whole hours and nothing needs what the call is
      about or who rang;
    - "days": report_call_days, for splits by (or a filter on) what calls are about or who rang, over whole local
      days, bucketed by day, week or month, with no advisor, channel or direction filter; and for the split by
      advisor over whole days when only the advisor filter is set;
    - "calls": the calls themselves, joined to report_case_facts and callers as needed, for everything else
      (mid-hour periods, hour buckets or the heatmap of such splits, mixed filters)."""

    kind: str
    #: the report_call_days dimension read ("days" only)
    dimension: Dimension | None = None

    @classmethod
    def choose(
        cls, period: Period, dimension: Dimension | None, filters: Filters, bucket: Bucket | None = None
    ) -> Source:
        """`bucket` None means no time buckets (a breakdown); Bucket.HOUR also stands for the heatmap's hours."""
        whole_hours = all(
            (moment.minute, moment.second, moment.microsecond) == (0, 0, 0) for moment in (period.start, period.end)
        )
        about = dimension in _DAY_DIMENSIONS
        by_advisor_only = filters.channel is None and filters.direction is None and filters.substance is None
        if dimension == Dimension.ADVISOR and by_advisor_only and period.is_whole_days and bucket != Bucket.HOUR:
            return cls("days", Dimension.ADVISOR)
        if whole_hours and not about and filters.substance is None:
            return cls("hours")
        if period.is_whole_days and bucket != Bucket.HOUR and not filters.on_calls:
            if filters.substance is None and about:
                return cls("days", dimension)
            if filters.substance is not None and dimension in (None, Dimension.SUBSTANCE):
                return cls("days", Dimension.SUBSTANCE)
        return cls("calls")

    @property
    def rollup(self) -> bool:
        return self.kind == "hours"

    @property
    def table(self) -> Any:
        return {"hours": CallHour, "days": CallDay, "calls": Call}[self.kind]

    @property
    def local_date(self) -> sa.ColumnElement[date]:
        return self.table.local_date

    @property
    def local_hour(self) -> sa.ColumnElement[int]:
        return self.table.local_hour

    def calls(self) -> sa.ColumnElement[Any]:
        if self.kind == "calls":
            return sa.func.count()
        # a whole number: bigint rather than sum()'s numeric, which arrives as a Decimal per row
        return sa.cast(sa.func.coalesce(sa.func.sum(self.table.calls), 0), sa.BigInteger)

    def talk_seconds(self) -> sa.ColumnElement[Any]:
        if self.kind != "calls":
            return sa.func.coalesce(sa.func.sum(self.table.talk_seconds), 0)
        if _dialect() == "sqlite":
            seconds = (sa.func.julianday(Call.ended_at) - sa.func.julianday(Call.started_at)) * 86400
        else:
            seconds = sa.extract("epoch", Call.ended_at - Call.started_at)
        return sa.func.coalesce(sa.func.sum(seconds), 0)

    def column(self, dimension: Dimension) -> sa.ColumnElement[Any]:
        if self.kind == "days":
            if dimension == Dimension.ADVISOR:
                return sa.cast(CallDay.value, sa.Integer)
            return sa.func.nullif(CallDay.value, "")
        if dimension in _ABOUT:
            return getattr(CaseFacts, dimension.value)
        if dimension == Dimension.RELATIONSHIP:
            return Caller.relationship  # type: ignore[return-value]
        name = {Dimension.CHANNEL: "channel", Dimension.DIRECTION: "direction", Dimension.ADVISOR: "advisor_id"}
        return getattr(self.table, name[dimension])

    def select(
        self, columns: Sequence[Any], period: Period, filters: Filters, dimension: Dimension | None = None
    ) -> sa.Select[Any]:
        """SELECT columns [, key] FROM the source (joined to what the split and filters need) WHERE in the period and
        the filters."""
        key = [self.column(dimension).label("key")] if dimension is not None else []
        query = sa.select(*columns, *key).select_from(self.table)
        if self.kind == "days":
            return self._days_where(query, period, filters)
        if self.kind == "hours":
            if filters.advisor_id is not None:
                level = CallHour.advisor_id == filters.advisor_id
            elif dimension == Dimension.ADVISOR:
                level = CallHour.advisor_id != ALL_ADVISORS
            else:
                level = CallHour.advisor_id == ALL_ADVISORS
            query = query.where(
                level, CallHour.calls != 0, CallHour.hour_start >= period.start, CallHour.hour_start < period.end
            )
        else:
            if filters.substance is not None or dimension in _ABOUT:
                query = query.outerjoin(CaseFacts, CaseFacts.case_id == Call.case_id)
            if dimension == Dimension.RELATIONSHIP:
                query = query.outerjoin(Caller, Caller.id == Call.caller_id)
            query = query.where(*in_period(period))
            if filters.advisor_id is not None:
                query = query.where(Call.advisor_id == filters.advisor_id)
            if filters.substance is not None:
                query = query.where(CaseFacts.substance == filters.substance)
        if filters.channel is not None:
            query = query.where(self.table.channel == filters.channel)
        if filters.direction is not None:
            query = query.where(self.table.direction == filters.direction)
        return query

    def _days_where(self, query: sa.Select[Any], period: Period, filters: Filters) -> sa.Select[Any]:
        assert self.dimension is not None  # noqa: S101 - set by choose()
        query = query.where(
            CallDay.calls != 0,  # a row whose calls all moved to another value (a new assessment)
            CallDay.dimension == self.dimension.value,
            CallDay.local_date >= period.first_day,
            CallDay.local_date <= period.last_day,
        )
        if filters.substance is not None:
            query = query.where(CallDay.value == filters.substance.value)
        if filters.advisor_id is not None:
            query = query.where(CallDay.value == str(filters.advisor_id))
        return query


def _day_tables_answer(period: Period) -> bool:
    """Whether report_callback_days, report_case_days and report_assessment_days can answer for the period: they
    hold whole local days, and are kept on PostgreSQL only."""
    return _dialect() != "sqlite" and period.is_whole_days


def inline_zone_name() -> str:
    """The local zone's name, checked to be safe to write into SQL (where a bind parameter cannot go)."""
    name = local_zone().key
    if not re.match(r"^[A-Za-z0-9_+\-/]+$", name):
        raise ValueError(f"unexpected time zone name {name!r}")
    return name


def in_period(period: Period) -> list[sa.ColumnElement[bool]]:
    """Calls that started in [start, end); the local_date bounds are implied and let the date index narrow scans."""
    return [
        Call.started_at >= period.start,
        Call.started_at < period.end,
        Call.local_date >= period.first_day,
        Call.local_date <= period.last_day,
    ]


# --- bucketing (dialect-specific SQL, each with its SQLite form) --------------------------------------------------


def bucket_column(bucket: Bucket, source: Source) -> sa.ColumnElement[Any]:
    """The bucket a call falls in: its UTC hour start (hour) or the local date its day/week/month starts on."""
    sqlite = _dialect() == "sqlite"
    local_date = source.local_date
    if bucket == Bucket.HOUR:
        if source.rollup:
            return CallHour.hour_start  # type: ignore[return-value]
        if sqlite:
            expression = sa.func.strftime("%Y-%m-%d %H:00:00", Call.started_at)
        else:
            expression = sa.func.date_trunc("hour", Call.started_at, local_zone().key)
        return sa.type_coerce(expression, UTCDateTime())
    if bucket == Bucket.DAY:
        return local_date
    if bucket == Bucket.WEEK:
        if sqlite:  # the next Sunday (or this one), less six days: this week's Monday
            return sa.type_coerce(sa.func.date(local_date, "weekday 0", "-6 days"), sa.Date())
        return sa.type_coerce(local_date - (sa.cast(sa.extract("isodow", local_date), sa.Integer) - 1), sa.Date())
    if sqlite:
        return sa.type_coerce(sa.func.date(local_date, "start of month"), sa.Date())
    return sa.type_coerce(local_date - (sa.cast(sa.extract("day", local_date), sa.Integer) - 1), sa.Date())


def _epoch_hour(hour_start: sa.ColumnElement[Any]) -> sa.ColumnElement[int]:
    """Whole hours from 1970-01-01 00:00 UTC to a column of UTC hour starts."""
    if _dialect() == "sqlite":
        seconds = sa.cast(sa.func.strftime("%s", sa.type_coerce(hour_start, sa.String)), sa.BigInteger)
    else:
        seconds = sa.cast(sa.extract("epoch", hour_start), sa.BigInteger)
    return seconds // 3600


def iso_weekday_column(source: Source) -> sa.ColumnElement[int]:
    """1 = Monday .. 7 = Sunday, of the local date."""
    if _dialect() == "sqlite":  # %w: 0 = Sunday
        return sa.cast((sa.cast(sa.func.strftime("%w", source.local_date), sa.Integer) + 6) % 7 + 1, sa.Integer)
    return sa.cast(sa.extract("isodow", source.local_date), sa.Integer)


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


def volume(period: Period, bucket: Bucket, dimension: Dimension | None, filters: Filters) -> Sequence[Sequence[Any]]:
    """(bucket, calls) rows, or (bucket, calls, key) split by a dimension, for buckets with calls, ordered by bucket.
    An hour bucket is the number of its UTC hour since the epoch (no datetime per row: a year of hours is 8,760 of
    them), and the rows are the driver's (no reshaping per row)."""
    source = Source.choose(period, dimension, filters, bucket)
    column = bucket_column(bucket, source)
    if bucket == Bucket.HOUR:
        column = _epoch_hour(column)
    query = source.select([column.label("bucket"), source.calls().label("calls")], period, filters, dimension)
    # grouped by output name: an expression repeated in GROUP BY would get its own bind parameters (PostgreSQL then
    # refuses the select list), and both dialects accept the name
    group: list[sa.ColumnElement[Any]] = [sa.literal_column("bucket")]
    if dimension is not None:
        group.append(sa.literal_column("key"))
    query = query.group_by(*group).order_by(sa.literal_column("bucket"))
    # at most MAX_BUCKETS x keys aggregated rows: fetched in one go on the Core connection (no ORM result layer;
    # a server-side cursor would only add round trips)
    return db.session.connection().execute(query).all()


def heatmap(period: Period, filters: Filters) -> list[tuple[int, int, int]]:
    """(ISO weekday, local hour, calls) for cells with calls."""
    source = Source.choose(period, None, filters, Bucket.HOUR)
    columns = [iso_weekday_column(source).label("weekday"), source.local_hour.label("hour"), source.calls()]
    query = source.select(columns, period, filters).group_by(sa.literal_column("weekday"), sa.literal_column("hour"))
    return [(int(w), int(h), int(n)) for w, h, n in db.session.execute(query)]


@dataclass(frozen=True)
class BreakdownRow:
    key: Any
    calls: int
    talk_seconds: int


def breakdown(period: Period, dimension: Dimension, filters: Filters) -> list[BreakdownRow]:
    """Calls and talk time per value of the dimension, most calls first."""
    source = Source.choose(period, dimension, filters)
    calls = source.calls().label("calls")
    query = source.select([calls, source.talk_seconds().label("talk")], period, filters, dimension)
    query = query.group_by(sa.literal_column("key")).order_by(
        sa.literal_column("calls").desc(), sa.literal_column("key")
    )
    return [BreakdownRow(row.key, int(row.calls), int(round(row.talk))) for row in db.session.execute(query)]


def assessments_completed(period: Period, filters: Filters) -> dict[int, int]:
    """advisor id → first revisions recorded in the period (a correction is not another assessment completed).

    The advisor and substance filters apply (to the assessment); channel and direction do not (they are a call's)."""
    from caseapp.assessments.models import Assessment

    if _day_tables_answer(period) and filters.substance is None:
        counted = sa.select(AssessmentDay.advisor_id, sa.func.sum(AssessmentDay.assessments)).where(
            AssessmentDay.local_date >= period.first_day, AssessmentDay.local_date <= period.last_day
        )
        if filters.advisor_id is not None:
            counted = counted.where(AssessmentDay.advisor_id == filters.advisor_id)
        rows = db.session.execute(counted.group_by(AssessmentDay.advisor_id))
        return {int(a): int(n) for a, n in rows if n}
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
    stage includes the later ones (an admitted case was referred and assessed). Call filters (advisor, channel,
    direction) apply to the case's first call; the substance filter to its latest assessment."""
    if _day_tables_answer(period) and not filters.on_calls:
        return _funnel_from_case_days(period, filters)
    admitted = sa.or_(Case.status == CaseStatus.ADMITTED, Case.close_reason == CloseReason.TREATMENT_STARTED)
    referred = sa.or_(Case.status == CaseStatus.REFERRED, admitted)
    assessed = sa.or_(CaseFacts.case_id.is_not(None), Case.status == CaseStatus.ASSESSED, referred)

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
        .outerjoin(CaseFacts, CaseFacts.case_id == Case.id)
        .where(Case.created_at >= period.start, Case.created_at < period.end)
    )
    if filters.substance is not None:
        query = query.where(CaseFacts.substance == filters.substance)
    call_filters = [
        condition
        for value, condition in (
            (filters.advisor_id, Call.advisor_id == filters.advisor_id),
            (filters.channel, Call.channel == filters.channel),
            (filters.direction, Call.direction == filters.direction),
        )
        if value is not None
    ]
    if call_filters:
        earlier = aliased(Call)
        first = (
            sa.select(earlier.id)
            .where(earlier.case_id == Case.id)
            .order_by(earlier.started_at, earlier.id)
            .limit(1)
            .correlate(Case)
            .scalar_subquery()
        )
        query = query.where(sa.exists().where(Call.id == first, *call_filters))
    row = db.session.execute(query).one()
    return FunnelCounts(int(row.first_calls), int(row.assessed), int(row.referred), int(row.admitted))


def _funnel_from_case_days(period: Period, filters: Filters) -> FunnelCounts:
    """The funnel from report_case_days (PostgreSQL, whole days, no call filter): each case is counted at the
    furthest step it reached, so a step's count is that step's cases and the later steps'."""

    def cases_at(*stages: str) -> sa.ColumnElement[Any]:
        return sa.func.coalesce(sa.func.sum(CaseDay.cases).filter(CaseDay.stage.in_(stages)), 0)

    query = sa.select(
        cases_at("opened", "assessed", "referred", "admitted"),
        cases_at("assessed", "referred", "admitted"),
        cases_at("referred", "admitted"),
        cases_at("admitted"),
    ).where(CaseDay.created_date >= period.first_day, CaseDay.created_date <= period.last_day)
    if filters.substance is not None:
        query = query.where(CaseDay.substance == filters.substance.value)
    first_calls, assessed, referred, admitted = db.session.execute(query).one()
    return FunnelCounts(int(first_calls), int(assessed), int(referred), int(admitted))


# --- the "today" strip ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TodayCounts:
    calls: int
    on_shift: int
    callbacks_due_next_hour: int
    callbacks_overdue: int


def today_counts(day_start: datetime, now: datetime) -> TodayCounts:
    """Calls from the start of the local day to now (and the second after it), active staff with an open shift,
    callbacks still to make that fall due in the next hour, and those whose window (or due time) has passed
    (Callback.is_overdue, in SQL): four counts in one round trip."""
    from caseapp.callbacks.models import OPEN_STATUSES, Callback
    from caseapp.shifts.models import Shift

    def count(*where: sa.ColumnElement[bool], what: Any = None, of: Any = Callback) -> sa.ScalarSelect[Any]:
        counted = sa.func.count(what) if what is not None else sa.func.count()
        return sa.select(counted).select_from(of).where(*where).scalar_subquery()

    open_ = Callback.status.in_(OPEN_STATUSES)
    window = sa.func.coalesce(Callback.window_minutes, 0) * 60
    query = sa.select(
        count(Call.started_at >= day_start, Call.started_at < now + timedelta(seconds=1), of=Call),
        count(
            Shift.ended_at.is_(None),
            User.is_active.is_(True),
            what=sa.distinct(Shift.user_id),
            of=sa.join(Shift, User, User.id == Shift.user_id),
        ),
        count(open_, Callback.due_at >= now, Callback.due_at < now + timedelta(hours=1)),
        count(open_, Callback.due_at < now, seconds_between(sa.literal(now, UTCDateTime()), Callback.due_at) > window),
    )
    # on the Core connection: the ORM's result layer is most of the cost of one row of four counts
    return TodayCounts(*(int(n) for n in db.session.connection().execute(query).one()))


def advisor_names(ids: Sequence[int]) -> dict[int, str]:
    """For the dashboard (staff only; never in an export)."""
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(list(ids)))).all())


def list_advisors() -> list[tuple[int, str]]:
    """Staff who can take calls, for the dashboard's advisor filter."""
    query = sa.select(User.id, User.full_name).where(User.is_active.is_(True)).order_by(User.full_name, User.id)
    return list(db.session.execute(query))


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


def _outcome_columns(
    count_where: Any, *, on_time: sa.ColumnElement[bool], late: sa.ColumnElement[bool]
) -> list[sa.ColumnElement[Any]]:
    """The callbacks report's counted outcomes (both the portable query and the PostgreSQL one select these)."""
    from caseapp.callbacks.models import OPEN_STATUSES, Callback

    return [
        sa.func.count().label("booked"),
        count_where(on_time).label("on_time"),
        count_where(late).label("late"),
        count_where(Callback.status == CallbackStatus.MISSED).label("missed"),
        count_where(Callback.status == CallbackStatus.UNREACHABLE).label("unreachable"),
        count_where(Callback.status == CallbackStatus.CANCELLED).label("cancelled"),
        count_where(Callback.status.in_(OPEN_STATUSES)).label("still_open"),
    ]


def _whole_seconds(seconds: Any) -> int | None:
    """Lateness to the nearest second, halves up (as PostgreSQL's round() does for report_callback_days)."""
    if seconds is None:
        return None
    return math.floor(seconds + (Decimal("0.5") if isinstance(seconds, Decimal) else 0.5))


def _callback_row(key: Any, row: Any, median: float | None, p90: float | None) -> CallbackRow:
    """One result row of `_outcome_columns` (plus lateness percentiles in seconds) as a CallbackRow."""
    return CallbackRow(
        key,
        int(row.booked),
        int(row.on_time),
        int(row.late),
        int(row.missed),
        int(row.unreachable),
        int(row.cancelled),
        int(row.still_open),
        _whole_seconds(median),
        _whole_seconds(p90),
    )


def callback_timeliness(period: Period, group: str | None, filters: Filters) -> list[CallbackRow]:
    """Callbacks due in the period, counted by outcome, per `group` (None: one row; "advisor": the assignee, null
    for the pool; "day": the local date they were due)."""
    from caseapp.callbacks.models import Callback

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
        key.label("key"), *_outcome_columns(count_where, on_time=sa.and_(completed, lateness <= 0), late=late)
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
        # nearest rank: the ceil(p * n)-th, as integer arithmetic (ceil(a * n / b) = (a * n + b - 1) // b)
        sa.func.max(sa.case((ranked.c.rank == (ranked.c.n + 1) // 2, ranked.c.lateness))).label("median"),
        sa.func.max(sa.case((ranked.c.rank == (ranked.c.n * 9 + 9) // 10, ranked.c.lateness))).label("p90"),
    ).group_by(ranked.c.key)
    if group is not None:
        counts = counts.group_by(sa.literal_column("key"))
    spread = {row.key: (row.median, row.p90) for row in db.session.execute(percentiles) if row.median is not None}
    rows = []
    for row in db.session.execute(counts):
        if group is None and not row.booked:
            continue
        rows.append(_callback_row(row.key, row, *spread.get(row.key, (None, None))))
    return rows


@dataclass(frozen=True)
class CallbackGroups:
    total: CallbackRow | None
    by_advisor: list[CallbackRow]
    by_day: list[CallbackRow]


#: report_callback_days.assignee_id of the pool
POOL = 0


def callback_timeliness_groups(period: Period, filters: Filters) -> CallbackGroups:
    """The three groupings of callback_timeliness. PostgreSQL: GROUPING SETS, the counts in one hashed scan and the
    percentiles (percentile_disc: the nearest rank, as the fallback computes it) over the late callbacks only, or
    from report_callback_days and report_late_callbacks for whole days; SQLite: the portable function, once per
    grouping."""
    if _dialect() == "sqlite":
        total = callback_timeliness(period, None, filters)
        return CallbackGroups(
            total[0] if total else None,
            callback_timeliness(period, "advisor", filters),
            callback_timeliness(period, "day", filters),
        )
    if _day_tables_answer(period):
        return _callback_groups_from_days(period, filters)
    from caseapp.callbacks.models import Callback

    zone = inline_zone_name()  # a GROUP BY expression cannot carry a bind parameter
    day = sa.cast(sa.func.timezone(sa.literal_column(f"'{zone}'"), Callback.due_at), sa.Date)
    advisor = Callback.assignee_id
    # timestamp arithmetic (an interval per row), not epoch seconds: extract() is numeric and ten times slower here
    window_end = Callback.due_at + sa.func.coalesce(Callback.window_minutes, 0) * sa.literal_column(
        "interval '1 minute'", sa.Interval()
    )
    lateness = Callback.started_at - window_end
    completed = Callback.status == CallbackStatus.COMPLETED
    late = sa.and_(completed, Callback.started_at > window_end)
    where = [Callback.due_at >= period.start, Callback.due_at < period.end]
    if filters.advisor_id is not None:
        where.append(Callback.assignee_id == filters.advisor_id)

    def count_where(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.count().filter(condition)

    def grouped(*columns: Any, source: Any = Callback, at: Any = day, who: Any = advisor) -> sa.Select[Any]:
        """SELECT level, advisor, day, columns ... GROUP BY GROUPING SETS ((), (advisor), (day))."""
        return sa.select(
            sa.func.grouping(who, at).label("level"), who.label("advisor"), at.label("day"), *columns
        ).group_by(sa.func.grouping_sets(sa.text("()"), sa.tuple_(who), sa.tuple_(at)))

    counts = grouped(
        *_outcome_columns(count_where, on_time=sa.and_(completed, Callback.started_at <= window_end), late=late)
    ).where(*where)
    late_ones = (
        sa.select(advisor.label("advisor"), day.label("day"), lateness.label("lateness"))
        .where(*where, late)
        .subquery("late_callbacks")
    )
    spreads = grouped(
        *(
            sa.extract("epoch", sa.func.percentile_disc(fraction).within_group(late_ones.c.lateness)).label(name)
            for fraction, name in ((0.5, "median"), (0.9, "p90"))
        ),
        at=late_ones.c.day,
        who=late_ones.c.advisor,
    ).select_from(late_ones)
    return _callback_groups(counts, spreads, pool=None)


def _callback_groups(counts: sa.Select[Any], spreads: sa.Executable, pool: Any) -> CallbackGroups:
    """Rows of `counts` (level, advisor, day, _outcome_columns) and `spreads` (level, advisor, day, median, p90), both
    at the levels of GROUPING SETS ((), (advisor), (day)), as CallbackGroups; `pool` is the advisor value of the
    pool."""
    spread = {(row.level, row.advisor, row.day): (row.median, row.p90) for row in db.session.execute(spreads)}
    groups = CallbackGroups(None, [], [])
    for row in db.session.execute(counts):
        # grouping(): a bit set for each column left out of the set: 3 = the total, 1 = by advisor, 2 = by day
        advisor = None if row.advisor == pool else row.advisor
        key = {3: None, 1: advisor, 2: row.day}[row.level]
        item = _callback_row(key, row, *spread.get((row.level, row.advisor, row.day), (None, None)))
        if row.level == 3:
            groups = CallbackGroups(item, groups.by_advisor, groups.by_day)
        else:
            (groups.by_advisor if row.level == 1 else groups.by_day).append(item)
    return groups


def _callback_groups_from_days(period: Period, filters: Filters) -> CallbackGroups:
    """callback_timeliness_groups from report_callback_days and report_late_callbacks (PostgreSQL, whole days)."""

    def where(table: type[CallbackDay | LateCallback]) -> list[sa.ColumnElement[bool]]:
        advisor = [table.assignee_id == filters.advisor_id] if filters.advisor_id is not None else []
        return [table.due_date >= period.first_day, table.due_date <= period.last_day, *advisor]

    day = CallbackDay
    counts = (
        sa.select(
            sa.func.grouping(day.assignee_id, day.due_date).label("level"),
            day.assignee_id.label("advisor"),
            day.due_date.label("day"),
            *(  # the total of no rows: 0, not null
                sa.func.coalesce(sa.func.sum(getattr(day, name)), 0).label(name) for name in CALLBACK_DAY_COUNTS
            ),
        )
        .where(*where(day), day.booked != 0)
        .group_by(sa.func.grouping_sets(sa.text("()"), sa.tuple_(day.assignee_id), sa.tuple_(day.due_date)))
    )
    # one query per grouping, not GROUPING SETS: by day and by advisor each read their own index in lateness order,
    # so the sort inside percentile_disc gets presorted input (the total sorts the period's rows once)
    late = LateCallback
    no_day, no_advisor = sa.cast(sa.null(), sa.Date), sa.cast(sa.null(), sa.Integer)
    spreads = sa.union_all(
        *(
            sa.select(
                sa.literal_column(str(level), sa.Integer).label("level"),
                advisor.label("advisor"),
                at.label("day"),
                *(
                    sa.func.percentile_disc(fraction).within_group(late.lateness_seconds).label(name)
                    for fraction, name in ((0.5, "median"), (0.9, "p90"))
                ),
            )
            .where(*where(late))
            .group_by(*by)
            for level, advisor, at, by in (
                (3, no_advisor, no_day, ()),
                (1, late.assignee_id, no_day, (late.assignee_id,)),
                (2, no_advisor, late.due_date, (late.due_date,)),
            )
        )
    )
    return _callback_groups(counts, spreads, pool=POOL)


def assessments_recorded(start: datetime, end: datetime) -> list[tuple[int, datetime, str]]:
    """(case id, created_at, recommended pathway) of the assessments recorded in [start, end) that no later
    revision corrects, oldest first (the pathways report)."""
    correction = aliased(Assessment)
    query = (
        sa.select(Assessment.case_id, Assessment.created_at, Assessment.recommended_pathway)
        .where(
            Assessment.created_at >= start,
            Assessment.created_at < end,
            ~sa.exists().where(correction.supersedes_id == Assessment.id),
        )
        .order_by(Assessment.created_at, Assessment.id)
    )
    return [(case_id, at, str(pathway)) for case_id, at, pathway in db.session.execute(query)]
