"""JSON API for referrals: a case's referrals, the list (status, service, case; as the case access policy allows),
one referral with its history, and changing its status (with the proposed follow-up callback, booked on request)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.api import Extended, api_blueprint, operation, page_of
from caseapp.extensions import db
from caseapp.pagination import keyset_page
from caseapp.referrals import audit, follow_ups, queries, workflow
from caseapp.referrals.models import Referral
from caseapp.referrals.schemas import (
    ReferralDetailSchema,
    ReferralListQuery,
    ReferralSchema,
    StatusChangeResultSchema,
    StatusChangeSchema,
)
from caseapp.transactions import commit_keeping_loaded

api_bp = api_blueprint("referrals", "/referrals")
case_api_bp = api_blueprint("case_referrals", "/cases")


@operation(
    case_api_bp,
    "/<int:case_id>/referrals",
    summary="A case's referrals, newest first, each with its history",
    response=page_of(ReferralDetailSchema),
)
def list_for_case(case_id: int) -> dict[str, Any]:
    case = access.get_case_for(case_id, current_user)
    referrals = queries.referrals_for_case(case.id)
    audit.listed(referrals, actor=current_user)
    commit_keeping_loaded()
    return {"items": referrals, "next": None}


@operation(
    api_bp,
    "",
    summary="List referrals, most recently changed first (filters: status, service, case); the cases you may see",
    query=ReferralListQuery,
    response=page_of(ReferralSchema),
)
def list_referrals(query: dict[str, Any]) -> dict[str, Any]:
    select = access.narrow_by_case(
        queries.select_referrals(statuses=query["status"], service_id=query["service"], case_id=query["case"]),
        Referral.case_id,
        current_user,
    )
    items, next_cursor = keyset_page(
        select,
        [Referral.status_changed_at, Referral.id],
        lambda r: (r.status_changed_at, r.id),
        cursor=query["cursor"],
        limit=query["limit"],
    )
    audit.listed(items, actor=current_user)
    commit_keeping_loaded()
    return {"items": items, "next": next_cursor}


@operation(api_bp, "/<int:referral_id>", summary="One referral, with its history", response=ReferralDetailSchema)
def get(referral_id: int) -> Referral:
    referral = queries.get_referral(referral_id)
    access.get_case_for(referral.case_id, current_user)
    audit.viewed(referral, actor=current_user)
    commit_keeping_loaded()
    return referral


@operation(
    api_bp,
    "/<int:referral_id>/status",
    "POST",
    summary="Change a referral's status (409 invalid_transition, or stale version); proposes a follow-up callback "
    "after sent or admitted, booked with book_follow_up",
    body=StatusChangeSchema,
    response=StatusChangeResultSchema,
)
def change_status(referral_id: int, body: dict[str, Any]) -> Extended:
    book = body.pop("book_follow_up")
    referral = queries.lock_referral(referral_id)
    change = workflow.change_status(referral, body.pop("to"), current_user, version=body.pop("version"), **body)
    proposal = follow_ups.propose(referral, change.case)
    booked = follow_ups.book(referral, change.case, actor=current_user) if book else None
    db.session.commit()
    return Extended(
        queries.get_referral(referral_id), proposed_callback=proposal, booked_callback_id=booked.id if booked else None
    )
