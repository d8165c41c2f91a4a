"""Report numbers worked out independently of caseapp/reports: plain Python over the rows a test generated.

Local time comes from zoneinfo here (not the stored local_date/local_hour), the latest assessment per case from the
highest id, and every bucket list is built from scratch, so a bug in the report code cannot also be in the check.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from caseapp.extensions import db

LONDON = ZoneInfo("Europe/London")
CLOCK_CHANGE_DAYS = (date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31))


def midnight(day: date) -> datetime:
    """Local midnight of a date, as an aware UTC instant."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class CallRow:
    id: int
    started_at: datetime
    ended_at: datetime | None
    advisor_id: int
    channel: str
    direction: str
    case_id: int | None
    caller_id: int | None
    substance: str | None
    pathway: str | None
    risk: str | None
    relationship: str | None

    @property
    def local(self) -> datetime:
        return self.started_at.astimezone(LONDON)

    @property
    def talk(self) -> float:
        return (self.ended_at - self.started_at).total_seconds() if self.ended_at else 0.0

    def key(self, by: str | None) -> Any:
        if by is None:
            return None
        return {
            "advisor": self.advisor_id,
            "channel": self.channel,
            "direction": self.direction,
            "substance": self.substance,
            "pathway": self.pathway,
            "risk": self.risk,
            "relationship": self.relationship,
        }[by]


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def load_calls() -> list[CallRow]:
    """Every call with what it is about (its case's highest-id assessment) and who rang, read with plain SQL."""
    latest: dict[int, tuple[int, str, str, str]] = {}
    assessments = "SELECT id, case_id, primary_substance, recommended_pathway, risk_level FROM assessments"
    for a_id, case_id, substance, pathway, risk in db.session.execute(sa.text(assessments)):
        if case_id not in latest or a_id > latest[case_id][0]:
            latest[case_id] = (a_id, substance, pathway, risk)
    relationships: dict[int, str] = dict(db.session.execute(sa.text("SELECT id, relationship FROM callers")).all())
    rows = []
    query = "SELECT id, started_at, ended_at, advisor_id, channel, direction, case_id, caller_id FROM calls"
    for c_id, started, ended, advisor, channel, direction, case_id, caller_id in db.session.execute(sa.text(query)):
        facts = latest.get(case_id) if case_id is not None else None
        rows.append(
            CallRow(
                c_id,
                _utc(started),
                _utc(ended) if ended is not None else None,
                advisor,
                channel,
                direction,
                case_id,
                caller_id,
                facts[1] if facts else None,
                facts[2] if facts else None,
                facts[3] if facts else None,
                relationships.get(caller_id) if caller_id is not None else None,
            )
        )
    return rows


@dataclass(frozen=True)
class Filter:
    advisor: int | None = None
    channel: str | None = None
    substance: str | None = None
    direction: str | None = None

    def keeps(self, call: CallRow) -> bool:
        return (
            (self.advisor is None or call.advisor_id == self.advisor)
            and (self.channel is None or call.channel == self.channel)
            and (self.substance is None or call.substance == self.substance)
            and (self.direction is None or call.direction == self.direction)
        )

    def query(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value is not None}


def in_period(calls: Iterable[CallRow], start: datetime, end: datetime, where: Filter = Filter()) -> list[CallRow]:
    return [c for c in calls if start <= c.started_at < end and where.keeps(c)]


def bucket_starts(start: datetime, end: datetime, bucket: str) -> list[datetime]:
    """Local starts of the buckets covering [start, end), built without caseapp's code."""
    if bucket == "hour":
        moment = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        out = []
        while moment < end:
            out.append(moment.astimezone(LONDON))
            moment += timedelta(hours=1)
        return out
    first = start.astimezone(LONDON).date()
    last = (end - timedelta(microseconds=1)).astimezone(LONDON).date()
    if bucket == "week":
        first -= timedelta(days=first.weekday())
    if bucket == "month":
        first = first.replace(day=1)
    out, day = [], first
    while day <= last:
        out.append(datetime.combine(day, time(0), tzinfo=LONDON))
        if bucket == "day":
            day += timedelta(days=1)
        elif bucket == "week":
            day += timedelta(days=7)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def bucket_of(call: CallRow, bucket: str) -> datetime:
    local = call.local
    if bucket == "hour":
        return call.started_at.replace(minute=0, second=0, microsecond=0).astimezone(LONDON)
    day = local.date()
    if bucket == "week":
        day -= timedelta(days=day.weekday())
    if bucket == "month":
        day = day.replace(day=1)
    return datetime.combine(day, time(0), tzinfo=LONDON)


