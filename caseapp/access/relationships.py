"""The queries that decide a relationship between a member of staff and a case (policy.py says what each allows).

One case: no statement when the case itself says (assigned to them, or open and unassigned); otherwise one SELECT
of indexed EXISTS checks. A list: `related_to()` is the same rule as a WHERE clause, so lists are narrowed in SQL."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, aliased

from caseapp.access.models import BreakGlassGrant
from caseapp.access.policy import Relationship
from caseapp.callbacks.models import OPEN_STATUSES as OPEN_CALLBACK_STATUSES
from caseapp.callbacks.models import Callback
from caseapp.calls.models import Call
from caseapp.cases.models import OPEN_STATUSES, Case
from caseapp.extensions import db


def relationship_from_row(case: Case, user_id: int) -> Relationship | None:
    """What the case row alone tells (no statement), or None when the other records must be asked."""
    if case.assigned_advisor_id == user_id:
        return Relationship.ASSIGNED
    if case.assigned_advisor_id is None and case.status in OPEN_STATUSES:
        return Relationship.POOL
    return None


#: a case id: a column (of cases, or another table's case_id), or a value
_CaseId = (
    sa.ColumnElement[int]
    | sa.ColumnElement[int | None]
    | InstrumentedAttribute[int]
    | InstrumentedAttribute[int | None]
    | int
)

# each check on an alias of its own, so it never correlates with the same table in a query it is put in (a list
# of calls or callbacks narrowed by their case)


def _called(case_id: _CaseId, user_id: int) -> sa.Exists:
    call = aliased(Call)
    return sa.exists().where(call.case_id == case_id, call.advisor_id == user_id)


def _holds_callback(case_id: _CaseId, user_id: int) -> sa.Exists:
    callback = aliased(Callback)
    return sa.exists().where(callback.case_id == case_id, callback.assignee_id == user_id)


def _pooled_callback(case_id: _CaseId) -> sa.Exists:
    callback = aliased(Callback)
    return sa.exists().where(
        callback.case_id == case_id, callback.assignee_id.is_(None), callback.status.in_(OPEN_CALLBACK_STATUSES)
    )


def _granted(case_id: _CaseId, user_id: int, now: datetime) -> sa.Exists:
    grant = aliased(BreakGlassGrant)
    return sa.exists().where(grant.case_id == case_id, grant.user_id == user_id, grant.expires_at > now)


def relationship_to_case(case: Case, user_id: int, now: datetime) -> Relationship:
    """The first relationship (policy order) `user_id` has with `case`; NONE when there is none."""
    from_row = relationship_from_row(case, user_id)
    if from_row is not None:
        return from_row
    row = db.session.execute(
        sa.select(
            _called(case.id, user_id).label("called"),
            _holds_callback(case.id, user_id).label("callback"),
            _pooled_callback(case.id).label("pool"),
            _granted(case.id, user_id, now).label("granted"),
        )
    ).one()
    for name, relationship in (
        ("called", Relationship.CALLED),
        ("callback", Relationship.CALLBACK),
        ("pool", Relationship.POOL),
        ("granted", Relationship.GRANTED),
    ):
        if getattr(row, name):
            return relationship
    return Relationship.NONE


def related_to(user_id: int, now: datetime) -> sa.ColumnElement[bool]:
    """WHERE, on a query of cases: a case `user_id` has a relationship with (every relationship but a lookup, which
    only an exact number or reference makes)."""
    return sa.or_(
        Case.assigned_advisor_id == user_id,
        sa.and_(Case.assigned_advisor_id.is_(None), Case.status.in_(OPEN_STATUSES)),
        _called(Case.id, user_id),
        _holds_callback(Case.id, user_id),
        _pooled_callback(Case.id),
        _granted(Case.id, user_id, now),
    )


def case_related_to(case_id: _CaseId, user_id: int, now: datetime) -> sa.ColumnElement[bool]:
    """WHERE, on a query of another table: its `case_id` column names a case `user_id` has a relationship with."""
    case = aliased(Case)
    return sa.exists().where(
        case.id == case_id,
        sa.or_(
            case.assigned_advisor_id == user_id,
            sa.and_(case.assigned_advisor_id.is_(None), case.status.in_(OPEN_STATUSES)),
            _called(case.id, user_id),
            _holds_callback(case.id, user_id),
            _pooled_callback(case.id),
            _granted(case.id, user_id, now),
        ),
    )
