"""Reads of break-glass grants: the live grant check lives in relationships.py; these serve the service and the
admins' review page."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseapp.access.models import BreakGlassGrant
from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role, User
from caseapp.errors import NotFound
from caseapp.extensions import db
from caseapp.shifts.models import Shift


def get_grant(grant_id: int) -> BreakGlassGrant:
    grant = db.session.get(BreakGlassGrant, grant_id)
    if grant is None:
        raise NotFound("No such break-glass use.")
    return grant


def count_cases_opened_since(user_id: int, since: datetime) -> int:
    """How many different cases `user_id` broke the glass on since `since`."""
    query = sa.select(sa.func.count(sa.distinct(BreakGlassGrant.case_id))).where(
        BreakGlassGrant.user_id == user_id, BreakGlassGrant.created_at >= since
    )
    return int(db.session.scalar(query) or 0)


def find_live_grant(case_id: int, user_id: int, now: datetime) -> BreakGlassGrant | None:
    query = (
        sa.select(BreakGlassGrant)
        .where(BreakGlassGrant.case_id == case_id, BreakGlassGrant.user_id == user_id, BreakGlassGrant.expires_at > now)
        .order_by(BreakGlassGrant.expires_at.desc())
        .limit(1)
    )
    return db.session.scalar(query)


def select_grants(
    *,
    user_id: int | None = None,
    flagged_only: bool = False,
    unreviewed_only: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
) -> sa.Select[BreakGlassGrant]:
    """Break-glass uses for review, newest first."""
    query = sa.select(BreakGlassGrant)
    if user_id is not None:
        query = query.where(BreakGlassGrant.user_id == user_id)
    if flagged_only:
        query = query.where(BreakGlassGrant.is_flagged.is_(True))
    if unreviewed_only:
        query = query.where(BreakGlassGrant.reviewed_at.is_(None))
    if since is not None:
        query = query.where(BreakGlassGrant.created_at >= since)
    if until is not None:
        query = query.where(BreakGlassGrant.created_at < until)
    return query.order_by(BreakGlassGrant.created_at.desc(), BreakGlassGrant.id.desc())


def active_admin_ids() -> list[int]:
    query = sa.select(User.id).where(User.is_active.is_(True), User.role == Role.ADMIN)
    return list(db.session.scalars(query))


#: the audit actions that are a person reading a caller's records
RECORD_READS = (
    "case.viewed",
    "caller.viewed",
    "call.viewed",
    "assessment.viewed",
    "screening.viewed",
    "safety_plan.viewed",
    "safeguarding.viewed",
    "callback.viewed",
)


def select_reads_off_shift(since: datetime, until: datetime, limit: int) -> sa.Select[AuditEvent]:
    """Advisors' reads of callers' records between `since` and `until` at moments no shift of theirs covered, newest
    first (an advisor works on shift; a read outside one is worth a look)."""
    on_shift = sa.exists().where(
        Shift.user_id == AuditEvent.actor_id,
        Shift.started_at <= AuditEvent.occurred_at,
        sa.or_(Shift.ended_at.is_(None), Shift.ended_at >= AuditEvent.occurred_at),
    )
    return (
        sa.select(AuditEvent)
        .join(User, User.id == AuditEvent.actor_id)
        .options(sa.orm.contains_eager(AuditEvent.actor))
        .where(
            User.role == Role.ADVISOR,
            AuditEvent.action.in_(RECORD_READS),
            AuditEvent.occurred_at >= since,
            AuditEvent.occurred_at < until,
            ~on_shift,
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
