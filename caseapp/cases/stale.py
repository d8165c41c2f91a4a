"""Stale cases: open cases nobody has reached for N days and nobody is due to ring, so no caller drops out silently.

The rule, in one place:

- a **successful contact** is a call logged on the case (a data call, inbound or outbound), or a callback attempt
  answered; the call logged for an attempt with any other outcome (no answer, voicemail, wrong number, call back
  later) does not count;
- the days are **local calendar days** (Europe/London) since the last successful contact, or since the case was
  opened when nobody has been reached: with N = 14, a contact on 1 March is stale on 15 March whatever the hour, and
  the list stays the same all day;
- a case is **stale** when it is open, its days are N or more, and it has **no open callback** (scheduled, in
  progress or no answer: somebody is already due to ring, even if late, and the callback clocks deal with that).

Each case keeps its last successful contact (`cases.last_contact_at`): `record_contact` moves it on as calls and
answered attempts are written, `recount_contact` works it out again when an attempt not answered names the call
logged for it. Working it out on every read means a probe of the calls and attempts of every open case (a year of data:
167,000 open cases, 2.4 s to count and 5.4 s for a page); kept on the case, the list is a range of one partial index
(`ix_cases_open_contact_clock`) in the order the page shows, and a page of it is one statement.

`notify_managers` is the daily task's service: an in-app notification to every manager and admin with the count and
a link to the page, once per local day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.util import identity_key

from caseapp.audit.services import record_event
from caseapp.auth import queries as auth_queries
from caseapp.auth.models import Role
from caseapp.callbacks.models import OPEN_STATUSES as OPEN_CALLBACK_STATUSES
from caseapp.callbacks.models import Callback, CallbackAttempt
from caseapp.calls.models import Call
from caseapp.cases.models import OPEN_STATUSES as OPEN_CASE_STATUSES
from caseapp.cases.models import Case, StaleCaseDigest
from caseapp.db import UTCDateTime
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.pagination import decode_cursor, encode_cursor
from caseapp.reference import AttemptOutcome, CallType, CaseStatus, RiskLevel
from caseapp.timeutil import latest_wall_clock, local_day_bounds, local_days_since, now_utc, parse_time_of_day, to_local

#: the managers' page (notifications link to it; a test checks it is the route of cases.stale)
PAGE_PATH = "/cases/stale"
NOTIFICATION_KIND = "stale_cases"
#: a run this little before STALE_CASES_AT is that day's (a worker's clock a moment behind beat's)
EARLY_RUN_GRACE = timedelta(minutes=15)

#: what the days count from: the last successful contact, else the opening (ix_cases_open_contact_clock's key)
CONTACT_CLOCK = sa.func.coalesce(Case.last_contact_at, Case.created_at, type_=UTCDateTime())


# --- keeping each case's last successful contact -----------------------------------------------------------------


def record_contact(case_id: int, at: datetime) -> None:
    """A successful contact at `at` (a call logged on the case, an answered attempt): the case's last contact moves
    on to it unless a later one is known. One UPDATE that leaves the case's version and updated_at alone (a contact is
    no edit of the case: nobody's open form of it becomes stale)."""
    later = sa.or_(Case.last_contact_at.is_(None), Case.last_contact_at < at)
    db.session.execute(
        sa.update(Case)
        .where(Case.id == case_id, later)
        .values(last_contact_at=at, updated_at=Case.updated_at)
        .execution_options(synchronize_session=False)
    )
    _forget_loaded(case_id)


def recount_contact(case_id: int) -> None:
    """Work the case's last contact out again from its calls and attempts (after an attempt not answered names its
    call, which then no longer counts). The case's row is locked first, so a contact written at the same moment by
    someone else is either seen here or applied after (record_contact's UPDATE waits for the lock)."""
    db.session.execute(sa.select(Case.id).where(Case.id == case_id).with_for_update())
    last = sa.select(sa.func.max(_contacts(case_id).c.at)).scalar_subquery()
    db.session.execute(
        sa.update(Case)
        .where(Case.id == case_id)
        .values(last_contact_at=last, updated_at=Case.updated_at)
        .execution_options(synchronize_session=False)
    )
    _forget_loaded(case_id)


