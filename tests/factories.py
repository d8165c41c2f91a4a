"""Plain functions that make test data, with keyword overrides."""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

from caseapp.assessments.models import Assessment
from caseapp.auth.models import ApiToken, Role, User
from caseapp.auth.passwords import hash_password
from caseapp.callbacks.models import Callback
from caseapp.caller_flags.models import CallerFlag, FlagKind
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.directory.models import (
    CommercialRelationship,
    Funding,
    Rating,
    Region,
    Regulator,
    ServiceType,
    TreatmentService,
)
from caseapp.emergencies.models import EmergencyAction
from caseapp.extensions import db
from caseapp.reference import Substance
from caseapp.referrals.models import DeclineReason, Referral, ReferralStatus
from caseapp.safeguarding.models import SafeguardingRecord
from caseapp.shifts.models import Shift

DEFAULT_PASSWORD = "correct-horse-staple-42"
_sequence = itertools.count(1)
#: the advisor a test signs in as first (tests/conftest.py `login_as`, tests/api_fixtures.py `api`): a case the test
#: makes without saying who opened it is opened by them, so it is theirs, as the cases an advisor works on are
#: (caseapp/access: an advisor opens only cases they have a relationship with)
_signed_in: list[User] = []


def sign_in_as(user: User) -> None:
    """Cases made from now on without an `actor` are opened by `user` (the first advisor a test signs in as)."""
    if not _signed_in and user.role == Role.ADVISOR:
        _signed_in.append(user)


def signed_out() -> None:
    _signed_in.clear()


@cache
def _hash(password: str) -> str:
    return hash_password(password)  # argon2 is slow on purpose; hash each test password once


def make_user(**overrides: Any) -> User:
    n = next(_sequence)
    password = overrides.pop("password", DEFAULT_PASSWORD)
    values: dict[str, Any] = {
        "email": f"user{n}@example.org",
        "full_name": f"Test User {n}",
        "role": Role.ADVISOR,
        "password_hash": _hash(password),
    }
    values.update(overrides)
    user = User(**values)
    db.session.add(user)
    db.session.flush()
    return user


def make_token(user: User, name: str = "test") -> tuple[ApiToken, str]:
    """An API token through the service (only its hash is stored); returns (row, plain token)."""
    from caseapp.auth.services import create_token

    return create_token(user, name, actor_id=None)


# --- the call loop: callers, cases, calls, assessments ---------------------------------------------------------

_phone_sequence = itertools.count(100000)


def unique_phone() -> str:
    """A valid UK mobile number, as an advisor would type it, never used before in this test run."""
    return f"07911 {next(_phone_sequence)}"


def make_caller(**overrides: Any) -> Caller:
    """A caller with a fresh number (normalised like every number that reaches the database); phone=None withholds."""
    from caseapp.callers.phones import normalise_phone

    phone = overrides.pop("phone", unique_phone())
    caller = Caller(phone_e164=normalise_phone(phone), **overrides)
    db.session.add(caller)
    db.session.flush()
    return caller


def make_case(caller: Caller | None = None, actor: User | None = None, **overrides: Any) -> Case:
    """A case opened through the service (reference year, audit), then given any of its columns by keyword.

    status=CaseStatus.CLOSED needs close_reason (the database refuses a closed case without one)."""
    from caseapp.cases.services import open_case

    case = open_case(caller or make_caller(), actor=actor or (_signed_in[0] if _signed_in else None) or make_user())
    for name, value in overrides.items():
        setattr(case, name, value)
    db.session.flush()
    return case


def make_call(case: Case | None = None, actor: User | None = None, **overrides: Any) -> Call:
    """A call logged through the service: on `case` when given, else found-or-created from `phone` (CallInput fields
    by keyword)."""
    from caseapp.calls.services import CallInput, log_call

    values: dict[str, Any] = {"case_id": case.id if case is not None else None}
    if case is None and "phone" not in overrides and "case_id" not in overrides:
        values["phone"] = unique_phone()
    values.update(overrides)
    return log_call(CallInput(**values), actor=actor or make_user()).call


def assessment_answers(**overrides: Any) -> dict[str, Any]:
    """A complete, valid assessment as the API takes it (JSON values)."""
    answers: dict[str, Any] = {
        "substances": ["heroin", "alcohol"],
        "primary_substance": "heroin",
        "route": "smoking",
        "frequency": "daily",
        "years_of_use": 4,
        "withdrawal_symptoms": ["nausea", "cravings"],
        "funding_route": "unknown",
        "recommended_pathway": "medical_detox",
        "risk_level": "medium",
        "consent_data_processing": True,
    }
    answers.update(overrides)
    return answers


def make_assessment(case: Case | None = None, actor: User | None = None, **overrides: Any) -> Assessment:
    """An assessment recorded through the schema and the service (revisions, case risk and status, alerts)."""
    from caseapp.assessments.schemas import AssessmentInputSchema
    from caseapp.assessments.services import record_assessment

    values = AssessmentInputSchema().load(assessment_answers(**overrides))
    return record_assessment(case or make_case(), dict(values), actor=actor or make_user())


# --- safeguarding and the emergency log --------------------------------------------------------------------------


def safeguarding_body(**overrides: Any) -> dict[str, Any]:
    """A complete, valid safeguarding record as the API takes it (JSON values)."""
    body: dict[str, Any] = {
        "at_risk": ["children"],
        "children_count": 2,
        "categories": ["neglect"],
        "description": "Children left alone while the caller is using",
        "decision": "shared_with_consent",
    }
    body.update(overrides)
    return body


