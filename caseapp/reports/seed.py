"""`caseapp seed`: realistic, reproducible synthetic helpline data, written with bulk inserts.

What it makes, from one `random.Random(seed)` (same --seed and --end date give the same rows):

- a rota of synthetic advisors (accounts that cannot sign in), three shifts a day;
- calls spread over the last `days` local days with evening and weekend peaks (and a January rise), of every call
  type (most are data calls), channel and direction, with realistic talk times;
- callers (many ring again within days: repeat callers), one case each, 15% with a withheld number;
- assessments on most cases that got past a first call, led by alcohol, heroin, cocaine and ketamine, a few corrected
  by a second revision;
- cases moved through the workflow (assessed, referred, admitted, closed with a reason) as time allows.

Calls get `local_date`/`local_hour` from the same helper `log_call` uses. Rows are written with PostgreSQL's COPY
(psycopg) or, on SQLite, executemany; ids are assigned here, then the sequences are moved past them. Nothing is
audited: this is not anybody's action. Refused in production (see cli.seed).
"""

from __future__ import annotations

import contextlib
import functools
import json
import random
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

import sqlalchemy as sa

from caseapp.assessments.models import Assessment
from caseapp.auth.models import Role, User
from caseapp.callbacks.models import Callback, CallbackAttempt
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.calls.services import local_date_and_hour
from caseapp.cases.models import Case
from caseapp.cases.stale import backfill_contacts
from caseapp.encryption.types import ENCRYPTED_TYPES
from caseapp.extensions import db
from caseapp.reference import (
    AttemptOutcome,
    CallbackPriority,
    CallbackStatus,
    CallType,
    CaseStatus,
    Channel,
    CloseReason,
    Direction,
    FundingRoute,
    Pathway,
    Relationship,
    RiskLevel,
    Substance,
)
from caseapp.reports.rollups import POSTGRES_TRIGGERS, LoadedAfter, add_to_report_tables
from caseapp.timeutil import local_day_bounds, now_utc, to_local

#: a progress bar: progress(label, total) is a context manager giving update(n)
ProgressFactory = Callable[[str, int], contextlib.AbstractContextManager[Callable[[int], None]]]

SEED_EMAIL_DOMAIN = "seed.example.invalid"
#: stored as the password hash: not an argon2 string, so no password ever matches (verify_password → False)
NO_LOGIN_HASH = "!seeded-account-cannot-sign-in"
#: synthetic numbers count up from +44 7700 000000, always ten digits after +44 (Ofcom keeps 07700 900000-900999
#: for drama; synthetic data never leaves a development or benchmark database)
FIRST_PHONE = 7_700_000_000

# --- the shape of the helpline's demand --------------------------------------------------------------------------

#: relative calls per local wall-clock hour: quiet small hours, a lunchtime shoulder, a peak from 18:00 to 22:00
# fmt: off
HOUR_PROFILE = (
    2.2, 1.7, 1.3, 1.0, 0.8, 0.7, 0.8, 1.1, 1.7, 2.3, 2.7, 2.9,
    3.0, 3.0, 3.0, 3.2, 3.6, 4.3, 5.2, 5.8, 6.0, 5.6, 4.6, 3.2,
)
# fmt: on
#: Monday .. Sunday: the weekend (and the Monday after it) is busier
WEEKDAY_PROFILE = (1.15, 1.0, 0.95, 0.95, 1.05, 1.25, 1.35)
#: January .. December: new-year resolutions and Dry January; a quieter run-up to Christmas
MONTH_PROFILE = (1.25, 1.05, 1.0, 1.0, 1.0, 0.95, 0.95, 0.95, 1.0, 1.0, 1.0, 0.9)

