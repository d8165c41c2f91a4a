"""Rows for the encryption tests: one value in every encrypted column, each written through the service that
writes it in the app."""

from __future__ import annotations

import sqlalchemy as sa

from caseapp.access.services import break_glass
from caseapp.auth import mfa
from caseapp.auth.models import Role
from caseapp.callbacks import handover, workflow
from caseapp.callbacks.models import CallbackAttempt
from caseapp.caller_flags import services as flag_services
from caseapp.caller_flags.models import FlagKind
from caseapp.callers.models import NumberKind
from caseapp.callers.numbers import add_number
from caseapp.calls import services as call_services
from caseapp.cases import services as case_services
from caseapp.directory.models import ServiceType
from caseapp.extensions import db
from caseapp.reference import AttemptOutcome
from caseapp.referrals.history import start_referral
from caseapp.referrals.models import ReferralStatus
from caseapp.referrals.offers import ItemAction, ItemChoice, record_offer
from caseapp.referrals.workflow import change_status
from caseapp.retention.services import place_legal_hold
from caseapp.safeguarding.reference import SafeguardingStatus
from caseapp.safeguarding.services import review_concern
from caseapp.safety_plans.services import save_plan
from caseapp.screenings.clinician import ClinicianScale
from caseapp.screenings.instruments import InstrumentCode
from caseapp.screenings.services import record_clinician_score, record_screening
from caseapp.timeutil import now_utc
from tests import factories

#: every encrypted column (the free text about callers, and the second factor's secret); the models must say the
#: same (the first test)
EXPECTED_COLUMNS = {
    "callers": ["preferred_times_note", "safe_to_call_notes"],
    "calls": ["reason", "outcome_summary", "notes"],
    "call_drafts": ["data"],
    "case_notes": ["body"],
    "cases": ["legal_hold_reason"],
    "assessments": ["answers"],
    "callbacks": ["reason", "cancel_reason"],
    "callback_attempts": ["notes"],
    "callback_handovers": ["note"],
    "users": ["totp_secret"],
    "break_glass_grants": ["note"],
    "screenings": ["answers"],  # option numbers only, but encrypted as the answers of an assessment are
    "clinician_scores": ["clinician_name", "clinician_role"],
    "safety_plans": ["warning_signs", "coping_strategies", "contacts", "services", "safe_place"],
    "safeguarding_records": ["description", "decision_reason", "agency_reference", "review_note"],
    "emergency_actions": ["reference", "outcome_note"],
    "caller_numbers": ["label"],
    "caller_flags": ["reason", "end_note"],
    "referral_offers": ["reason"],
    "referral_events": ["note"],
}
SECRET = "partner-does-not-know"


def raw(table: str, column: str, row_id: int) -> str:
    """The column as the database holds it, as text (a JSON column before encryption too)."""
    sql = f"SELECT CAST({column} AS TEXT) FROM {table} WHERE id = :id"  # noqa: S608 - fixed names
    value = db.session.execute(sa.text(sql), {"id": row_id}).scalar_one()
    assert isinstance(value, str)
    return value


