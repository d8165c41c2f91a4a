"""JSON API for "suggest services" and referral offers: the ranked suggestions for a case, recording an offer, a
case's offers, one offer."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import Extended, api_blueprint, operation, page_of
from caseapp.extensions import db
from caseapp.referrals import offers
from caseapp.referrals.matching import Result
from caseapp.referrals.offer_present import shown_offer, shown_service
from caseapp.referrals.offer_schemas import (
    CriteriaQuery,
    ReferralOfferInputSchema,
    ReferralOfferSchema,
    ServiceSuggestionsSchema,
)
from caseapp.transactions import commit_keeping_loaded

api_bp = api_blueprint("referral_offers", "")


def shown_result(case_id: int, suggested: offers.Suggested) -> dict[str, Any]:
    result: Result = suggested.result
    return {
        "case_id": case_id,
        "assessment_id": suggested.assessment.id if suggested.assessment else None,
        "criteria": result.criteria,
        "message": result.message,
        "items": [Extended(s, service=shown_service(s.service)) for s in result.suggestions],
        "near_misses": [Extended(m, service=shown_service(m.service)) for m in result.near_misses],
    }


def choices_of(items: list[dict[str, Any]]) -> list[offers.ItemChoice]:
    return [offers.ItemChoice(i["service_id"], i["action"], i.get("disclosed")) for i in items]


@operation(
    api_bp,
    "/cases/<int:case_id>/service-suggestions",
    summary="The directory services that fit a case, ranked, with why each matched (its commercial link shown, "
    "never counted)",
    query=CriteriaQuery,
    response=ServiceSuggestionsSchema,
)
def suggestions(case_id: int, query: dict[str, Any]) -> dict[str, Any]:
    case = access.get_case_for(case_id, current_user)
    suggested = offers.suggest_for_case(case, query, actor=current_user)
    commit_keeping_loaded()
    return shown_result(case.id, suggested)


@operation(
    api_bp,
    "/cases/<int:case_id>/referral-offers",
    "POST",
    summary="Record an offer: the server's suggestions with their ranks, the services offered (each commercial link "
    "disclosed) or shortlisted, and why; a referral for each",
    body=ReferralOfferInputSchema,
    response=ReferralOfferSchema,
    status=201,
)
def create(case_id: int, body: dict[str, Any]) -> Extended:
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    recorded = offers.record_offer(
        case, body["criteria"], choices_of(body["items"]), body["reason"], actor=current_user
    )
    db.session.commit()
    return shown_offer(recorded.offer)


@operation(
    api_bp,
    "/cases/<int:case_id>/referral-offers",
    summary="A case's referral offers, newest first",
    response=page_of(ReferralOfferSchema),
)
def list_for_case(case_id: int) -> dict[str, Any]:
    case = access.get_case_for(case_id, current_user)
    items = offers.offers_for_case(case, actor=current_user)
    shown = [shown_offer(offer) for offer in items]
    commit_keeping_loaded()
    return {"items": shown, "next": None}


@operation(api_bp, "/referral-offers/<int:offer_id>", summary="One referral offer", response=ReferralOfferSchema)
def show(offer_id: int) -> Extended:
    offer, _ = offers.offer_for(offer_id, actor=current_user)
    shown = shown_offer(offer)
    commit_keeping_loaded()
    return shown
