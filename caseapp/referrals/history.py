"""A referral's first step: the row and the first entry of its status history, audited."""

from __future__ import annotations

from datetime import datetime

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.extensions import db
from caseapp.referrals.models import Referral, ReferralEvent, ReferralOfferItem, ReferralStatus


def start_referral(
    *,
    case_id: int,
    service_id: int,
    status: ReferralStatus,
    actor: User,
    at: datetime,
    offer_item: ReferralOfferItem | None = None,
    note: str | None = None,
) -> Referral:
    """A new referral in `status` (suggested or offered) with its first history entry; flushed for its id."""
    if status not in (ReferralStatus.SUGGESTED, ReferralStatus.OFFERED):
        raise ValueError(f"a referral starts suggested or offered, not {status}")
    referral = Referral(
        case_id=case_id,
        service_id=service_id,
        status=status,
        status_changed_at=at,
        created_by_id=actor.id,
        offer_item_id=offer_item.id if offer_item is not None else None,
    )
    referral.events.append(ReferralEvent(from_status=None, to_status=status, at=at, actor_id=actor.id, note=note))
    db.session.add(referral)
    db.session.flush()
    record_event(
        "referral.created",
        actor_id=actor.id,
        entity_type="referral",
        entity_id=referral.id,
        detail={"case_id": case_id, "service_id": service_id, "status": status.value},
    )
    return referral
