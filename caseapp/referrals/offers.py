"""Suggesting services for a case and recording what was offered to the caller.

The server works the suggestions out again when an offer is recorded, so the ranks stored are the matcher's; every
offered service with a commercial link needs its disclosure recorded (caseapp/referrals/disclosure.py). Nothing here
commits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.assessments import queries as assessment_queries
from caseapp.assessments.models import Assessment
from caseapp.audit.services import record_event, record_listing
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.directory.models import TreatmentService
from caseapp.errors import ValidationError
from caseapp.extensions import db
from caseapp.reference import FundingRoute, Labelled, MentalHealthIndicator, Pathway, Substance
from caseapp.referrals import matching, offer_queries
from caseapp.referrals.disclosure import disclosure_to_store
from caseapp.referrals.history import start_referral
from caseapp.referrals.matching import Criteria, Needs, Result
from caseapp.referrals.models import Referral, ReferralOffer, ReferralOfferItem, ReferralStatus
from caseapp.timeutil import now_utc

#: the longest reason an offer takes
REASON_MAX = 2000
_INDICATORS = frozenset(m.value for m in MentalHealthIndicator)
NOT_RECORDED = "The offer has not been recorded yet: some details need attention."


class ItemAction(Labelled):
    #: offered to the caller now (a referral in status offered)
    OFFER = "offer", "Offer now"
    #: kept to offer later (a referral in status suggested)
    SHORTLIST = "shortlist", "Shortlist to offer later"


@dataclass(frozen=True)
class ItemChoice:
    service_id: int
    action: ItemAction
    #: the advisor told the caller about the service's commercial link
    disclosed: bool | None = None


@dataclass(frozen=True)
class Suggested:
    result: Result
    assessment: Assessment | None


@dataclass(frozen=True)
class RecordedOffer:
    offer: ReferralOffer
    referrals: list[Referral]


def needs_of(assessment: Assessment | None) -> Needs:
    """What the assessment says the caller needs; a mental-health indicator (or a suspected dual diagnosis) means
    dual-diagnosis care."""
    if assessment is None:
        return Needs()
    answers = assessment.answers or {}
    known = {s.value for s in Substance}
    substances = tuple(Substance(code) for code in answers.get("substances") or [] if code in known)
    indicators = [code for code in answers.get("mental_health_indicators") or [] if code in _INDICATORS]
    return Needs(
        pathway=assessment.recommended_pathway,
        substance=assessment.primary_substance,
        substances=substances or (assessment.primary_substance,),
        funding_route=assessment.funding_route,
        dual_diagnosis=bool(indicators)
        or answers.get("dual_diagnosis") is True
        or assessment.recommended_pathway is Pathway.DUAL_DIAGNOSIS,
    )


def _criteria(case: Case, changes: dict[str, Any]) -> tuple[Criteria, Assessment | None]:
    assessment = assessment_queries.latest_current_assessment(case.id)
    return matching.criteria_for(needs_of(assessment), **changes), assessment


def _match(criteria: Criteria) -> Result:
    if criteria.pathway is None or criteria.pathway is Pathway.NO_FURTHER_ACTION:
        return matching.match(criteria, [], now_utc())
    types = matching.PATHWAY_TYPES[criteria.pathway]
    services = offer_queries.candidate_services(
        types, dual_diagnosis_capable=criteria.pathway is Pathway.DUAL_DIAGNOSIS
    )
    return matching.match(criteria, services, now_utc())


def suggest_for_case(case: Case, changes: dict[str, Any], *, actor: User) -> Suggested:
    """The services that fit the case (its latest current assessment, with the advisor's `changes` of criteria),
    ranked; a read of the case, audited with the ids shown."""
    access.require(case, actor, Action.VIEW)
    criteria, assessment = _criteria(case, changes)
    result = _match(criteria)
    record_event(
        "referral.suggestions_viewed",
        actor_id=actor.id,
        entity_type="case",
        entity_id=case.id,
        detail={
            "pathway": criteria.pathway.value if criteria.pathway else None,
            "service_ids": [s.service.id for s in result.suggestions],
            "assessment_id": assessment.id if assessment else None,
        },
    )
    return Suggested(result, assessment)


def _reason(text: str | None) -> tuple[str, list[str]]:
    cleaned = (text or "").strip()
    if not cleaned:
        return "", ["Say what the caller wanted and why these services: it is kept with the offer."]
    if len(cleaned) > REASON_MAX:
        return "", [f"Keep the reason to {REASON_MAX} characters; this has {len(cleaned)}."]
    return cleaned, []


def _check_items(
    items: list[ItemChoice], result: Result, errors: dict[str, list[str]]
) -> dict[int, tuple[TreatmentService, bool | None]]:
    """{service id: (the service, the disclosure to store)} for the items chosen; their problems into `errors`."""
    if not items:
        errors["items"] = ["Choose at least one service to offer or to shortlist."]
    suggested = {s.service.id: s.service for s in result.suggestions}
    others = offer_queries.services_by_id({c.service_id for c in items} - set(suggested))
    chosen: dict[int, tuple[TreatmentService, bool | None]] = {}
    for index, choice in enumerate(items):
        key = f"items.{index}"
        service = suggested.get(choice.service_id) or others.get(choice.service_id)
        if choice.service_id in chosen:
            errors[f"{key}.service_id"] = ["This service is listed twice: offer or shortlist it once."]
        elif service is None:
            errors[f"{key}.service_id"] = ["There is no such service in the directory."]
        elif not service.is_active:
            errors[f"{key}.service_id"] = [f"{service.name} is inactive in the directory: it cannot be offered."]
        elif choice.action is ItemAction.SHORTLIST and service.id not in suggested:
            message = f"{service.name} was not suggested for these criteria: offer it now, or leave it out."
            errors[f"{key}.action"] = [message]
        else:
            disclosed = None
            if choice.action is ItemAction.OFFER:
                try:
                    disclosed = disclosure_to_store(service, choice.disclosed, field=f"{key}.disclosed")
                except ValidationError as exc:
                    errors.update(exc.fields)
            chosen[service.id] = (service, disclosed)
    return chosen


def record_offer(
    case: Case, changes: dict[str, Any], items: list[ItemChoice], reason: str | None, *, actor: User
) -> RecordedOffer:
    """Store the offer: an item for every service suggested for these criteria (with its rank) and for every service
    offered although not suggested (no rank); a referral for each item chosen (offered, or suggested to offer
    later). Refused (422, nothing stored) without a reason, without a disclosure of an offered service's commercial
    link, for an inactive or unknown service, or one listed twice."""
    access.require(case, actor, Action.CHANGE)
    errors: dict[str, list[str]] = {}
    text, reason_errors = _reason(reason)
    if reason_errors:
        errors["reason"] = reason_errors
    criteria, _ = _criteria(case, changes)
    if criteria.pathway is None:
        errors["criteria.pathway"] = [matching.NO_PATHWAY]
    result = _match(criteria)
    chosen = _check_items(items, result, errors)
    if errors or criteria.pathway is None:
        messages = [m for texts in errors.values() for m in texts]
        raise ValidationError(messages[0] if len(messages) == 1 else NOT_RECORDED, fields=errors)
    actions = {c.service_id: c.action for c in items}
    offer = ReferralOffer(
        case_id=case.id,
        advisor_id=actor.id,
        pathway=criteria.pathway,
        funding_route=criteria.funding_route or FundingRoute.UNKNOWN,
        criteria=criteria.as_codes(),
        reason=text,
    )
    by_service: dict[int, ReferralOfferItem] = {}
    for suggestion in result.suggestions:
        by_service[suggestion.service.id] = _item(offer, suggestion.service, suggestion.rank, actions, chosen)
    for service_id, (service, _) in chosen.items():
        if service_id not in by_service:
            by_service[service_id] = _item(offer, service, None, actions, chosen)
    db.session.add(offer)
    db.session.flush()
    now = now_utc()
    referrals = [
        start_referral(
            case_id=case.id,
            service_id=c.service_id,
            status=ReferralStatus.OFFERED if c.action is ItemAction.OFFER else ReferralStatus.SUGGESTED,
            actor=actor,
            at=now,
            offer_item=by_service[c.service_id],
        )
        for c in items
    ]
    _audit_offer(offer, items, actor)
    return RecordedOffer(offer, referrals)


def _item(
    offer: ReferralOffer,
    service: TreatmentService,
    rank: int | None,
    actions: dict[int, ItemAction],
    chosen: dict[int, tuple[TreatmentService, bool | None]],
) -> ReferralOfferItem:
    offered = actions.get(service.id) is ItemAction.OFFER
    item = ReferralOfferItem(
        service_id=service.id,
        service=service,
        rank=rank,
        offered=offered,
        commercial_relationship=service.commercial_relationship,
        disclosed=chosen[service.id][1] if offered else None,
    )
    offer.items.append(item)
    return item


def _audit_offer(offer: ReferralOffer, items: list[ItemChoice], actor: User) -> None:
    """Ids, ranks and codes only: never the reason."""
    ranks = {item.service_id: item.rank for item in offer.items}
    record_event(
        "referral.offered",
        actor_id=actor.id,
        entity_type="referral_offer",
        entity_id=offer.id,
        detail={
            "case_id": offer.case_id,
            "pathway": offer.pathway.value,
            "suggested": [i.service_id for i in sorted(offer.items, key=_by_rank) if i.rank is not None],
            "offered": [
                {"service_id": c.service_id, "rank": ranks[c.service_id]} for c in items if c.action is ItemAction.OFFER
            ],
            "shortlisted": [
                {"service_id": c.service_id, "rank": ranks[c.service_id]}
                for c in items
                if c.action is ItemAction.SHORTLIST
            ],
            "disclosed": [i.service_id for i in offer.items if i.disclosed],
        },
    )


def _by_rank(item: ReferralOfferItem) -> int:
    return item.rank or 0


# --- reading offers ------------------------------------------------------------------------------------------------


def offers_for_case(case: Case, *, actor: User) -> list[ReferralOffer]:
    access.require(case, actor, Action.VIEW)
    offers = offer_queries.offers_for_case(case.id)
    record_listing(
        "referral.offers_listed", actor_id=actor.id, entity_type="case", entity_id=case.id, ids=[o.id for o in offers]
    )
    return offers


def offer_for(offer_id: int, *, actor: User) -> tuple[ReferralOffer, Case]:
    offer = offer_queries.get_offer(offer_id)
    case = access.get_case_for(offer.case_id, actor, Action.VIEW)
    record_event(
        "referral.offer_viewed",
        actor_id=actor.id,
        entity_type="referral_offer",
        entity_id=offer.id,
        detail={"case_id": offer.case_id},
    )
    return offer, case
