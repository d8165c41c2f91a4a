"""JSON API for safeguarding records: record one on a case, list a case's, correct one, a manager's review, and the
managers' list of concerns by status."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.api import api_blueprint, operation, page_of
from caseapp.auth.models import Role
from caseapp.cases import queries as case_queries
from caseapp.extensions import db
from caseapp.safeguarding import queries, services
from caseapp.safeguarding.models import SafeguardingRecord
from caseapp.safeguarding.schemas import (
    SafeguardingInputSchema,
    SafeguardingPatchSchema,
    SafeguardingQuery,
    SafeguardingReviewSchema,
    SafeguardingSchema,
)
from caseapp.timeutil import now_utc
from caseapp.transactions import commit_keeping_loaded

case_api_bp = api_blueprint("case_safeguarding", "/cases")
api_bp = api_blueprint("safeguarding", "/safeguarding")
#: the managers' side: guarded before the body is read (an advisor is refused, whatever they send)
managers_api_bp = api_blueprint("safeguarding_review", "/safeguarding", Role.MANAGER)


@operation(
    case_api_bp,
    "/<int:case_id>/safeguarding",
    "POST",
    summary="Record a safeguarding concern on a case: who is at risk, the concern, the decision to share and why",
    body=SafeguardingInputSchema,
    response=SafeguardingSchema,
    status=201,
)
def create(case_id: int, body: dict[str, Any]) -> SafeguardingRecord:
    case = case_queries.get_case(case_id)
    record = services.record_concern(case, body, actor=current_user)
    db.session.commit()
    return record


@operation(
    case_api_bp,
    "/<int:case_id>/safeguarding",
    summary="A case's safeguarding records, newest first",
    response=page_of(SafeguardingSchema),
)
def list_for_case(case_id: int) -> dict[str, Any]:
    case = access.get_case_for(case_id, current_user)
    items = queries.records_for_case(case.id)
    services.record_case_listing(case, items, actor=current_user)
    commit_keeping_loaded()  # the items as read: no reload per row
    return {"items": items, "next": None}


@operation(
    managers_api_bp,
    "",
    summary="Safeguarding concerns by status, oldest first (managers)",
    query=SafeguardingQuery,
    response=page_of(SafeguardingSchema),
)
def list_concerns(query: dict[str, Any]) -> dict[str, Any]:
    days = query.get("older_than_days")
    before = now_utc() - timedelta(days=days) if days is not None else None
    items = queries.concerns([query["status"]], raised_before=before)
    services.record_concerns_listing(items, actor=current_user)
    commit_keeping_loaded()  # the items as read: no reload per row
    return {"items": items, "next": None}


@operation(
    api_bp,
    "/<int:safeguarding_id>",
    "PATCH",
    summary="Correct or complete a safeguarding record (only the fields sent change; a closed one cannot)",
    body=SafeguardingPatchSchema,
    response=SafeguardingSchema,
)
def update(safeguarding_id: int, body: dict[str, Any]) -> SafeguardingRecord:
    record = services.update_concern(queries.lock_record(safeguarding_id), body, actor=current_user)
    db.session.commit()
    return record


@operation(
    managers_api_bp,
    "/<int:safeguarding_id>/review",
    "POST",
    summary="A manager's review: move the concern to under_review, then closed (with the outcome)",
    body=SafeguardingReviewSchema,
    response=SafeguardingSchema,
)
def review(safeguarding_id: int, body: dict[str, Any]) -> SafeguardingRecord:
    record = queries.lock_record(safeguarding_id)
    access.require(record.case, current_user)
    record = services.review_concern(
        record, status=body["status"], outcome_note=body.get("outcome_note"), actor=current_user
    )
    db.session.commit()
    return record
