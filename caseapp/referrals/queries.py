"""Reading referrals and their status history (read-only)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from caseapp.errors import NotFound
from caseapp.extensions import db
from caseapp.referrals.models import Referral, ReferralEvent, ReferralStatus

NO_SUCH_REFERRAL = "There is no such referral."


def get_referral(referral_id: int) -> Referral:
    """The referral with its service and history (404 when there is none)."""
    referral = db.session.scalar(
        sa.select(Referral).where(Referral.id == referral_id).options(selectinload(Referral.events))
    )
    if referral is None:
        raise NotFound(NO_SUCH_REFERRAL)
    return referral


def lock_referral(referral_id: int) -> Referral:
    """The referral, locked for the rest of the transaction (FOR UPDATE OF referrals; nothing on SQLite)."""
    query = (
        sa.select(Referral)
        .where(Referral.id == referral_id)
        .with_for_update(of=Referral)
        .execution_options(populate_existing=True)
    )
    referral = db.session.scalar(query)
    if referral is None:
        raise NotFound(NO_SUCH_REFERRAL)
    return referral


def referrals_for_case(case_id: int) -> list[Referral]:
    """A case's referrals, newest first, with their services and histories."""
    query = (
        sa.select(Referral)
        .where(Referral.case_id == case_id)
        .options(selectinload(Referral.events))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    )
    return list(db.session.scalars(query))


def select_referrals(
    *,
    statuses: Sequence[ReferralStatus] = (),
    service_id: int | None = None,
    case_id: int | None = None,
) -> sa.Select[Referral]:
    """Referrals filtered by status, service and case (for keyset pagination, with their histories)."""
    query = sa.select(Referral).options(selectinload(Referral.events))
    if statuses:
        query = query.where(Referral.status.in_(list(statuses)))
    if service_id is not None:
        query = query.where(Referral.service_id == service_id)
    if case_id is not None:
        query = query.where(Referral.case_id == case_id)
    return query


def events_for_case(case_id: int) -> list[ReferralEvent]:
    """Every status change of the case's referrals (for its timeline), with the referral and its service."""
    query = (
        sa.select(ReferralEvent)
        .join(Referral, Referral.id == ReferralEvent.referral_id)
        .where(Referral.case_id == case_id)
        .options(selectinload(ReferralEvent.referral))
        .order_by(ReferralEvent.at, ReferralEvent.id)
    )
    return list(db.session.scalars(query))


def events_for_referrals(referral_ids: Sequence[int]) -> list[ReferralEvent]:
    """The status changes of these referrals, oldest first (the subject access export)."""
    if not referral_ids:
        return []
    query = (
        sa.select(ReferralEvent)
        .where(ReferralEvent.referral_id.in_(list(referral_ids)))
        .order_by(ReferralEvent.referral_id, ReferralEvent.id)
    )
    return list(db.session.scalars(query))
