"""The retention policy as data: every field that identifies a caller or holds free text, and what replaces it.

Anonymising keeps what the reports count (statuses, times, substance, pathway, risk and outcome codes, advisor ids,
the caller's relationship) and removes the rest. Replacements are fixed values (None, an empty list, PLACEHOLDER),
written through the mapped columns, so the same rules work on plain and on encrypted columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import InstrumentedAttribute

from caseapp.access.models import BreakGlassGrant
from caseapp.assessments.models import Assessment
from caseapp.assessments.schemas import FORM_LAYOUTS
from caseapp.callbacks.models import Callback, CallbackAttempt, Handover
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.cases.models import CaseNote
from caseapp.emergencies.models import EmergencyAction
from caseapp.notifications.models import Notification
from caseapp.referrals.models import ReferralEvent, ReferralOffer
from caseapp.reminders.models import OutboxMessage
from caseapp.safeguarding.models import SafeguardingRecord
from caseapp.safety_plans.models import SafetyPlan
from caseapp.screenings.models import ClinicianScore
from caseapp.telephony.models import TelephonyCall

#: what a required (NOT NULL) free-text field reads once its text is removed
PLACEHOLDER = "[removed]"


class Scope(StrEnum):
    """Which rows of a table belong to the callers or cases being anonymised."""

    #: the caller's own row
    CALLER = "caller"
    #: rows with a case_id of one of the cases
    CASE = "case"
    #: rows with a callback_id of one of the cases' callbacks
    CALLBACK = "callback"
    #: calls: on one of the cases, or (for a caller) made by the caller without a case
    CALL = "call"
    #: rows with a caller_id of one of the callers (the phone system's record of their calls)
    CALLER_ROWS = "caller_rows"
    #: rows with a referral_id of one of the cases' referrals
    REFERRAL = "referral"


class Scrub(StrEnum):
    """A replacement computed from the value (JSON documents that mix codes and free text)."""

    ASSESSMENT_ANSWERS = "assessment_answers"


@dataclass(frozen=True)
class Rule:
    column: InstrumentedAttribute[Any]
    #: the fixed value written, or a Scrub naming how the value is cleaned
    replacement: Any
    scope: Scope

    @property
    def model(self) -> type[Any]:
        return self.column.parent.class_

    @property
    def label(self) -> str:
        return f"{self.model.__tablename__}.{self.column.key}"


RULES: tuple[Rule, ...] = (
    Rule(Caller.name, None, Scope.CALLER),
    Rule(Caller.phone_e164, None, Scope.CALLER),
    Rule(Caller.preferred_from, None, Scope.CALLER),
    Rule(Caller.preferred_to, None, Scope.CALLER),
    Rule(Caller.preferred_times_note, None, Scope.CALLER),
    Rule(Caller.safe_to_call_notes, None, Scope.CALLER),
    Rule(Call.reason, None, Scope.CALL),
    Rule(Call.outcome_summary, None, Scope.CALL),
    Rule(Call.notes, None, Scope.CALL),
    Rule(Call.tags, [], Scope.CALL),
    Rule(CaseNote.body, PLACEHOLDER, Scope.CASE),
    Rule(Assessment.answers, Scrub.ASSESSMENT_ANSWERS, Scope.CASE),
    Rule(Callback.reason, None, Scope.CASE),
    Rule(Callback.cancel_reason, None, Scope.CASE),
    Rule(CallbackAttempt.notes, None, Scope.CALLBACK),
    Rule(Handover.note, None, Scope.CALLBACK),
    # messages to staff about the case: they carry a first name, a reference and (handovers) the start of a note
    Rule(OutboxMessage.subject, PLACEHOLDER, Scope.CALLBACK),
    Rule(OutboxMessage.body, PLACEHOLDER, Scope.CALLBACK),
    Rule(Notification.title, PLACEHOLDER, Scope.CASE),
    # an advisor's reason for opening the case may describe the caller
    Rule(BreakGlassGrant.note, PLACEHOLDER, Scope.CASE),
    # the safety plan is the caller's own words, names and numbers throughout
    Rule(SafetyPlan.warning_signs, None, Scope.CASE),
    Rule(SafetyPlan.coping_strategies, None, Scope.CASE),
    Rule(SafetyPlan.contacts, None, Scope.CASE),
    Rule(SafetyPlan.services, None, Scope.CASE),
    Rule(SafetyPlan.safe_place, None, Scope.CASE),
    # safeguarding: the codes (who, what, the decision, the agency, the status) stay; the words and references go
    Rule(SafeguardingRecord.description, PLACEHOLDER, Scope.CASE),
    Rule(SafeguardingRecord.decision_reason, None, Scope.CASE),
    Rule(SafeguardingRecord.agency_reference, None, Scope.CASE),
    Rule(SafeguardingRecord.review_note, None, Scope.CASE),
    Rule(EmergencyAction.reference, None, Scope.CASE),
    Rule(EmergencyAction.outcome_note, None, Scope.CASE),
    # a clinician's withdrawal score: the scale, total and band stay; who reported it goes
    Rule(ClinicianScore.clinician_name, PLACEHOLDER, Scope.CASE),
    Rule(ClinicianScore.clinician_role, PLACEHOLDER, Scope.CASE),
    # an offer of services: the pathway, criteria codes, services, ranks and disclosures stay; why goes
    Rule(ReferralOffer.reason, PLACEHOLDER, Scope.CASE),
    # a referral's steps: the statuses, times and decline reasons stay for the reports; what the service said goes
    Rule(ReferralEvent.note, None, Scope.REFERRAL),
    # the phone system's record of a caller's calls: the times and outcome stay for the reports, the number goes
    Rule(TelephonyCall.from_e164, None, Scope.CALLER_ROWS),
)


def rules_by_model() -> dict[type[Any], list[Rule]]:
    grouped: dict[type[Any], list[Rule]] = {}
    for rule in RULES:
        grouped.setdefault(rule.model, []).append(rule)
    return grouped


def scrub_answers(answers: dict[str, Any], form_version: int) -> dict[str, Any]:
    """An assessment's answers with its codes, numbers and yes/no answers kept and every free-text answer removed
    (frequency, amount, safeguarding notes, previous treatment, outcome, notes, the time of last use)."""
    coded = {key for key, _label, reference in FORM_LAYOUTS.get(form_version, []) if reference is not None}
    return {
        key: value
        for key, value in answers.items()
        if key in coded or value is None or isinstance(value, bool | int | float)
    }


def closed_cases_cutoff(now: datetime, months: int) -> datetime:
    """Cases closed before this are due: `months` calendar months before `now` (aware UTC)."""
    return now - relativedelta(months=months)