def _forget_loaded(case_id: int) -> None:
    """The UPDATE went round the identity map: a Case already loaded reads the column again when next used."""
    loaded = db.session.identity_map.get(identity_key(Case, case_id))
    if loaded is not None:
        db.session.expire(loaded, ["last_contact_at"])


def _contacts(case_id: int | None = None, *, after_case_id: int = 0) -> sa.Subquery:
    """(case_id, at) of every successful contact, from the calls and attempts themselves: of one case, or of every
    case with an id above `after_case_id`."""
    unsuccessful_attempt = sa.exists().where(
        CallbackAttempt.call_id == Call.id, CallbackAttempt.outcome != AttemptOutcome.ANSWERED
    )
    calls = sa.select(Call.case_id.label("case_id"), Call.started_at.label("at")).where(
        Call.case_id == case_id if case_id is not None else Call.case_id > after_case_id,
        Call.call_type == CallType.DATA,
        ~unsuccessful_attempt,
    )
    answered = (
        sa.select(Callback.case_id, CallbackAttempt.attempted_at)
        .join(Callback, Callback.id == CallbackAttempt.callback_id)
        .where(
            Callback.case_id == case_id if case_id is not None else Callback.case_id > after_case_id,
            CallbackAttempt.outcome == AttemptOutcome.ANSWERED,
        )
    )
    return sa.union_all(calls, answered).subquery("contacts")


def last_contact_of(case_id: int) -> datetime | None:
    """The case's last successful contact worked out from its calls and attempts (what cases.last_contact_at keeps)."""
    return db.session.scalar(sa.select(sa.func.max(_contacts(case_id).c.at)))


def backfill_contacts(after_case_id: int = 0) -> None:
    """Set the last contact of every case with an id above `after_case_id` from its calls and attempts in one
    set-based UPDATE (rows loaded in bulk, e.g. by `caseapp seed`, did not go through record_contact)."""
    contacts = _contacts(after_case_id=after_case_id)
    last = sa.select(contacts.c.case_id, sa.func.max(contacts.c.at).label("at")).group_by(contacts.c.case_id).subquery()
    db.session.execute(
        sa.update(Case)
        .where(Case.id == last.c.case_id)
        .values(last_contact_at=last.c.at)
        .execution_options(synchronize_session=False)
    )


# --- the rule ----------------------------------------------------------------------------------------------------


def cutoff(days: int, now: datetime) -> datetime:
    """A case whose clock (last contact, else opening) is before this instant is `days` or more local days old: the
    local midnight that starts the day `days - 1` days before today."""
    today = to_local(now).date()
    return local_day_bounds(today - timedelta(days=days - 1))[0]


def _criteria(days: int, now: datetime) -> list[sa.ColumnElement[bool]]:
    open_callback = sa.exists().where(Callback.case_id == Case.id, Callback.status.in_(OPEN_CALLBACK_STATUSES))
    return [Case.status.in_(OPEN_CASE_STATUSES), CONTACT_CLOCK < cutoff(days, now), ~open_callback]


# --- reading the list --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaleCase:
    """One row of the list, as values read in the list's one statement (so nothing is loaded again per row, even
    after the commit that audits the read has expired the session's objects)."""

    id: int
    reference: str
    status: CaseStatus
    risk_level: RiskLevel | None
    #: only a first name: the list needs no more to recognise a caller (None for an anonymous one)
    caller_first_name: str | None
    assigned_advisor_id: int | None
    assigned_advisor_name: str | None
    #: the latest successful contact; None when nobody has been reached since the case was opened
    last_contact_at: datetime | None
    opened_at: datetime
    #: local days since the last successful contact, or since the case was opened
    days_since: int
    #: the case's version, for a change made from the list (the Assign form)
    version: int

    @classmethod
    def of(cls, case: Case, now: datetime) -> StaleCase:
        name = (case.caller.name or "").strip()
        advisor = case.assigned_advisor
        return cls(
            id=case.id,
            reference=case.reference,
            status=case.status,
            risk_level=case.risk_level,
            caller_first_name=name.split()[0] if name else None,
            assigned_advisor_id=case.assigned_advisor_id,
            assigned_advisor_name=advisor.full_name if advisor is not None else None,
            last_contact_at=case.last_contact_at,
            opened_at=case.created_at,
            days_since=local_days_since(case.contact_clock_at, now),
            version=case.version,
        )

    @property
    def contact_clock_at(self) -> datetime:
        return self.last_contact_at or self.opened_at

    @property
    def opened_on(self) -> date:
        """The UK date the case was opened."""
        return to_local(self.opened_at).date()


