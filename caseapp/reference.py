"""Every fixed list the helpline uses, in one place: stored values (StrEnum) with their display labels.

Exposed unchanged by GET /api/v1/reference so that clients never copy them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Labelled(StrEnum):
    """A StrEnum whose members carry a human label: Member = ("value", "Label")."""

    label: str

    def __new__(cls, value: str, label: str | None = None) -> Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value.replace("_", " ").capitalize()
        return member

    @property
    def in_sentence(self) -> str:
        """The label inside a sentence ("risk high", "by SMS"): its first letter in lower case, unless the first word
        is an abbreviation (SMS, NHS / local authority, GHB/GBL, PTSD), which stays as written."""
        first_word = self.label.split(" ", 1)[0]
        if len(first_word) > 1 and first_word[:2].isupper():
            return self.label
        return self.label[:1].lower() + self.label[1:]


class Relationship(Labelled):
    SELF = "self", "Self"
    PARENT = "parent", "Parent"
    PARTNER = "partner", "Partner"
    CHILD = "child", "Child"
    OTHER_FAMILY = "other_family", "Other family"
    FRIEND = "friend", "Friend"
    PROFESSIONAL = "professional", "Professional"


class CallType(Labelled):
    DATA = "data", "Data call"
    SILENT = "silent", "Silent"
    HANG_UP = "hang_up", "Hang-up"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    PRANK = "prank", "Prank"
    ABUSIVE = "abusive", "Abusive"
    PROFESSIONAL_ENQUIRY = "professional_enquiry", "Third-party enquiry by a professional"


class Direction(Labelled):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class Channel(Labelled):
    PHONE = "phone", "Phone"
    WEB_CHAT = "web_chat", "Web chat"
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class ReferralSource(Labelled):
    SEARCH_ENGINE = "search_engine", "Search engine"
    GP = "gp", "GP or NHS service"
    FAMILY_FRIEND = "family_friend", "Family or friend"
    SOCIAL_MEDIA = "social_media", "Social media"
    PREVIOUS_CONTACT = "previous_contact", "Called before"
    PROFESSIONAL = "professional", "Other professional"
    MEDIA = "media", "TV, radio or press"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not known"


class CaseStatus(Labelled):
    NEW = "new", "New"
    ASSESSING = "assessing", "Assessing"
    ASSESSED = "assessed", "Assessed"
    REFERRED = "referred", "Referred"
    ADMITTED = "admitted", "Admitted"
    CLOSED = "closed", "Closed"


class CloseReason(Labelled):
    TREATMENT_STARTED = "treatment_started", "Treatment started"
    SIGNPOSTED = "signposted", "Signposted elsewhere"
    NO_FURTHER_ACTION = "no_further_action", "No further action needed"
    DECLINED = "declined", "Caller declined support"
    UNREACHABLE = "unreachable", "Could not be reached"
    DUPLICATE = "duplicate", "Duplicate case"
    OTHER = "other", "Other"


class RiskLevel(Labelled):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    IMMEDIATE_DANGER = "immediate_danger", "Immediate danger"


class Substance(Labelled):
    HEROIN = "heroin", "Heroin"
    KETAMINE = "ketamine", "Ketamine"
    COCAINE = "cocaine", "Cocaine"
    CRACK_COCAINE = "crack_cocaine", "Crack cocaine"
    ALCOHOL = "alcohol", "Alcohol"
    BENZODIAZEPINES = "benzodiazepines", "Benzodiazepines"
    CANNABIS = "cannabis", "Cannabis"
    PRESCRIPTION_OPIOIDS = "prescription_opioids", "Prescription opioids"
    SYNTHETIC_CANNABINOIDS = "synthetic_cannabinoids", "Synthetic cannabinoids"
    AMPHETAMINES = "amphetamines", "Amphetamines"
    GHB_GBL = "ghb_gbl", "GHB/GBL"
    OTHER = "other", "Other"


class Route(Labelled):
    INJECTING = "injecting", "Injecting"
    SMOKING = "smoking", "Smoking"
    SNORTING = "snorting", "Snorting or sniffing"
    ORAL = "oral", "Oral"
    OTHER = "other", "Other"


class RecentRelease(Labelled):
    """Left somewhere tolerance falls (in the last 4 weeks): the first use after it is when overdoses happen."""

    PRISON = "prison", "Released from prison"
    DETOX = "detox", "Finished a detox"
    REHAB = "rehab", "Left residential rehab"


class WithdrawalSymptom(Labelled):
    NAUSEA = "nausea", "Nausea"
    VOMITING = "vomiting", "Vomiting"
    DIARRHOEA = "diarrhoea", "Diarrhoea"
    MUSCLE_BONE_PAIN = "muscle_bone_pain", "Muscle and bone pain"
    INSOMNIA = "insomnia", "Insomnia"
    ANXIETY = "anxiety", "Anxiety"
    CRAVINGS = "cravings", "Cravings"


class ContributingFactor(Labelled):
    PEER_PRESSURE = "peer_pressure", "Peer pressure"
    TRAUMA = "trauma", "Trauma or difficult life events"
    SELF_MEDICATING = "self_medicating", "Self-medicating a mental health condition"
    FAMILY_HISTORY = "family_history", "Family history of addiction"
    CHILDREN_EXPOSED = "children_exposed", "Children exposed to drug use at home"


class HealthConsequence(Labelled):
    INFECTIONS = "infections", "Infections"
    RESPIRATORY = "respiratory", "Respiratory problems"
    MEMORY_LOSS = "memory_loss", "Memory loss"


class MentalHealthIndicator(Labelled):
    DEPRESSION = "depression", "Depression"
    ANXIETY = "anxiety", "Anxiety disorder"
    PSYCHOSIS = "psychosis", "Psychosis"
    SELF_HARM = "self_harm", "Self-harm"
    SUICIDAL_THOUGHTS = "suicidal_thoughts", "Suicidal thoughts"
    PTSD = "ptsd", "PTSD"
    EATING_DISORDER = "eating_disorder", "Eating disorder"
    DIAGNOSED_CONDITION = "diagnosed_condition", "Other diagnosed condition"


class FundingRoute(Labelled):
    SELF_FUNDED = "self_funded", "Self-funded"
    PRIVATE_INSURANCE = "private_insurance", "Private insurance"
    NHS_LOCAL_AUTHORITY = "nhs_local_authority", "NHS / local authority"
    UNKNOWN = "unknown", "Unknown"


class Pathway(Labelled):
    MEDICAL_DETOX = "medical_detox", "Medical detox"
    RESIDENTIAL_REHAB = "residential_rehab", "Residential rehab"
    OUTPATIENT = "outpatient", "Outpatient / community"
    DUAL_DIAGNOSIS = "dual_diagnosis", "Dual-diagnosis specialist"
    SIGNPOSTED = "signposted", "Signposted elsewhere"
    NO_FURTHER_ACTION = "no_further_action", "No further action"


class CallbackStatus(Labelled):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    NO_ANSWER = "no_answer", "No answer (to reschedule)"
    CANCELLED = "cancelled", "Cancelled"
    MISSED = "missed", "Missed"
    UNREACHABLE = "unreachable", "Unreachable"


class HandoverStatus(Labelled):
    """A callback handed over at the end of a shift: offered to a colleague (or the pool) until they accept it, it
    goes back to the pool unaccepted, or the offer lapses because the callback changed hands or closed first."""

    OFFERED = "offered", "Waiting to be accepted"
    ACCEPTED = "accepted", "Accepted"
    RETURNED = "returned", "Not accepted in time: back to the pool"
    WITHDRAWN = "withdrawn", "No longer needed: the callback changed hands or closed"


class CallbackPriority(Labelled):
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class AttemptOutcome(Labelled):
    ANSWERED = "answered", "Answered"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL_LEFT = "voicemail_left", "Voicemail left"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    CALL_BACK_LATER = "call_back_later", "Asked to be called back later"


REFERENCE_LISTS: dict[str, type[Labelled]] = {
    "relationships": Relationship,
    "call_types": CallType,
    "directions": Direction,
    "channels": Channel,
    "referral_sources": ReferralSource,
    "case_statuses": CaseStatus,
    "close_reasons": CloseReason,
    "risk_levels": RiskLevel,
    "substances": Substance,
    "routes": Route,
    "withdrawal_symptoms": WithdrawalSymptom,
    "contributing_factors": ContributingFactor,
    "health_consequences": HealthConsequence,
    "mental_health_indicators": MentalHealthIndicator,
    "funding_routes": FundingRoute,
    "pathways": Pathway,
    "callback_statuses": CallbackStatus,
    "callback_priorities": CallbackPriority,
    "callback_attempt_outcomes": AttemptOutcome,
    "handover_statuses": HandoverStatus,
}


def as_json() -> dict[str, Any]:
    """{list name: [{"value", "label"}, ...]} for the API."""
    return {name: [{"value": m.value, "label": m.label} for m in enum] for name, enum in REFERENCE_LISTS.items()}


def choices(enum: type[Labelled], blank: str | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs for a select or checkbox list."""
    pairs = [(m.value, m.label) for m in enum]
    return [("", blank), *pairs] if blank is not None else pairs