def volume(
    calls: Iterable[CallRow],
    start: datetime,
    end: datetime,
    bucket: str,
    by: str | None = None,
    where: Filter = Filter(),
    also_keys: Iterable[Any] = (),
) -> dict[tuple[str, Any], int]:
    """{(bucket start, key): calls}. `also_keys`: series shown although they have no calls here (the report shows
    every series of the period before too)."""
    chosen = in_period(calls, start, end, where)
    found = Counter((bucket_of(c, bucket).isoformat(), c.key(by)) for c in chosen)
    keys = {c.key(by) for c in chosen} | set(also_keys) if by else {None}
    return {
        (s.isoformat(), k): found.get((s.isoformat(), k), 0) for s in bucket_starts(start, end, bucket) for k in keys
    }


def heatmap(
    calls: Iterable[CallRow], start: datetime, end: datetime, where: Filter = Filter()
) -> dict[tuple[int, int], int]:
    found = Counter((c.local.isoweekday(), c.local.hour) for c in in_period(calls, start, end, where))
    return {(w, h): found.get((w, h), 0) for w in range(1, 8) for h in range(24)}


def breakdown(
    calls: Iterable[CallRow], start: datetime, end: datetime, by: str, where: Filter = Filter()
) -> dict[Any, tuple[int, int]]:
    """key -> (calls, talk seconds rounded)."""
    counts: Counter[Any] = Counter()
    talk: dict[Any, float] = {}
    for c in in_period(calls, start, end, where):
        counts[c.key(by)] += 1
        talk[c.key(by)] = talk.get(c.key(by), 0.0) + c.talk
    return {key: (n, round(talk[key])) for key, n in counts.items()}


@dataclass(frozen=True)
class CaseRow:
    id: int
    created_at: datetime
    status: str
    close_reason: str | None
    assessed: bool
    substance: str | None


def load_cases() -> list[CaseRow]:
    latest: dict[int, tuple[int, str]] = {}
    for a_id, case_id, substance in db.session.execute(
        sa.text("SELECT id, case_id, primary_substance FROM assessments")
    ):
        if case_id not in latest or a_id > latest[case_id][0]:
            latest[case_id] = (a_id, substance)
    rows = db.session.execute(sa.text("SELECT id, created_at, status, close_reason FROM cases"))
    return [
        CaseRow(c_id, _utc(created), status, reason, c_id in latest, latest[c_id][1] if c_id in latest else None)
        for c_id, created, status, reason in rows
    ]


def funnel(cases: Iterable[CaseRow], start: datetime, end: datetime, substance: str | None = None) -> list[int]:
    """[opened, assessed, referred, admitted] for cases opened in the period."""
    cohort = [c for c in cases if start <= c.created_at < end and (substance is None or c.substance == substance)]
    admitted = [c for c in cohort if c.status == "admitted" or c.close_reason == "treatment_started"]
    referred = [c for c in cohort if c.status == "referred" or c in admitted]
    assessed = [c for c in cohort if c.assessed or c.status == "assessed" or c in referred]
    return [len(cohort), len(assessed), len(referred), len(admitted)]


@dataclass(frozen=True)
class CallbackRow:
    due_at: datetime
    window_minutes: int | None
    assignee_id: int | None
    status: str
    started_at: datetime | None

    @property
    def lateness(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.started_at - self.due_at).total_seconds() - (self.window_minutes or 0) * 60


