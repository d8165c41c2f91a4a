"""Which cases and callers the policy reaches, and which rows of each table belong to them (read-only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from caseapp.assessments.models import Assessment
from caseapp.callbacks.models import Callback
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import CaseStatus
from caseapp.referrals.models import Referral
from caseapp.retention.policy import Scope


def _caller_has_hold(caller_id: Any) -> sa.Exists:
    held = aliased(Case)
    return sa.exists().where(held.caller_id == caller_id, held.legal_hold_at.is_not(None))


def _case_due(case: Any, cutoff: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(case.status == CaseStatus.CLOSED, case.closed_at < cutoff)


def due_case_ids(cutoff: datetime, limit: int | None = None) -> list[int]:
    """Closed before `cutoff`, not anonymised yet, and no case of their caller on legal hold; oldest first. Locked
    (skipping rows another run holds) when `limit` is given: the run's batch."""
    query = (
        sa.select(Case.id)
        .where(_case_due(Case, cutoff), Case.anonymised_at.is_(None), ~_caller_has_hold(Case.caller_id))
        .order_by(Case.closed_at, Case.id)
    )
    if limit is not None:
        query = query.limit(limit).with_for_update(skip_locked=True, of=Case)
    return list(db.session.scalars(query))


def due_caller_ids(cutoff: datetime, limit: int | None = None) -> list[int]:
    """Callers not anonymised yet, known since before `cutoff`, with no call since, no case on legal hold, and every
    case of theirs anonymised already or closed before `cutoff`."""
    case = aliased(Case)
    kept_case = sa.exists().where(
        case.caller_id == Caller.id, case.anonymised_at.is_(None), sa.not_(_case_due(case, cutoff))
    )
    recent_call = sa.exists().where(Call.caller_id == Caller.id, Call.started_at >= cutoff)
    query = (
        sa.select(Caller.id)
        .where(
            Caller.anonymised_at.is_(None),
            Caller.created_at < cutoff,
            ~kept_case,
            ~recent_call,
            ~_caller_has_hold(Caller.id),
        )
        .order_by(Caller.id)
    )
    if limit is not None:
        query = query.limit(limit).with_for_update(skip_locked=True, of=Caller)
    return list(db.session.scalars(query))


def stray_call_condition(cutoff: datetime) -> sa.ColumnElement[bool]:
    """Calls before `cutoff` with neither a case nor a caller (a withheld number, a silent call) that still hold
    free text."""
    return sa.and_(
        Call.case_id.is_(None),
        Call.caller_id.is_(None),
        Call.started_at < cutoff,
        sa.or_(Call.reason.is_not(None), Call.outcome_summary.is_not(None), Call.notes.is_not(None)),
    )


def rows_in_scope(model: Any, scope: Scope, case_ids: Sequence[int], caller_ids: Sequence[int]) -> Any:
    """The WHERE clause picking `model`'s rows that belong to the cases or callers."""
    if scope is Scope.CALLER:
        return model.id.in_(caller_ids)
    if scope is Scope.CASE:
        return model.case_id.in_(case_ids)
    if scope is Scope.CALLBACK:
        return model.callback_id.in_(sa.select(Callback.id).where(Callback.case_id.in_(case_ids)))
    if scope is Scope.CALLER_ROWS:
        return model.caller_id.in_(caller_ids)
    if scope is Scope.REFERRAL:
        return model.referral_id.in_(sa.select(Referral.id).where(Referral.case_id.in_(case_ids)))
    return sa.or_(Call.case_id.in_(case_ids), Call.caller_id.in_(caller_ids))


def count_rows(model: Any, condition: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(condition)) or 0)


def assessments_of_cases(case_ids: Sequence[int]) -> list[Assessment]:
    return list(db.session.scalars(sa.select(Assessment).where(Assessment.case_id.in_(case_ids))))


def case_ids_of_caller(caller_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Case.id).where(Case.caller_id == caller_id).order_by(Case.id)))


def callback_ids_of_cases(case_ids: Sequence[int]) -> list[int]:
    return list(db.session.scalars(sa.select(Callback.id).where(Callback.case_id.in_(case_ids)).order_by(Callback.id)))


def unanonymised_case_ids_of(caller_ids: Sequence[int]) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(Case.id).where(Case.caller_id.in_(caller_ids), Case.anonymised_at.is_(None)).order_by(Case.id)
        )
    )


def held_case_of_caller(caller_id: int) -> Case | None:
    """The first of the caller's cases on legal hold, if any."""
    return db.session.scalars(
        sa.select(Case).where(Case.caller_id == caller_id, Case.legal_hold_at.is_not(None)).order_by(Case.id).limit(1)
    ).first()
