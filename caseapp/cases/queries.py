from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from caseapp.callers.models import Caller, CallerNumber
from caseapp.cases.models import OPEN_STATUSES, Case, CaseNote, parse_reference
from caseapp.errors import NotFound
from caseapp.extensions import db
from caseapp.reference import CaseStatus, RiskLevel


def get_case(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("No such case.")
    return case


def lock_case(case_id: int) -> Case:
    """The case, its row locked for the rest of the transaction (FOR UPDATE OF cases; nothing on SQLite) and its
    attributes re-read: writers of one case take turns, so the version a writer checks is the one it overwrites."""
    query = sa.select(Case).where(Case.id == case_id).with_for_update(of=Case).execution_options(populate_existing=True)
    case = db.session.scalars(query).unique().one_or_none()
    if case is None:
        raise NotFound("No such case.")
    return case


def find_case(case_id: int) -> Case | None:
    return db.session.get(Case, case_id)


def find_open_case_for_caller(caller_id: int) -> Case | None:
    query = (
        sa.select(Case)
        .where(Case.caller_id == caller_id, Case.status.in_(OPEN_STATUSES))
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)


def find_case_by_reference(text: str) -> Case | None:
    parsed = parse_reference(text)
    if parsed is None:
        return None
    year, case_id = parsed
    case = db.session.get(Case, case_id)
    return case if case is not None and case.reference_year == year else None


def select_cases(
    *,
    statuses: Sequence[CaseStatus] = (),
    advisor_id: int | None = None,
    risk_levels: Sequence[RiskLevel] = (),
    open_only: bool = False,
) -> sa.Select[Case]:
    query = sa.select(Case)
    if statuses:
        query = query.where(Case.status.in_(statuses))
    elif open_only:
        query = query.where(Case.status.in_(OPEN_STATUSES))
    if advisor_id is not None:
        query = query.where(Case.assigned_advisor_id == advisor_id)
    if risk_levels:
        query = query.where(Case.risk_level.in_(risk_levels))
    return query


def cases_for_caller(caller_id: int) -> list[Case]:
    query = sa.select(Case).where(Case.caller_id == caller_id).order_by(Case.updated_at.desc(), Case.id.desc())
    return list(db.session.scalars(query))


def select_cases_for_callers(caller_ids: Sequence[int]) -> sa.Select[Case]:
    return sa.select(Case).where(Case.caller_id.in_(caller_ids)).order_by(Case.updated_at.desc())


#: a name search needs this many characters: shorter ones match nearly every name (and no trigram narrows them)
NAME_SEARCH_MIN_LENGTH = 3


def select_case_search(text: str, phone_e164: str | None) -> sa.Select[Case]:
    """Cases matching a reference, a phone number (already normalised; the caller's main or an other number) or part
    of the caller's name."""
    by_reference = parse_reference(text)
    if by_reference is not None:
        year, case_id = by_reference
        return sa.select(Case).where(Case.id == case_id, Case.reference_year == year)
    if phone_e164:
        other = sa.select(CallerNumber.caller_id).where(CallerNumber.phone_e164 == phone_e164).scalar_subquery()
        # the caller's main number or one of their other numbers
        query = sa.select(Case).join(Case.caller).where(sa.or_(Caller.phone_e164 == phone_e164, Caller.id == other))
    else:
        query = sa.select(Case).where(_caller_named(text))
    return query.order_by(Case.updated_at.desc(), Case.id.desc())


def search_cases_by_name(text: str, limit: int, only: sa.ColumnElement[bool] | None = None) -> list[Case]:
    """Up to `limit` + 1 cases whose caller's name contains `text` (any case; % and _ are themselves), most recently
    updated first: one more than asked for says there are more (a name search is narrowed by typing, not paged).
    `only`: a further condition on the cases (those the person searching may find)."""
    if len(text.strip()) < NAME_SEARCH_MIN_LENGTH:
        return []
    newest = (Case.updated_at.desc(), Case.id.desc())
    # the ids first, narrow: joining each match's caller and advisor before the sort would read them all
    shown = sa.select(Case.id).where(_caller_named(text))
    if only is not None:
        shown = shown.where(only)
    shown = shown.order_by(*newest).limit(limit + 1)
    return list(db.session.scalars(sa.select(Case).where(Case.id.in_(shown.scalar_subquery())).order_by(*newest)))


def _caller_named(text: str) -> sa.ColumnElement[bool]:
    """The case's caller's name contains `text`. The callers are found first, by `lower(name) LIKE '%…%'`, which
    PostgreSQL's trigram index on lower(name) serves (migration 4f2a9c1e7b30; without it, a scan of callers), then
    their cases by ix_cases_caller_id. PostgreSQL: `caller_id = ANY(ARRAY(…))`, because with a join or IN it
    hash-joins every case instead (87-150 ms for a surname 5,000 of 300,000 callers share); SQLite: IN (…)."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    callers = sa.select(Caller.id).where(sa.func.lower(Caller.name).like(f"%{escaped}%", escape="\\"))
    if db.session.get_bind().dialect.name == "postgresql":
        return Case.caller_id == sa.func.any(sa.func.array(callers.scalar_subquery()))
    return Case.caller_id.in_(callers)


def notes_for_case(case_id: int) -> list[CaseNote]:
    query = sa.select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.created_at.desc())
    return list(db.session.scalars(query))