def load_callbacks() -> list[CallbackRow]:
    query = "SELECT due_at, window_minutes, assignee_id, status, started_at FROM callbacks"
    return [
        CallbackRow(_utc(due), window, assignee, status, _utc(started) if started is not None else None)
        for due, window, assignee, status, started in db.session.execute(sa.text(query))
    ]


def nearest_rank(values: list[float], fraction: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(len(ordered) * Fraction(str(fraction)))  # the ceil(p * n)-th smallest, exactly
    return round(ordered[rank - 1])


def callback_counts(callbacks: Iterable[CallbackRow]) -> dict[str, Any]:
    items = list(callbacks)
    completed = [c for c in items if c.status == "completed"]
    late = [c.lateness for c in completed if c.lateness is not None and c.lateness > 0]
    on_time = len(completed) - len(late)
    return {
        "booked": len(items),
        "completed_on_time": on_time,
        "completed_late": len(late),
        "missed": sum(c.status == "missed" for c in items),
        "unreachable": sum(c.status == "unreachable" for c in items),
        "cancelled": sum(c.status == "cancelled" for c in items),
        "open": sum(c.status in ("scheduled", "in_progress", "no_answer") for c in items),
        "on_time_rate": round(on_time / len(completed), 4) if completed else None,
        "lateness_median_seconds": nearest_rank([x for x in late if x is not None], 0.5),
        "lateness_p90_seconds": nearest_rank([x for x in late if x is not None], 0.9),
    }


def report_tables() -> dict[str, Any]:
    """The trigger-kept tables, summed, and the same sums worked out from calls with a plain GROUP BY."""
    kept = {
        "hours": db.session.execute(
            sa.text(
                "SELECT hour_start, channel, direction, calls, talk_seconds FROM report_call_hours "
                "WHERE advisor_id = 0 AND calls <> 0 ORDER BY 1, 2, 3"
            )
        ).all(),
        "days": db.session.execute(
            sa.text(
                "SELECT dimension, local_date, value, calls FROM report_call_days WHERE calls <> 0 ORDER BY 1, 2, 3"
            )
        ).all(),
    }
    worked_out = {
        "hours": db.session.execute(
            sa.text(
                "SELECT date_trunc('hour', started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', channel, direction, "
                "count(*), sum(coalesce(extract(epoch FROM ended_at - started_at), 0)) FROM calls "
                "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            )
        ).all(),
        "days": db.session.execute(
            sa.text(
                "WITH latest AS (SELECT DISTINCT ON (case_id) case_id, primary_substance AS substance, "
                "recommended_pathway AS pathway, risk_level AS risk FROM assessments ORDER BY case_id, id DESC), "
                "attributes AS (SELECT c.local_date, coalesce(l.substance, '') s, coalesce(l.pathway, '') p, "
                "coalesce(l.risk, '') r, coalesce(k.relationship, '') rel FROM calls c "
                "LEFT JOIN latest l ON l.case_id = c.case_id LEFT JOIN callers k ON k.id = c.caller_id) "
                "SELECT * FROM (SELECT 'pathway', local_date, p, count(*) FROM attributes GROUP BY 2, 3 UNION ALL "
                "SELECT 'relationship', local_date, rel, count(*) FROM attributes GROUP BY 2, 3 UNION ALL "
                "SELECT 'risk', local_date, r, count(*) FROM attributes GROUP BY 2, 3 UNION ALL "
                "SELECT 'substance', local_date, s, count(*) FROM attributes GROUP BY 2, 3) x ORDER BY 1, 2, 3"
            )
        ).all(),
    }
    return {"kept": kept, "worked_out": worked_out}


def report_tables_agree() -> bool:
    """The trigger-kept (or bulk-filled) report tables hold what the calls say (PostgreSQL)."""
    tables = report_tables()
    kept, worked = tables["kept"], tables["worked_out"]
    hours = [(h, c, d, n, round(t, 3)) for h, c, d, n, t in kept["hours"]]
    return hours == [(h, c, d, n, round(float(t), 3)) for h, c, d, n, t in worked["hours"]] and list(
        kept["days"]
    ) == list(worked["days"])
