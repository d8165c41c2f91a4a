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
    id: int
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
    query = "SELECT id, due_at, window_minutes, assignee_id, status, started_at FROM callbacks"
    return [
        CallbackRow(c_id, _utc(due), window, assignee, status, _utc(started) if started is not None else None)
        for c_id, due, window, assignee, status, started in db.session.execute(sa.text(query))
    ]


def nearest_rank(values: list[float], fraction: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(len(ordered) * Fraction(str(fraction)))  # the ceil(p * n)-th smallest, exactly
    return math.floor(ordered[rank - 1] + 0.5)  # to the nearest second, halves up


def callback_counts(callbacks: Iterable[CallbackRow]) -> dict[str, Any]:
    items = list(callbacks)
    completed = [c for c in items if c.status == "completed" and c.started_at is not None]  # others: booked only
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


@dataclass(frozen=True)
class AssessmentRow:
    id: int
    advisor_id: int
    created_at: datetime
    supersedes_id: int | None


def load_assessments() -> list[AssessmentRow]:
    query = "SELECT id, advisor_id, created_at, supersedes_id FROM assessments"
    return [
        AssessmentRow(a_id, advisor, _utc(created), supersedes)
        for a_id, advisor, created, supersedes in db.session.execute(sa.text(query))
    ]


def assessments_completed(
    assessments: Iterable[AssessmentRow], start: datetime, end: datetime, advisor: int | None = None
) -> dict[int, int]:
    """advisor id -> first assessments (not corrections) recorded in [start, end)."""
    return dict(
        Counter(
            a.advisor_id
            for a in assessments
            if a.supersedes_id is None and start <= a.created_at < end and advisor in (None, a.advisor_id)
        )
    )


#: a report table as {key columns: value columns}, in plain Python values
Table = dict[tuple[Any, ...], Any]
#: the tables only PostgreSQL keeps (they bucket by local date inside the trigger; empty on SQLite)
POSTGRES_ONLY = ("callback_days", "late_callbacks", "case_days", "assessment_days")


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(value)


def local_date(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def kept_tables() -> dict[str, Table]:
    """What the report tables hold now, rows with a zero count left out (a count may drop to 0 and stay)."""

    def rows(query: str) -> list[Any]:
        return list(db.session.execute(sa.text(query)))

    hours = "SELECT advisor_id, hour_start, channel, direction, local_date, local_hour, calls, talk_seconds "
    return {
        "call_hours": {
            (advisor, _utc(hour), channel, direction): (calls, float(talk), _day(day), local_hour)
            for advisor, hour, channel, direction, day, local_hour, calls, talk in rows(
                f"{hours} FROM report_call_hours WHERE calls <> 0"
            )
        },
        "call_days": {
            (dimension, _day(day), value): (calls, float(talk))
            for dimension, day, value, calls, talk in rows(
                "SELECT dimension, local_date, value, calls, talk_seconds FROM report_call_days WHERE calls <> 0"
            )
        },
        "callback_days": {
            (_day(day), assignee): tuple(counts)
            for day, assignee, *counts in rows(
                f"SELECT due_date, assignee_id, {', '.join(CALLBACK_COUNTS)} FROM report_callback_days "  # noqa: S608 - constant column names
                "WHERE booked <> 0"
            )
        },
        "late_callbacks": {
            (callback,): (_day(day), assignee, lateness)
            for callback, day, assignee, lateness in rows(
                "SELECT callback_id, due_date, assignee_id, lateness_seconds FROM report_late_callbacks"
            )
        },
        "case_days": {
            (_day(day), substance, stage): n
            for day, substance, stage, n in rows(
                "SELECT created_date, substance, stage, cases FROM report_case_days WHERE cases <> 0"
            )
        },
        "assessment_days": {
            (advisor, _day(day)): n
            for advisor, day, n in rows(
                "SELECT advisor_id, local_date, assessments FROM report_assessment_days WHERE assessments <> 0"
            )
        },
    }


def add_to(table: Table, key: tuple[Any, ...], *values: Any) -> None:
    """Add the values to the key's (a count, or a tuple of sums)."""
    if len(values) == 1:
        table[key] = table.get(key, 0) + values[0]
    else:
        old = table.get(key, (0,) * len(values))
        table[key] = tuple(a + b for a, b in zip(old, values, strict=True))


#: report_callback_days' count columns
CALLBACK_COUNTS = ("booked", "on_time", "late", "missed", "unreachable", "cancelled", "still_open")


def outcome_counts(outcome: str, callbacks: int = 1) -> tuple[int, ...]:
    """report_callback_days' columns (CALLBACK_COUNTS) for that many callbacks of an outcome (callback_outcome's)."""
    counted = {"booked", "still_open" if outcome in ("scheduled", "in_progress", "no_answer") else outcome}
    return tuple(callbacks if name in counted else 0 for name in CALLBACK_COUNTS)


def callback_outcome(row: CallbackRow) -> tuple[str, int]:
    """(outcome, lateness in whole seconds): the status, with "completed" split into "on_time" and "late" when it was
    started; late means started after due + window, by that many seconds rounded half away from zero."""
    if row.status != "completed" or row.started_at is None:
        return row.status, 0
    window_end = row.due_at + timedelta(minutes=row.window_minutes or 0)
    micros = (row.started_at - window_end) // timedelta(microseconds=1)  # exact, whole microseconds
    if micros <= 0:
        return "on_time", 0
    return "late", (micros + 500_000) // 1_000_000


def case_stage(case: CaseRow) -> str:
    """The furthest funnel step a case has reached."""
    if case.status == "admitted" or case.close_reason == "treatment_started":
        return "admitted"
    if case.status == "referred":
        return "referred"
    if case.assessed or case.status == "assessed":
        return "assessed"
    return "opened"


def worked_out_tables(postgres: bool = True) -> dict[str, Table]:
    """The report tables as they should be, from the raw rows in Python (local dates from zoneinfo, the latest
    assessment of a case by the highest id). Without `postgres` the PostgreSQL-only tables should be empty."""
    tables: dict[str, Table] = {name: {} for name in ("call_hours", "call_days", *POSTGRES_ONLY)}
    for call in load_calls():
        hour = call.started_at.replace(minute=0, second=0, microsecond=0)
        local = hour.astimezone(LONDON)
        for advisor in (call.advisor_id, 0):
            key = (advisor, hour, call.channel, call.direction)
            calls, talk = tables["call_hours"].get(key, (0, 0.0, None, None))[:2]
            tables["call_hours"][key] = (calls + 1, talk + call.talk, local.date(), local.hour)
        day = call.local.date()
        for dimension, value in (
            ("substance", call.substance),
            ("pathway", call.pathway),
            ("risk", call.risk),
            ("relationship", call.relationship),
            ("advisor", str(call.advisor_id)),
        ):
            add_to(tables["call_days"], (dimension, day, value or ""), 1, call.talk)
    if not postgres:
        return tables
    for callback in load_callbacks():
        outcome, lateness = callback_outcome(callback)
        day, assignee = local_date(callback.due_at), callback.assignee_id or 0
        add_to(tables["callback_days"], (day, assignee), *outcome_counts(outcome))
        if outcome == "late":
            tables["late_callbacks"][(callback.id,)] = (day, assignee, lateness)
    for case in load_cases():
        add_to(tables["case_days"], (local_date(case.created_at), case.substance or "", case_stage(case)), 1)
    for assessment in load_assessments():
        if assessment.supersedes_id is None:
            add_to(tables["assessment_days"], (assessment.advisor_id, local_date(assessment.created_at)), 1)
    return tables


def report_tables() -> dict[str, dict[str, Table]]:
    """The trigger-kept (or bulk-filled) report tables, and the same worked out from the raw rows."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    return {"kept": kept_tables(), "worked_out": worked_out_tables(postgres)}


def _same(kept: Any, worked: Any) -> bool:
    if isinstance(kept, tuple):
        return len(kept) == len(worked) and all(_same(a, b) for a, b in zip(kept, worked, strict=True))
    if isinstance(kept, float) or isinstance(worked, float):
        return math.isclose(kept, worked, rel_tol=1e-9, abs_tol=1e-3)  # sums of talk time
    return bool(kept == worked)


def report_table_differences(limit: int = 20) -> dict[str, list[str]]:
    """{table: what differs} for each report table that does not hold what the raw rows say (empty: all agree)."""
    tables = report_tables()
    out: dict[str, list[str]] = {}
    for name, worked in tables["worked_out"].items():
        kept = tables["kept"][name]
        lines = []
        for key in sorted(set(kept) | set(worked), key=repr):
            if key not in kept:
                lines.append(f"missing {key}: expected {worked[key]}")
            elif key not in worked:
                lines.append(f"unexpected {key}: holds {kept[key]}")
            elif not _same(kept[key], worked[key]):
                lines.append(f"wrong {key}: holds {kept[key]}, expected {worked[key]}")
        if lines:
            more = [f"... and {len(lines) - limit} more"] if len(lines) > limit else []
            out[name] = lines[:limit] + more
    return out


def describe(differences: dict[str, list[str]]) -> str:
    return "\n".join(f"report_{name}:\n  " + "\n  ".join(lines) for name, lines in differences.items())


def report_tables_agree() -> bool:
    """The trigger-kept (or bulk-filled) report tables hold what the raw rows say; what differs is printed (pytest
    shows it with the failure). assert_report_tables_agree() puts it in the assertion message."""
    differences = report_table_differences()
    if differences:
        print(describe(differences))  # noqa: T201 - shown by pytest with the failing assert
    return not differences


def assert_report_tables_agree(step: str = "") -> None:
    """Fail with what differs, table by table, if the report tables do not hold what the raw rows say."""
    differences = report_table_differences()
    if differences:
        raise AssertionError(
            f"report tables disagree with the raw rows{f' after {step}' if step else ''}:\n" + describe(differences)
        )