def write_one_of_everything() -> dict[tuple[str, str], tuple[int, str]]:
    """(table, column) → (row id, the text written), each through the service that writes it in the app."""
    advisor = factories.make_user(role=Role.ADVISOR)
    colleague = factories.make_user(role=Role.ADVISOR)
    factories.make_shift(advisor)
    factories.make_shift(colleague)
    logged = call_services.log_call(
        call_services.CallInput(
            phone=factories.unique_phone(),
            reason=f"reason {SECRET}",
            outcome_summary=f"outcome {SECRET}",
            notes=f"notes {SECRET}",
            caller_details={
                "consent_callback": True,
                "safe_to_call_notes": f"safe {SECRET}",
                "preferred_times_note": f"times {SECRET}",
            },
        ),
        actor=advisor,
    )
    call = logged.call
    assert call.case is not None
    draft = call_services.save_draft({"notes": f"draft {SECRET}"}, actor=advisor)
    note = case_services.add_note(call.case, f"note {SECRET}", actor=advisor)
    assessment = factories.make_assessment(call.case, actor=advisor, notes=f"assessment {SECRET}")
    kept = factories.make_callback(call.case, actor=advisor, reason=f"callback {SECRET}", assignee_id=advisor.id)
    workflow.start_callback(kept.id, actor=advisor)
    workflow.record_attempt(kept.id, outcome=AttemptOutcome.NO_ANSWER, actor=advisor, notes=f"attempt {SECRET}")
    [attempt] = db.session.scalars(sa.select(CallbackAttempt).where(CallbackAttempt.callback_id == kept.id)).all()
    offer = handover.hand_over_callback(kept.id, to_user_id=colleague.id, actor=advisor, note=f"handover {SECRET}")
    cancelled = factories.make_callback(call.case, actor=advisor)
    workflow.cancel_callback(cancelled.id, actor=advisor, reason=f"cancel {SECRET}")
    secret = mfa.begin_enrolment(advisor)
    stranger = factories.make_user(role=Role.ADVISOR)
    grant = break_glass(call.case, actor=stranger, reason="other", note=f"glass {SECRET}")
    manager = factories.make_user(role=Role.MANAGER)
    place_legal_hold(call.case.id, actor=manager, reason=f"hold {SECRET}")
    plan_texts = {name: f"{name} {SECRET}" for name in EXPECTED_COLUMNS["safety_plans"]}
    plan = save_plan(call.case, plan_texts, actor=advisor)
    screening = record_screening(call.case, InstrumentCode.AUDIT_C, {"q1": 4, "q2": 4, "q3": 4}, actor=advisor)
    clinician = record_clinician_score(
        call.case,
        ClinicianScale.COWS,
        8,
        assessed_at=now_utc(),
        clinician_name=f"clinician {SECRET}",
        clinician_role=f"role {SECRET}",
        actor=advisor,
    )
    concern = factories.make_safeguarding(
        call.case,
        actor=advisor,
        description=f"concern {SECRET}",
        decision="not_shared",
        decision_reason=f"why {SECRET}",
        agency="gp",
        agency_reference=f"gp ref {SECRET}",
    )
    review_concern(concern, status=SafeguardingStatus.OPEN, outcome_note=f"review {SECRET}", actor=manager)
    action = factories.make_emergency_action(
        call.case, actor=advisor, reference=f"cad {SECRET}", outcome_note=f"outcome note {SECRET}"
    )
    assert call.caller is not None
    flag = flag_services.raise_on_caller(
        call.caller, kind=FlagKind.HOAX, reason=f"flag {SECRET}", actor=manager, expires_in_days=1
    )
    flag_services.lift_flag(flag, reason=f"lifted {SECRET}", actor=manager)
    assert logged.call.caller is not None
    other = add_number(
        logged.call.caller,
        phone=factories.unique_phone(),
        kind=NumberKind.OTHER,
        label=f"label {SECRET}",
        actor=advisor,
    )
    offered = factories.make_treatment_service(service_type=ServiceType.MEDICAL_DETOX)
    referral_offer = record_offer(
        call.case, {}, [ItemChoice(offered.id, ItemAction.OFFER)], f"offer {SECRET}", actor=advisor
    ).offer
    referral = start_referral(
        case_id=call.case.id,
        service_id=factories.make_treatment_service().id,
        status=ReferralStatus.OFFERED,
        actor=advisor,
        at=now_utc(),
    )
    sent = change_status(referral, ReferralStatus.SENT, advisor, note=f"referral {SECRET}", version=referral.version)
    return {
        ("referral_offers", "reason"): (referral_offer.id, f"offer {SECRET}"),
        ("referral_events", "note"): (sent.event.id, f"referral {SECRET}"),
        ("caller_flags", "reason"): (flag.id, f"flag {SECRET}"),
        ("caller_numbers", "label"): (other.id, f"label {SECRET}"),
        ("caller_flags", "end_note"): (flag.id, f"lifted {SECRET}"),
        ("callers", "preferred_times_note"): (call.caller_id or 0, f"times {SECRET}"),
        ("callers", "safe_to_call_notes"): (call.caller_id or 0, f"safe {SECRET}"),
        ("calls", "reason"): (call.id, f"reason {SECRET}"),
        ("calls", "outcome_summary"): (call.id, f"outcome {SECRET}"),
        ("calls", "notes"): (call.id, f"notes {SECRET}"),
        ("call_drafts", "data"): (draft.id, f"draft {SECRET}"),
        ("case_notes", "body"): (note.id, f"note {SECRET}"),
        ("assessments", "answers"): (assessment.id, f"assessment {SECRET}"),
        ("callbacks", "reason"): (kept.id, f"callback {SECRET}"),
        ("callbacks", "cancel_reason"): (cancelled.id, f"cancel {SECRET}"),
        ("callback_attempts", "notes"): (attempt.id, f"attempt {SECRET}"),
        ("callback_handovers", "note"): (offer.id, f"handover {SECRET}"),
        ("users", "totp_secret"): (advisor.id, secret),
        ("break_glass_grants", "note"): (grant.id, f"glass {SECRET}"),
        ("cases", "legal_hold_reason"): (call.case.id, f"hold {SECRET}"),
        ("screenings", "answers"): (screening.id, '"q1": 4'),  # quotes and a space: never in a token
        ("clinician_scores", "clinician_name"): (clinician.id, f"clinician {SECRET}"),
        ("clinician_scores", "clinician_role"): (clinician.id, f"role {SECRET}"),
        **{("safety_plans", name): (plan.id, text) for name, text in plan_texts.items()},
        ("safeguarding_records", "description"): (concern.id, f"concern {SECRET}"),
        ("safeguarding_records", "decision_reason"): (concern.id, f"why {SECRET}"),
        ("safeguarding_records", "agency_reference"): (concern.id, f"gp ref {SECRET}"),
        ("safeguarding_records", "review_note"): (concern.id, f"review {SECRET}"),
        ("emergency_actions", "reference"): (action.id, f"cad {SECRET}"),
        ("emergency_actions", "outcome_note"): (action.id, f"outcome note {SECRET}"),
    }