def make_safeguarding(case: Case | None = None, actor: User | None = None, **overrides: Any) -> SafeguardingRecord:
    """A safeguarding record through the schema and the service (the actor may change the case: assigned to it)."""
    from caseapp.safeguarding.schemas import SafeguardingInputSchema
    from caseapp.safeguarding.services import record_concern

    values = SafeguardingInputSchema().load(safeguarding_body(**overrides))
    return record_concern(case or make_case(), dict(values), actor=actor or make_user(role=Role.MANAGER))


def emergency_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "emergency_call",
        "service": "ambulance",
        "reference": "CAD 4411",
        "outcome": "help_sent",
    }
    body.update(overrides)
    return body


def make_emergency_action(case: Case | None = None, actor: User | None = None, **overrides: Any) -> EmergencyAction:
    from caseapp.emergencies.schemas import EmergencyActionInputSchema
    from caseapp.emergencies.services import log_action

    values = EmergencyActionInputSchema().load(emergency_body(**overrides))
    return log_action(case or make_case(), dict(values), actor=actor or make_user(role=Role.MANAGER))


# --- callbacks and shifts ----------------------------------------------------------------------------------------


def make_callback(case: Case | None = None, actor: User | None = None, **overrides: Any) -> Callback:
    """A callback booked through the service (so every booking rule applies): due in two hours on a case whose caller
    consented to callbacks, unless told otherwise (book_callback's keywords; status etc. set afterwards)."""
    from datetime import timedelta

    from caseapp.callbacks.booking import book_callback
    from caseapp.timeutil import now_utc

    if case is None:
        case = make_case(make_caller(consent_callback=True))
    actor = actor or make_user()
    booking_keys = {"window_minutes", "assignee_id", "priority", "reason", "override_preferred_times"}
    booking = {key: overrides.pop(key) for key in list(overrides) if key in booking_keys}
    due_at = overrides.pop("due_at", now_utc() + timedelta(hours=2))
    callback = book_callback(case, due_at=due_at, actor=actor, **booking).callback
    for name, value in overrides.items():
        setattr(callback, name, value)
    db.session.flush()
    return callback


def make_shift(user: User | None = None, **overrides: Any) -> Shift:
    """An open shift (clocked on through the service) for `user` or a new advisor; ended_at=... closes it."""
    from caseapp.shifts.services import start_shift

    shift = start_shift(actor=user or make_user())
    for name, value in overrides.items():
        setattr(shift, name, value)
    db.session.flush()
    return shift


def make_caller_flag(
    caller: Caller | None = None, phone: str | None = None, actor: User | None = None, **overrides: Any
) -> CallerFlag:
    """A flag in force (a CallerFlag row) on a caller or a number (typed as an advisor would), "do not ring back"
    unless kind= says otherwise, expiring in a week unless expires_at= says otherwise."""
    from datetime import timedelta

    from caseapp.callers.phones import normalise_phone
    from caseapp.timeutil import now_utc

    flag = CallerFlag(
        caller_id=caller.id if caller else None,
        phone_e164=normalise_phone(phone) if phone else None,
        kind=overrides.pop("kind", FlagKind.DO_NOT_RING_BACK),
        reason=overrides.pop("reason", "Asked not to be rung back on this line"),
        expires_at=overrides.pop("expires_at", now_utc() + timedelta(days=7)),
        raised_by_id=(actor or make_user()).id,
        **overrides,
    )
    db.session.add(flag)
    db.session.flush()
    return flag


_service_numbers = itertools.count(1)


def make_treatment_service(**overrides: Any) -> TreatmentService:
    """An active directory entry (a TreatmentService row): a residential rehab in London treating alcohol and
    heroin, NHS or self-funded, registered with the CQC, no commercial link, unless overrides say otherwise."""
    number = next(_service_numbers)
    values: dict[str, Any] = {
        "name": f"Test Service {number}",
        "service_type": ServiceType.RESIDENTIAL_REHAB,
        "region": Region.LONDON,
        "regulator": Regulator.CQC,
        "regulator_id": f"1-9{number:08d}",
        "rating": Rating.GOOD,
        "substances": [Substance.ALCOHOL.value, Substance.HEROIN.value],
        "funding": [Funding.NHS.value, Funding.SELF_FUNDED.value],
        "typical_wait_days": 14,
    }
    values.update(overrides)
    if values.get("regulator") is Regulator.NONE:
        values.setdefault("regulator_id", None)
    if values.get("commercial_relationship", CommercialRelationship.NONE) is not CommercialRelationship.NONE:
        values.setdefault("commercial_detail", "Commission on each admission")
    service = TreatmentService(**values)
    db.session.add(service)
    db.session.flush()
    return service


def make_referral(
    case: Case | None = None, service: TreatmentService | None = None, actor: User | None = None, **overrides: Any
) -> Referral:
    """A referral row (no offer, no history) in status `offered` unless status= says otherwise; for tests that need
    referrals to exist, not the rules that make them (those go through caseapp.referrals)."""
    from caseapp.timeutil import now_utc

    case = case or make_case()
    service = service or make_treatment_service()
    status = overrides.pop("status", ReferralStatus.OFFERED)
    at = overrides.pop("status_changed_at", now_utc())
    if status is ReferralStatus.ADMITTED:
        overrides.setdefault("admitted_at", at)
    if status is ReferralStatus.DECLINED:
        overrides.setdefault("decline_reason", DeclineReason.NO_CAPACITY)
    referral = Referral(
        case_id=case.id,
        service_id=service.id,
        status=status,
        status_changed_at=at,
        created_by_id=(actor or make_user()).id,
        **overrides,
    )
    db.session.add(referral)
    db.session.flush()
    return referral