CALL_TYPE_MIX = {
    CallType.DATA: 80,
    CallType.SILENT: 5,
    CallType.HANG_UP: 7,
    CallType.WRONG_NUMBER: 3,
    CallType.PRANK: 2,
    CallType.ABUSIVE: 1,
    CallType.PROFESSIONAL_ENQUIRY: 2,
}
CHANNEL_MIX = {Channel.PHONE: 78, Channel.WEB_CHAT: 15, Channel.EMAIL: 4, Channel.SMS: 3}
#: share of repeat data calls that are the helpline ringing back
OUTBOUND_SHARE = 0.25
#: share of data calls from someone who has not called before
NEW_CALLER_SHARE = 0.42
WITHHELD_SHARE = 0.15
RELATIONSHIP_MIX = {
    Relationship.SELF: 58,
    Relationship.PARENT: 16,
    Relationship.PARTNER: 12,
    Relationship.CHILD: 4,
    Relationship.OTHER_FAMILY: 4,
    Relationship.FRIEND: 4,
    Relationship.PROFESSIONAL: 2,
}
SUBSTANCE_MIX = {
    Substance.ALCOHOL: 28,
    Substance.HEROIN: 17,
    Substance.COCAINE: 14,
    Substance.KETAMINE: 10,
    Substance.CRACK_COCAINE: 7,
    Substance.CANNABIS: 6,
    Substance.BENZODIAZEPINES: 5,
    Substance.PRESCRIPTION_OPIOIDS: 4,
    Substance.AMPHETAMINES: 3,
    Substance.SYNTHETIC_CANNABINOIDS: 2,
    Substance.GHB_GBL: 2,
    Substance.OTHER: 2,
}
_OPIOID_PATHWAYS = {
    Pathway.MEDICAL_DETOX: 40,
    Pathway.RESIDENTIAL_REHAB: 30,
    Pathway.OUTPATIENT: 15,
    Pathway.DUAL_DIAGNOSIS: 5,
    Pathway.SIGNPOSTED: 7,
    Pathway.NO_FURTHER_ACTION: 3,
}
PATHWAY_MIX: dict[Substance | None, dict[Pathway, int]] = {
    Substance.ALCOHOL: {
        Pathway.MEDICAL_DETOX: 35,
        Pathway.RESIDENTIAL_REHAB: 20,
        Pathway.OUTPATIENT: 30,
        Pathway.DUAL_DIAGNOSIS: 5,
        Pathway.SIGNPOSTED: 7,
        Pathway.NO_FURTHER_ACTION: 3,
    },
    Substance.HEROIN: _OPIOID_PATHWAYS,
    Substance.PRESCRIPTION_OPIOIDS: _OPIOID_PATHWAYS,
    None: {
        Pathway.MEDICAL_DETOX: 15,
        Pathway.RESIDENTIAL_REHAB: 25,
        Pathway.OUTPATIENT: 35,
        Pathway.DUAL_DIAGNOSIS: 10,
        Pathway.SIGNPOSTED: 10,
        Pathway.NO_FURTHER_ACTION: 5,
    },
}
RISK_MIX = {RiskLevel.LOW: 30, RiskLevel.MEDIUM: 42, RiskLevel.HIGH: 22, RiskLevel.IMMEDIATE_DANGER: 6}
FUNDING_MIX = {
    FundingRoute.SELF_FUNDED: 35,
    FundingRoute.PRIVATE_INSURANCE: 15,
    FundingRoute.NHS_LOCAL_AUTHORITY: 40,
    FundingRoute.UNKNOWN: 10,
}
UNASSESSED_CLOSE_REASONS = {
    CloseReason.UNREACHABLE: 40,
    CloseReason.DECLINED: 25,
    CloseReason.NO_FURTHER_ACTION: 25,
    CloseReason.DUPLICATE: 5,
    CloseReason.OTHER: 5,
}
LOST_AFTER_REFERRAL_REASONS = {CloseReason.DECLINED: 50, CloseReason.UNREACHABLE: 35, CloseReason.OTHER: 15}
DAY = 86_400


@dataclass(frozen=True)
class SeedPlan:
    calls: int
    days: int
    seed: int = 1
    #: the last local day of data (inclusive); calls never start after `now`
    end: date | None = None
    #: share of data calls from someone who has not called before (callers ≈ calls × 0.8 × this)
    new_caller_share: float = NEW_CALLER_SHARE
    #: give callers synthetic names (from their own random stream, so every other row stays the same)
    names: bool = False


@dataclass(frozen=True)
class SeedSummary:
    advisors: int
    callers: int
    cases: int
    calls: int
    assessments: int
    callbacks: int
    first_day: date
    last_day: date


class _Picker:
    """Weighted choice of enum members with one random() call (bisect over cumulative weights)."""

    def __init__(self, mix: dict[Any, int]) -> None:
        self.values = list(mix)
        self.cumulative = list(accumulate(mix.values()))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.values[bisect_right(self.cumulative, rng.random() * self.total)]


@contextlib.contextmanager
def _no_progress(_label: str, _total: int) -> Iterator[Callable[[int], None]]:
    yield lambda _n: None


# --- generation ----------------------------------------------------------------------------------------------


@dataclass
class _Calls:
    """Every generated call, in time order, as compact columns (10M calls fit in memory)."""

    start: array[int]  # epoch seconds, UTC
    seconds: array[int]  # talk time
    kind: array[int]  # index into CALL_TYPES
    channel: array[int]
    outbound: array[int]
    advisor: array[int]  # index into the advisor list
    case: array[int]  # case index + 1, 0 for none (non-data calls)
    caller: array[int]  # caller index + 1, 0 for none


CALL_TYPES = list(CallType)
CHANNELS = list(Channel)