def select_stale_cases(days: int, now: datetime) -> sa.Select[Case]:
    """Every stale case, most stale first (longest without contact, then the older case)."""
    return sa.select(Case).where(*_criteria(days, now)).order_by(CONTACT_CLOCK.asc(), Case.id.asc())


def count_stale_cases(days: int, now: datetime) -> int:
    return db.session.scalar(sa.select(sa.func.count(Case.id)).where(*_criteria(days, now))) or 0


def _rows(query: sa.Select[Case], now: datetime) -> list[StaleCase]:
    return [StaleCase.of(case, now) for case in db.session.scalars(query)]


@dataclass(frozen=True)
class StalePage:
    """A numbered page of the list, with what the pages' pager macro reads."""

    items: list[StaleCase]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1


def stale_page(days: int, now: datetime, *, page: int, per_page: int) -> StalePage:
    """Page `page` (from 1) of the list: two statements, the count and the rows, however many rows there are."""
    page = max(page, 1)
    total = count_stale_cases(days, now)
    rows = _rows(select_stale_cases(days, now).limit(per_page).offset((page - 1) * per_page), now)
    return StalePage(rows, page, per_page, total)


def stale_after(days: int, now: datetime, *, cursor: str | None, limit: int) -> tuple[list[StaleCase], str | None]:
    """One page for the API, keyset-paginated on (clock, id) like the other lists; returns the next cursor."""
    query = sa.select(Case).where(*_criteria(days, now))
    if cursor:
        after_clock, after_id = decode_cursor(cursor, [datetime, int])
        key = sa.tuple_(CONTACT_CLOCK, Case.id)
        query = query.where(key > sa.tuple_(sa.literal(after_clock, UTCDateTime()), sa.literal(after_id)))
    items = _rows(query.order_by(CONTACT_CLOCK.asc(), Case.id.asc()).limit(limit + 1), now)
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    return items, encode_cursor([items[-1].contact_clock_at, items[-1].id])


# --- the daily notice --------------------------------------------------------------------------------------------


def configured_days() -> int:
    return int(current_app.config["STALE_CASE_DAYS"])


def notice_title(count: int, days: int) -> str:
    cases = "1 open case" if count == 1 else f"{count} open cases"
    return f"{cases}: nobody reached for {days} days or more, and no callback booked"


def notify_managers(now: datetime | None = None) -> StaleCaseDigest | None:
    """Tell every active manager and admin (in-app) how many cases are stale, with a link to the list; nobody when
    the list is empty. Once per local day: the day's row is inserted first under its unique date, so a second run
    that day (a redelivered or repeated task, two workers at once) inserts nothing, tells nobody and returns None.

    The day is that of the latest STALE_CASES_AT at or before now (a run at 06:30 belongs to yesterday's 07:00, so
    a late run never takes the next morning's notice). The caller commits."""
    now = now or now_utc()
    days = configured_days()
    at = parse_time_of_day(current_app.config["STALE_CASES_AT"])
    day = to_local(latest_wall_clock(now + EARLY_RUN_GRACE, at)).date()
    count = count_stale_cases(days, now)
    recipients = [user.id for user in auth_queries.list_active_staff(Role.MANAGER)] if count else []
    digest_id = _claim_day(day, days=days, case_count=count, recipients=len(recipients))
    if digest_id is None:
        return None
    notifications.notify(recipients, kind=NOTIFICATION_KIND, title=notice_title(count, days), link=PAGE_PATH)
    record_event(
        "case.stale_notified",
        actor_id=None,
        detail={"date": day.isoformat(), "days": days, "cases": count, "recipients": len(recipients)},
    )
    return db.session.get(StaleCaseDigest, digest_id)


def _claim_day(day: date, *, days: int, case_count: int, recipients: int) -> int | None:
    """INSERT the day's row ... ON CONFLICT (local_date) DO NOTHING: its id, or None when the day is taken."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(StaleCaseDigest)
        .values(local_date=day, days=days, case_count=case_count, recipients=recipients)
        .on_conflict_do_nothing(index_elements=["local_date"])
        .returning(StaleCaseDigest.id)
    )
    return db.session.scalar(statement)
