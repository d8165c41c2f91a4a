"""The fixed lists of a safeguarding record (codes stored, labels shown), and the guidance shown next to the
decision to share."""

from __future__ import annotations

from caseapp.reference import Labelled
from caseapp.reference import choices as choices  # the pages build their lists from this module


class AtRisk(Labelled):
    CHILDREN = "children", "Children in the household"
    VULNERABLE_ADULT = "vulnerable_adult", "A vulnerable adult"
    CALLER = "caller", "The caller"


class ConcernCategory(Labelled):
    NEGLECT = "neglect", "Neglect"
    PHYSICAL_ABUSE = "physical_abuse", "Physical abuse"
    EMOTIONAL_ABUSE = "emotional_abuse", "Emotional abuse"
    SEXUAL_ABUSE = "sexual_abuse", "Sexual abuse"
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    EXPLOITATION = "exploitation", "Exploitation (criminal, sexual or financial)"
    SELF_NEGLECT = "self_neglect", "Self-neglect"
    RISK_TO_OTHERS = "risk_to_others", "Risk to others"
    OTHER = "other", "Other"


class SharingDecision(Labelled):
    SHARED_WITH_CONSENT = "shared_with_consent", "Shared with consent"
    SHARED_WITHOUT_CONSENT = "shared_without_consent", "Shared without consent (risk of serious harm)"
    NOT_SHARED = "not_shared", "Not shared"
    MANAGER_TO_DECIDE = "manager_to_decide", "To be decided by a manager"


#: decisions that must say why (sharing without consent, or not sharing at all)
DECISIONS_NEEDING_REASONS = (SharingDecision.SHARED_WITHOUT_CONSENT, SharingDecision.NOT_SHARED)


class Agency(Labelled):
    POLICE = "police", "Police"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    ADULT_SOCIAL_CARE = "adult_social_care", "Adult social care"
    AMBULANCE = "ambulance", "Ambulance service"
    GP = "gp", "GP"
    OTHER = "other", "Other agency"


class SafeguardingStatus(Labelled):
    OPEN = "open", "Open"
    UNDER_REVIEW = "under_review", "Under review"
    CLOSED = "closed", "Closed"


#: status → the statuses a manager's review may leave it in: one step on, or where it is (a note added on the way);
#: a closed concern stays closed
TRANSITIONS: dict[SafeguardingStatus, tuple[SafeguardingStatus, ...]] = {
    SafeguardingStatus.OPEN: (SafeguardingStatus.OPEN, SafeguardingStatus.UNDER_REVIEW),
    SafeguardingStatus.UNDER_REVIEW: (SafeguardingStatus.UNDER_REVIEW, SafeguardingStatus.CLOSED),
    SafeguardingStatus.CLOSED: (),
}

#: the Caldicott principles' word on sharing, shown next to the decision
CALDICOTT_GUIDANCE = (
    "The duty to share information can be as important as the duty to protect confidentiality "
    "(Caldicott principle 7). Share with consent where you can. Where there is a risk of serious harm to a child "
    "or an adult, share what is necessary without consent, with the agency that can act, and record why. "
    "If you are unsure, choose \u201cTo be decided by a manager\u201d and tell your shift manager now."
)
