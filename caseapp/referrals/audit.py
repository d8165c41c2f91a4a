"""Reading referrals is audited like every read of case data: which ones were shown (ids only)."""

from __future__ import annotations

from caseapp.audit.services import record_event, record_listing
from caseapp.auth.models import User
from caseapp.referrals.models import Referral


def listed(referrals: list[Referral], *, actor: User) -> None:
    """A list that showed these referrals (nothing when it was empty)."""
    if referrals:
        record_listing("referral.listed", actor_id=actor.id, entity_type="referral", ids=[r.id for r in referrals])


def viewed(referral: Referral, *, actor: User) -> None:
    record_event(
        "referral.viewed",
        actor_id=actor.id,
        entity_type="referral",
        entity_id=referral.id,
        detail={"case_id": referral.case_id},
    )
