"""How offers and suggestions are shown: the wording an advisor reads to the caller about a commercial link, and an
offer with the referral made from each of its items."""

from __future__ import annotations

from caseapp.api import Extended
from caseapp.directory.models import CommercialRelationship, TreatmentService
from caseapp.referrals import offer_queries
from caseapp.referrals.models import ReferralOffer

_LINK = {
    CommercialRelationship.COMMISSION: "we receive commission from {name} when someone we refer goes there",
    CommercialRelationship.OWNERSHIP: "{name} and this helpline have the same owner",
    CommercialRelationship.CONTRACT: "{name} pays us under a contract",
}
_NEUTRAL = (
    "This does not change which services we suggest: they are listed by how well they fit what you need, and "
    "you are free to choose any of them, or none."
)


def disclosure_wording(service: TreatmentService) -> str | None:
    """What the advisor says before offering a service with a commercial link (None: it has none)."""
    link = _LINK.get(service.commercial_relationship)
    if link is None:
        return None
    text = (service.commercial_detail or "").strip().rstrip(".")  # the sentence ends after the bracket
    detail = f" ({text})" if text else ""
    return f"Before you decide, you should know that {link.format(name=service.name)}{detail}. {_NEUTRAL}"


def shown_service(service: TreatmentService) -> Extended:
    return Extended(service, disclosure=disclosure_wording(service))


def shown_offer(offer: ReferralOffer) -> Extended:
    """The offer with, on each item, the referral made from it (and whether it was shortlisted) and its service
    as the API shows it."""
    referrals = offer_queries.referral_ids_by_item([item.id for item in offer.items])
    items = [
        Extended(
            item,
            service=shown_service(item.service),
            referral_id=referrals.get(item.id),
            shortlisted=not item.offered and item.id in referrals,
        )
        for item in sorted(offer.items, key=lambda i: (i.rank is None, i.rank or 0, i.id))
    ]
    return Extended(offer, items=items, referral_ids=sorted(referrals.values()), advisor_name=offer.advisor.full_name)
