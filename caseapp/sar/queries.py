"""Every row linked to a caller, and the audit events about them (read-only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import selectinload

from caseapp.assessments.models import Assessment
from caseapp.audit.models import AuditEvent
from caseapp.callbacks.models import Callback, CallbackAttempt, CaseFlag, Handover
from caseapp.callers import queries as caller_queries
from caseapp.callers.models import Caller, CallerMerge, CallerNumber
from caseapp.calls.models import Call
from caseapp.cases.models import Case, CaseNote
from caseapp.emergencies.models import EmergencyAction, EmergencyAlert
from caseapp.extensions import db
from caseapp.harm_reduction.models import HarmReductionPrompt
from caseapp.referrals.models import Referral, ReferralEvent, ReferralOffer, ReferralOfferItem
from caseapp.safeguarding.models import SafeguardingRecord
from caseapp.safety_plans.models import SafetyPlan
from caseapp.screenings.models import ClinicianScore, Screening
from caseapp.telephony.models import TelephonyCall


def find_caller_by_phone(e164: str) -> Caller | None:
    """By their main number or one of their other numbers."""
    return caller_queries.find_caller_by_phone(e164)


def numbers_of(caller_id: int) -> list[CallerNumber]:
    return _all(sa.select(CallerNumber).where(CallerNumber.caller_id == caller_id).order_by(CallerNumber.id))


def merges_of(caller_id: int) -> list[CallerMerge]:
    """Merges that kept this caller or merged a duplicate record of theirs into another."""
    involved = sa.or_(CallerMerge.kept_id == caller_id, CallerMerge.duplicate_id == caller_id)
    return _all(sa.select(CallerMerge).where(involved).order_by(CallerMerge.id))


def _all(query: Any) -> list[Any]:
    return list(db.session.scalars(query).unique())


def cases_of(caller_id: int) -> list[Case]:
    return _all(sa.select(Case).where(Case.caller_id == caller_id).order_by(Case.id))


def calls_of(caller_id: int, case_ids: Sequence[int]) -> list[Call]:
    return _all(
        sa.select(Call).where(sa.or_(Call.caller_id == caller_id, Call.case_id.in_(case_ids))).order_by(Call.id)
    )


def telephony_calls_of(caller_id: int) -> list[TelephonyCall]:
    """The phone system's record of the caller's calls (found by their number when they rang)."""
    query = sa.select(TelephonyCall).where(TelephonyCall.caller_id == caller_id)
    return _all(query.order_by(TelephonyCall.offered_at, TelephonyCall.id))


def by_case(model: Any, case_ids: Sequence[int]) -> list[Any]:
    """The rows of `model` (a table with case_id) on these cases, oldest first."""
    return _all(sa.select(model).where(model.case_id.in_(case_ids)).order_by(model.id))


def offer_items_of(offer_ids: Sequence[int]) -> list[ReferralOfferItem]:
    """The services each of these offers suggested or offered (with the service, for its name)."""
    query = sa.select(ReferralOfferItem).where(ReferralOfferItem.offer_id.in_(offer_ids))
    return _all(query.order_by(ReferralOfferItem.offer_id, ReferralOfferItem.id))


def by_callback(model: Any, callback_ids: Sequence[int]) -> list[Any]:
    return _all(sa.select(model).where(model.callback_id.in_(callback_ids)).order_by(model.id))


LINKED_BY_CASE = (
    Assessment,
    Screening,
    ClinicianScore,
    Callback,
    CaseNote,
    EmergencyAlert,
    CaseFlag,
    SafetyPlan,
    HarmReductionPrompt,
    EmergencyAction,
    SafeguardingRecord,
    ReferralOffer,
    Referral,
)
LINKED_BY_CALLBACK = (CallbackAttempt, Handover)


def referral_events_of(referral_ids: Sequence[int]) -> list[ReferralEvent]:
    """Each referral's status history, oldest first."""
    query = sa.select(ReferralEvent).where(ReferralEvent.referral_id.in_(referral_ids))
    return _all(query.order_by(ReferralEvent.referral_id, ReferralEvent.id))


#: the actions of list pages and searches: entity_id null, the records shown in detail["ids"]
LISTING_ACTIONS = (
    "case.listed",
    "case.searched",
    "callback.listed",
    "call.listed",
    "assessment.listed",
    "safeguarding.listed",
    "emergency.listed",
    "caller_flag.listed",
    "referral.listed",
)


def _shown_in_listing(ids: Sequence[int]) -> sa.ColumnElement[bool]:
    """A listing event whose detail["ids"] includes any of `ids` (a JSON array of numbers)."""
    if db.session.get_bind().dialect.name == "postgresql":
        shown = sa.func.jsonb_array_elements_text(sa.cast(AuditEvent.detail, JSONB)["ids"]).table_valued("value")
        return sa.exists(sa.select(1).select_from(shown).where(shown.c.value.in_([str(i) for i in ids])))
    shown = sa.func.json_each(AuditEvent.detail, "$.ids").table_valued("value")
    return sa.exists(sa.select(1).select_from(shown).where(shown.c.value.in_(list(ids))))


def access_events(entities: Mapping[str, Sequence[int]]) -> list[AuditEvent]:
    """Audit events about any of these entities ({entity_type: ids}), and list pages that showed any of them, with
    who did them, oldest first."""
    conditions = [
        sa.and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_([str(i) for i in ids]))
        for kind, ids in entities.items()
        if ids
    ]
    conditions += [
        sa.and_(
            AuditEvent.entity_type == kind,
            AuditEvent.entity_id.is_(None),
            AuditEvent.action.in_(LISTING_ACTIONS),
            _shown_in_listing(ids),
        )
        for kind, ids in entities.items()
        if ids
    ]
    if not conditions:
        return []
    return _all(
        sa.select(AuditEvent)
        .where(sa.or_(*conditions))
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