def _hour_weights(first: datetime, last: datetime) -> tuple[list[int], list[float]]:
    """The UTC hours in [first, last) and the relative demand of each (by its local hour, weekday and month)."""
    hours: list[int] = []
    weights: list[float] = []
    span = max(1.0, (last - first).total_seconds())
    moment = first
    while moment < last:
        local = to_local(moment)
        trend = 0.9 + 0.2 * (moment - first).total_seconds() / span  # a service growing by a fifth over the period
        weights.append(
            HOUR_PROFILE[local.hour] * WEEKDAY_PROFILE[local.weekday()] * MONTH_PROFILE[local.month - 1] * trend
        )
        hours.append(int(moment.timestamp()))
        moment += timedelta(hours=1)
    return hours, weights


def _rota(advisors: int) -> list[list[int]]:
    """Four teams; each local shift (00-08, 08-16, 16-24) is worked by one of them in turn."""
    teams = [list(range(i, advisors, 4)) for i in range(4)]
    return [team or [0] for team in teams]


def _generate_calls(plan: SeedPlan, rng: random.Random, advisors: int, first: datetime, last: datetime) -> _Calls:
    hours, weights = _hour_weights(first, last)
    per_hour = [0] * len(hours)
    for index in rng.choices(range(len(hours)), weights=weights, k=plan.calls):
        per_hour[index] += 1
    calls = _Calls(*(array("q") for _ in range(8)))
    rota = _rota(advisors)
    kind_pick, channel_pick = _Picker(CALL_TYPE_MIX), _Picker(CHANNEL_MIX)
    data_index, enquiry_index = CALL_TYPES.index(CallType.DATA), CALL_TYPES.index(CallType.PROFESSIONAL_ENQUIRY)
    # repeat callers ring again within days: pick among the most recent callers, exponentially
    new_per_day = max(1.0, plan.calls * 0.8 * plan.new_caller_share / max(1, plan.days))
    mean_gap = max(5.0, new_per_day * 6)
    callers = 0
    for hour_start, count in zip(hours, per_hour, strict=True):
        if not count:
            continue
        local_day, local_hour = local_date_and_hour(datetime.fromtimestamp(hour_start, UTC))
        team = rota[(local_day.toordinal() * 3 + local_hour // 8) % len(rota)]
        for offset in sorted(rng.randrange(3600) for _ in range(count)):
            kind = CALL_TYPES.index(kind_pick(rng))
            outbound = 0
            case = caller = 0
            if kind == data_index:
                seconds = int(min(5400, max(60, rng.lognormvariate(6.4, 0.6))))  # median ~10 minutes
                if callers == 0 or rng.random() < plan.new_caller_share:
                    callers += 1
                    case = caller = callers
                else:
                    case = caller = callers - int(rng.expovariate(1 / mean_gap)) % callers
                    outbound = 1 if rng.random() < OUTBOUND_SHARE else 0
            else:
                seconds = rng.randint(120, 900) if kind == enquiry_index else rng.randint(3, 90)
                if callers and rng.random() < 0.2:  # a known number rang and said nothing (or hung up)
                    caller = callers - int(rng.expovariate(1 / mean_gap)) % callers
            calls.start.append(hour_start + offset)
            calls.seconds.append(seconds)
            calls.kind.append(kind)
            calls.channel.append(CHANNELS.index(channel_pick(rng)) if not outbound else 0)
            calls.outbound.append(outbound)
            calls.advisor.append(team[rng.randrange(len(team))])
            calls.case.append(case)
            calls.caller.append(caller)
    return calls


@dataclass
class _CaseLife:
    """What happened to one case (its calls are known; this adds the assessment and the workflow)."""

    first: int  # index of its first call
    second: int = -1
    last: int = -1
    count: int = 0


@dataclass
class _Assessment:
    case: int
    call: int
    at: int
    substance: Substance
    pathway: Pathway
    risk: RiskLevel
    funding: FundingRoute
    revision: int = 1
    supersedes: int | None = None  # index into the assessment list


@dataclass
class _CaseState:
    status: CaseStatus
    close_reason: CloseReason | None
    closed_at: int | None
    risk: RiskLevel | None
    assigned: int | None  # advisor index
    updated_at: int


def _case_lives(calls: _Calls) -> list[_CaseLife]:
    lives: list[_CaseLife] = []
    for index, case in enumerate(calls.case):
        if not case:
            continue
        if case > len(lives):
            lives.append(_CaseLife(first=index))
        life = lives[case - 1]
        if life.count == 1:
            life.second = index
        life.last = index
        life.count += 1
    return lives


def _assess(
    lives: list[_CaseLife], calls: _Calls, rng: random.Random, as_of: int
) -> tuple[list[_Assessment], list[int | None]]:
    """Assessments (a few corrected later) and, per case, the index of its current (latest) assessment."""
    substance_pick, risk_pick, funding_pick = _Picker(SUBSTANCE_MIX), _Picker(RISK_MIX), _Picker(FUNDING_MIX)
    pathway_picks = {key: _Picker(mix) for key, mix in PATHWAY_MIX.items()}
    assessments: list[_Assessment] = []
    current: list[int | None] = []
    for case_index, life in enumerate(lives):
        if rng.random() >= (0.55 if life.count == 1 else 0.85):
            current.append(None)
            continue
        on = life.first if life.second < 0 or rng.random() < 0.6 else life.second
        substance = substance_pick(rng)
        pick_pathway = pathway_picks.get(substance, pathway_picks[None])
        first = _Assessment(
            case=case_index,
            call=on,
            at=min(as_of, calls.start[on] + calls.seconds[on]),
            substance=substance,
            pathway=pick_pathway(rng),
            risk=risk_pick(rng),
            funding=funding_pick(rng),
        )
        assessments.append(first)
        current.append(len(assessments) - 1)
        corrected_at = first.at + rng.randint(600, 3 * DAY)
        if rng.random() < 0.04 and corrected_at < as_of:
            assessments.append(
                _Assessment(
                    case=case_index,
                    call=on,
                    at=corrected_at,
                    substance=substance,
                    pathway=pick_pathway(rng) if rng.random() < 0.5 else first.pathway,
                    risk=risk_pick(rng),
                    funding=first.funding,
                    revision=2,
                    supersedes=len(assessments) - 1,
                )
            )
            current[-1] = len(assessments) - 1
    return assessments, current


_UNASSESSED_CLOSE = _Picker(UNASSESSED_CLOSE_REASONS)
_LOST_AFTER_REFERRAL = _Picker(LOST_AFTER_REFERRAL_REASONS)


def _workflow(
    life: _CaseLife, assessment: _Assessment | None, calls: _Calls, rng: random.Random, as_of: int
) -> _CaseState:
    """Where the case has got to by `as_of` (the statuses the reports' funnel counts)."""
    opened = calls.start[life.first]
    last_end = calls.start[life.last] + calls.seconds[life.last]
    age_days = (as_of - opened) / DAY
    assigned = calls.advisor[life.first] if rng.random() < 0.7 else None
    status, reason = CaseStatus.NEW, None
    if assessment is None:
        if age_days > 14 and rng.random() < 0.7:
            status, reason = CaseStatus.CLOSED, _UNASSESSED_CLOSE(rng)
        elif life.count > 1 and rng.random() < 0.3:
            status = CaseStatus.ASSESSING
    elif assessment.pathway in (Pathway.SIGNPOSTED, Pathway.NO_FURTHER_ACTION):
        status = CaseStatus.ASSESSED
        if age_days > 2 and rng.random() < 0.8:
            status = CaseStatus.CLOSED
            reason = (
                CloseReason.SIGNPOSTED if assessment.pathway == Pathway.SIGNPOSTED else CloseReason.NO_FURTHER_ACTION
            )
    elif age_days > 1 and rng.random() < 0.55:
        status = CaseStatus.REFERRED
        if age_days > 5 and rng.random() < 0.5:
            status = CaseStatus.ADMITTED
            if age_days > 30 and rng.random() < 0.5:
                status, reason = CaseStatus.CLOSED, CloseReason.TREATMENT_STARTED
        elif age_days > 45 and rng.random() < 0.4:
            status, reason = CaseStatus.CLOSED, _LOST_AFTER_REFERRAL(rng)
    else:
        status = CaseStatus.ASSESSED
        if age_days > 30 and rng.random() < 0.5:
            status, reason = CaseStatus.CLOSED, _UNASSESSED_CLOSE(rng)
    closed_at = None
    if status == CaseStatus.CLOSED:
        closed_at = min(as_of, max(last_end, assessment.at if assessment else 0) + rng.randint(3600, 5 * DAY))
    updated = max(last_end, closed_at or 0, assessment.at if assessment else 0)
    return _CaseState(status, reason, closed_at, assessment.risk if assessment else None, assigned, updated)


PRIORITY_MIX = {CallbackPriority.NORMAL: 80, CallbackPriority.HIGH: 15, CallbackPriority.URGENT: 5}
WINDOWS = (None, None, 15, 30, 30, 60)
#: share of callbacks started by the end of their window
ON_TIME_SHARE = 0.72


@dataclass
class _Callback:
    case: int  # case index
    due: int
    window: int | None
    assignee: int  # advisor index
    status: CallbackStatus
    priority: CallbackPriority
    created: int
    started: int | None = None
    closed: int | None = None
    call: int | None = None  # the outbound call that was its (first) attempt
    attempts: int = 0
    failed: int = 0


def _callbacks(
    calls: _Calls, lives: list[_CaseLife], rng: random.Random, as_of: int, *, pending: bool
) -> list[_Callback]:
    """Each outbound call is a callback being made: mostly within its window, the rest late by a long-tailed
    delay (median about 20 minutes past the window); a tenth never got through (unreachable after three tries).
    Plus callbacks missed, cancelled, and (when the data ends about now: `pending`) still to make around `as_of`,
    a few of them overdue."""
    priority = _Picker(PRIORITY_MIX)
    made: list[_Callback] = []
    for index, outbound in enumerate(calls.outbound):
        if not outbound:
            continue
        case = calls.case[index] - 1
        start, window = calls.start[index], rng.choice(WINDOWS)
        window_end = (window or 0) * 60
        late = rng.random() >= ON_TIME_SHARE
        started_after_due = window_end + int(rng.lognormvariate(7.1, 1.0)) if late else rng.randint(-180, window_end)
        opened = calls.start[lives[case].first]
        due = max(opened + 600, start - started_after_due)
        booked = max(opened, due - rng.randint(3600, 2 * DAY))
        item = _Callback(case, due, window, calls.advisor[index], CallbackStatus.COMPLETED, priority(rng), booked)
        item.started, item.call, item.attempts = start, index, 1
        item.closed = start + calls.seconds[index]
        if rng.random() < 0.1:
            item.status, item.attempts, item.failed = CallbackStatus.UNREACHABLE, 3, 3
            item.closed = min(as_of, start + DAY + rng.randint(0, DAY))
        made.append(item)
    if not lives:
        return made
    for _ in range(len(made) * 7 // 100):  # missed (4%) and cancelled (3%)
        case = rng.randrange(len(lives))
        opened = calls.start[lives[case].first]
        if as_of - opened < 4 * 3600:
            continue
        due = rng.randint(opened + 3600, as_of - 2 * 3600)
        advisor = calls.advisor[lives[case].first]
        item = _Callback(case, due, rng.choice(WINDOWS), advisor, CallbackStatus.MISSED, priority(rng), due - 3600)
        item.closed = due + 3600
        if rng.random() < 3 / 7:
            item.status, item.closed = CallbackStatus.CANCELLED, due - rng.randint(0, 3600)
        made.append(item)
    for case, life in enumerate(lives if pending else ()):  # still to make: cases rung in the last two days
        last = calls.start[life.last]
        if as_of - last < 2 * DAY and rng.random() < 0.3:
            due = rng.randint(max(last, as_of - 2 * 3600), as_of + 36 * 3600)
            advisor = calls.advisor[life.last]
            made.append(
                _Callback(case, due, rng.choice(WINDOWS), advisor, CallbackStatus.SCHEDULED, priority(rng), last)
            )
    return made


# --- writing -------------------------------------------------------------------------------------------------


class _Writer:
    """COPY on PostgreSQL (psycopg), executemany on SQLite; both in the session's transaction."""

    CHUNK = 5000

    def __init__(self, update: Callable[[int], None]) -> None:
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.update = update

    def write(self, model: Any, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        table: sa.Table = model.__table__
        if self.postgres:
            self._copy(table, columns, rows)
        else:
            self._insert(table, columns, rows)

    def _copy(self, table: sa.Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        driver: Any = self.connection.connection.driver_connection
        dialect = self.connection.dialect
        # COPY takes values as stored: JSON as text, encrypted columns as their tokens
        conversions: dict[int, Callable[[Any], Any]] = {}
        for i, name in enumerate(columns):
            column_type = table.c[name].type
            if isinstance(column_type, sa.JSON):
                conversions[i] = json.dumps
            elif isinstance(column_type, ENCRYPTED_TYPES):
                conversions[i] = functools.partial(column_type.process_bind_param, dialect=dialect)
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        written = 0
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                if conversions:
                    values = list(row)
                    for position, convert in conversions.items():
                        values[position] = convert(values[position])
                    row = tuple(values)
                copy.write_row(row)
                written += 1
                if written % self.CHUNK == 0:
                    self.update(self.CHUNK)
        self.update(written % self.CHUNK)

    def _insert(self, table: sa.Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(dict(zip(columns, row, strict=True)))
            if len(batch) == self.CHUNK:
                self.connection.execute(sa.insert(table), batch)
                self.update(len(batch))
                batch = []
        if batch:
            self.connection.execute(sa.insert(table), batch)
            self.update(len(batch))

    @contextlib.contextmanager
    def foreign_keys_checked_once(self, models: Iterable[Any]) -> Iterator[None]:
        """PostgreSQL: drop these tables' foreign keys for the load and add them back after, so each is validated in
        one pass instead of one lookup per row ("Populating a Database" in the PostgreSQL manual; over twice as fast
        here). Same transaction: a failure anywhere rolls the whole seed back, constraints included."""
        if not self.postgres:
            yield
            return
        names = [model.__table__.name for model in models]
        found = self.connection.execute(
            sa.text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = ANY(CAST(:names AS regclass[])) ORDER BY conrelid, conname"
            ),
            {"names": names},
        ).all()
        quote = self.connection.dialect.identifier_preparer.quote
        for table, name, _definition in found:
            self.connection.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        yield
        for table, name, definition in found:
            self.connection.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")

    @contextlib.contextmanager
    def report_triggers_off(self, after: LoadedAfter) -> Iterator[None]:
        """PostgreSQL: the row triggers that keep the report tables current would double the load time; switch them
        off for it (same transaction) and count the new rows into the report tables in bulk after."""
        if not self.postgres:
            yield
            return
        for table, trigger in POSTGRES_TRIGGERS:
            self.connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        yield
        add_to_report_tables(after)
        for table, trigger in POSTGRES_TRIGGERS:
            self.connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")

    def move_sequences(self, models: Iterable[Any]) -> None:
        if not self.postgres:
            return
        for table in (model.__table__ for model in models):
            self.connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))"  # noqa: S608 - our table names
                )
            )


def _utc(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _max_id(model: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0))) or 0)


def _seed_advisors(count: int) -> list[int]:
    """The synthetic rota's accounts (reused when seeding again); they cannot sign in."""
    emails = [f"seed-advisor-{n:03d}@{SEED_EMAIL_DOMAIN}" for n in range(1, count + 1)]
    existing = dict(db.session.execute(sa.select(User.email, User.id).where(User.email.in_(emails))).all())
    for n, email in enumerate(emails, 1):
        if email not in existing:
            user = User(email=email, full_name=f"Seed Advisor {n:03d}", role=Role.ADVISOR, password_hash=NO_LOGIN_HASH)
            db.session.add(user)
            db.session.flush()
            existing[email] = user.id
    return [existing[email] for email in emails]


def _first_free_phone() -> int:
    """How many synthetic numbers are taken (all the same length, so the largest string is the largest number)."""
    synthetic = sa.and_(Caller.phone_e164.like("+4477%"), sa.func.length(Caller.phone_e164) == 13)
    top = db.session.scalar(sa.select(sa.func.max(Caller.phone_e164)).where(synthetic))
    return max(0, int(top[3:]) - FIRST_PHONE + 1) if top else 0


def seed(plan: SeedPlan, *, progress: ProgressFactory = _no_progress) -> SeedSummary:
    """Generate and insert the data (flushes, never commits: the CLI command does)."""
    if plan.calls < 0 or plan.days < 1:
        raise ValueError("calls must be >= 0 and days >= 1")
    rng = random.Random(plan.seed)  # noqa: S311 - synthetic data, reproducible on purpose
    now = now_utc()
    last_day = plan.end or to_local(now).date()
    first_day = last_day - timedelta(days=plan.days - 1)
    first = local_day_bounds(first_day)[0]
    last = min(local_day_bounds(last_day)[1], now.replace(minute=0, second=0, microsecond=0))
    if last <= first:
        raise ValueError("the period has no hours before now; choose an earlier --end")
    as_of = int(last.timestamp())
    advisor_count = max(8, min(80, plan.calls // max(1, plan.days) // 40))
    advisor_ids = _seed_advisors(advisor_count)

    calls = _generate_calls(plan, rng, advisor_count, first, last)
    lives = _case_lives(calls)
    assessments, current = _assess(lives, calls, rng, as_of)
    # cases move on after their last call: how far they have got is judged at the real "now"
    horizon = int(now.timestamp())
    states = [
        _workflow(life, assessments[a] if a is not None else None, calls, rng, horizon)
        for life, a in zip(lives, current, strict=True)
    ]
    callbacks = _callbacks(calls, lives, rng, as_of, pending=horizon - as_of < 2 * DAY)
    relationship_pick = _Picker(RELATIONSHIP_MIX)

    call_base, caller_base, case_base = _max_id(Call), _max_id(Caller), _max_id(Case)
    assessment_base, phone_base = _max_id(Assessment), _first_free_phone()
    callback_base, attempt_base = _max_id(Callback), _max_id(CallbackAttempt)
    total = len(lives) * 2 + len(calls.start) + len(assessments) + len(callbacks) + sum(c.attempts for c in callbacks)
    with progress("Writing", total) as update:
        writer = _Writer(update)
        tables = [Caller, Case, Call, Assessment, Callback, CallbackAttempt]
        with (
            writer.foreign_keys_checked_once(tables),
            writer.report_triggers_off(LoadedAfter(call_base, assessment_base, case_base, callback_base)),
        ):
            writer.write(
                Caller,
                _CALLER_COLUMNS,
                _caller_rows(lives, calls, rng, relationship_pick, caller_base, phone_base, _namer(plan)),
            )
            writer.write(Case, _CASE_COLUMNS, _case_rows(lives, states, calls, advisor_ids, case_base, caller_base))
            writer.write(Call, _CALL_COLUMNS, _call_rows(calls, advisor_ids, call_base, case_base, caller_base))
            writer.write(
                Assessment,
                _ASSESSMENT_COLUMNS,
                _assessment_rows(assessments, calls, advisor_ids, assessment_base, case_base, call_base),
            )
            writer.write(Callback, _CALLBACK_COLUMNS, _callback_rows(callbacks, advisor_ids, callback_base, case_base))
            writer.write(
                CallbackAttempt,
                _ATTEMPT_COLUMNS,
                _attempt_rows(callbacks, advisor_ids, callback_base, attempt_base, call_base),
            )
            # the bulk rows went round log_call and record_attempt: each new case's last contact, set-based
            backfill_contacts(after_case_id=case_base)
        writer.move_sequences(tables)
    db.session.flush()
    return SeedSummary(
        advisors=advisor_count,
        callers=len(lives),
        cases=len(lives),
        calls=len(calls.start),
        assessments=len(assessments),
        callbacks=len(callbacks),
        first_day=first_day,
        last_day=last_day,
    )


_CALLER_COLUMNS = (
    "id",
    "phone_e164",
    "name",
    "relationship",
    "consent_callback",
    "consent_voicemail",
    "consent_sms",
    "created_at",
    "updated_at",
)


# fmt: off
FIRST_NAMES = (
    "Aisha", "Alex", "Amelia", "Ben", "Callum", "Chloe", "Daniel", "Eleanor", "Emma", "Fatima", "Freya", "George",
    "Grace", "Harry", "Isla", "Jack", "James", "Jo", "Kai", "Leah", "Liam", "Lily", "Mohammed", "Mia", "Noah",
    "Olivia", "Oscar", "Priya", "Rhys", "Ruby", "Sam", "Sophie", "Thomas", "Zara",
)
SURNAMES = (
    "Ahmed", "Baker", "Begum", "Brown", "Campbell", "Clarke", "Davies", "Evans", "Green", "Hall", "Hughes", "Jones",
    "Khan", "Kowalski", "Lewis", "Morgan", "Murphy", "O'Brien", "Patel", "Roberts", "Robinson", "Singh", "Smith",
    "Taylor", "Thomas", "Thompson", "Walker", "White", "Williams", "Wilson", "Wood", "Wright", "Young",
)
# fmt: on


def _namer(plan: SeedPlan) -> Callable[[], str | None] | None:
    """Synthetic caller names (most give a full name, some a first name, some none), or None for anonymous callers
    only. Their own random stream: turning names on changes no other row."""
    if not plan.names:
        return None
    rng = random.Random(plan.seed * 7919 + 1)  # noqa: S311 - synthetic data, reproducible on purpose

    def name() -> str | None:
        roll = rng.random()
        if roll < 0.15:
            return None
        first = rng.choice(FIRST_NAMES)
        return first if roll < 0.4 else f"{first} {rng.choice(SURNAMES)}"

    return name


def _caller_rows(
    lives: list[_CaseLife],
    calls: _Calls,
    rng: random.Random,
    pick: _Picker,
    base: int,
    phone_base: int,
    namer: Callable[[], str | None] | None = None,
) -> Iterator[tuple[Any, ...]]:
    for index, life in enumerate(lives):
        phone = None if rng.random() < WITHHELD_SHARE else f"+44{FIRST_PHONE + phone_base + index}"
        created = _utc(calls.start[life.first])
        yield (
            base + index + 1,
            phone,
            namer() if namer else None,  # anonymous unless the plan asks for names
            pick(rng).value,
            rng.random() < 0.7,
            rng.random() < 0.4,
            rng.random() < 0.5,
            created,
            created,
        )


_CASE_COLUMNS = (
    "id",
    "reference_year",
    "caller_id",
    "status",
    "close_reason",
    "closed_at",
    "assigned_advisor_id",
    "risk_level",
    "version",
    "created_at",
    "updated_at",
)


def _case_rows(
    lives: list[_CaseLife], states: list[_CaseState], calls: _Calls, advisor_ids: list[int], base: int, caller_base: int
) -> Iterator[tuple[Any, ...]]:
    for index, (life, state) in enumerate(zip(lives, states, strict=True)):
        opened = _utc(calls.start[life.first])
        yield (
            base + index + 1,
            to_local(opened).year,
            caller_base + index + 1,
            state.status.value,
            state.close_reason.value if state.close_reason else None,
            _utc(state.closed_at) if state.closed_at is not None else None,
            advisor_ids[state.assigned] if state.assigned is not None else None,
            state.risk.value if state.risk else None,
            1,
            opened,
            _utc(state.updated_at),
        )


_CALL_COLUMNS = (
    "id",
    "call_type",
    "case_id",
    "caller_id",
    "advisor_id",
    "direction",
    "channel",
    "started_at",
    "ended_at",
    "local_date",
    "local_hour",
    "tags",
    "created_at",
)


def _call_rows(
    calls: _Calls, advisor_ids: list[int], base: int, case_base: int, caller_base: int
) -> Iterator[tuple[Any, ...]]:
    kinds = [kind.value for kind in CALL_TYPES]
    channels = [channel.value for channel in CHANNELS]
    directions = (Direction.INBOUND.value, Direction.OUTBOUND.value)
    # log_call's helper, asked once per UTC quarter-hour: every UTC offset and clock change is on a quarter-hour, so
    # all instants of one quarter-hour share their local date and hour (and this runs a million times)
    local_of: dict[int, tuple[date, int]] = {}
    for index, start in enumerate(calls.start):
        started = _utc(start)
        ended = _utc(start + calls.seconds[index])
        quarter = start // 900
        if quarter not in local_of:
            local_of[quarter] = local_date_and_hour(started)
        local_day, local_hour = local_of[quarter]
        case, caller = calls.case[index], calls.caller[index]
        yield (
            base + index + 1,
            kinds[calls.kind[index]],
            case_base + case if case else None,
            caller_base + caller if caller else None,
            advisor_ids[calls.advisor[index]],
            directions[calls.outbound[index]],
            channels[calls.channel[index]],
            started,
            ended,
            local_day,
            local_hour,
            [],
            ended,
        )


_ASSESSMENT_COLUMNS = (
    "id",
    "case_id",
    "call_id",
    "advisor_id",
    "form_version",
    "supersedes_id",
    "revision",
    "primary_substance",
    "recommended_pathway",
    "risk_level",
    "funding_route",
    "consent_data_processing",
    "consent_recorded_at",
    "answers",
    "created_at",
)


def _assessment_rows(
    assessments: list[_Assessment], calls: _Calls, advisor_ids: list[int], base: int, case_base: int, call_base: int
) -> Iterator[tuple[Any, ...]]:
    from caseapp.assessments.schemas import FORM_VERSION

    for index, item in enumerate(assessments):
        at = _utc(item.at)
        answers = {"substances": [item.substance.value], "dual_diagnosis": False}
        yield (
            base + index + 1,
            case_base + item.case + 1,
            call_base + item.call + 1,
            advisor_ids[calls.advisor[item.call]],
            FORM_VERSION,
            base + item.supersedes + 1 if item.supersedes is not None else None,
            item.revision,
            item.substance.value,
            item.pathway.value,
            item.risk.value,
            item.funding.value,
            True,
            at,
            answers,
            at,
        )


SEEDED_TABLES = (
    "callers",
    "cases",
    "calls",
    "assessments",
    "callbacks",
    "callback_attempts",
    "report_call_hours",
    "report_case_facts",
)


def vacuum_analyze() -> None:
    """After a big seed on PostgreSQL: fresh statistics and visibility map (index-only scans). Outside a transaction."""
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in SEEDED_TABLES:
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")


_CALLBACK_COLUMNS = (
    "id",
    "case_id",
    "due_at",
    "window_minutes",
    "assignee_id",
    "priority",
    "status",
    "attempt_count",
    "failed_attempt_count",
    "outside_preferred_times",
    "created_by_id",
    "started_at",
    "closed_at",
    "cancel_reason",
    "version",
    "updated_at",
    "created_at",
)


def _callback_rows(
    callbacks: list[_Callback], advisor_ids: list[int], base: int, case_base: int
) -> Iterator[tuple[Any, ...]]:
    for index, item in enumerate(callbacks):
        advisor = advisor_ids[item.assignee]
        yield (
            base + index + 1,
            case_base + item.case + 1,
            _utc(item.due),
            item.window,
            advisor,
            item.priority.value,
            item.status.value,
            item.attempts,
            item.failed,
            False,
            advisor,
            _utc(item.started) if item.started is not None else None,
            _utc(item.closed) if item.closed is not None else None,
            "No longer needed" if item.status == CallbackStatus.CANCELLED else None,
            1,
            _utc(item.closed or item.created),
            _utc(item.created),
        )


_ATTEMPT_COLUMNS = ("id", "callback_id", "outcome", "call_id", "advisor_id", "attempted_at", "created_at")


def _attempt_rows(
    callbacks: list[_Callback], advisor_ids: list[int], base: int, attempt_base: int, call_base: int
) -> Iterator[tuple[Any, ...]]:
    number = attempt_base
    for index, item in enumerate(callbacks):
        if item.started is None:
            continue
        answered = item.status == CallbackStatus.COMPLETED
        for attempt in range(item.attempts):
            number += 1
            at = _utc(item.started + attempt * (4 * 3600))
            yield (
                number,
                base + index + 1,
                (AttemptOutcome.ANSWERED if answered else AttemptOutcome.NO_ANSWER).value,
                call_base + item.call + 1 if attempt == 0 and item.call is not None else None,
                advisor_ids[item.assignee],
                at,
                at,
            )
