"""JSON API: erase a caller on request (admins), place and release legal holds on a case (managers and admins)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.api import api_blueprint, operation
from caseapp.auth.models import Role
from caseapp.callers import queries as caller_queries
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.retention import queries, services
from caseapp.retention.schemas import ErasureSchema, LegalHoldSchema, ReasonSchema

erasure_api_bp = api_blueprint("erasure", "/callers", role=Role.ADMIN)
legal_hold_api_bp = api_blueprint("legal_hold", "/cases", role=Role.MANAGER)


@operation(
    erasure_api_bp,
    "/<int:caller_id>/erasure",
    "POST",
    summary="Erase a caller now: anonymise them and all their cases (409 while a case is under legal hold)",
    body=ReasonSchema,
    response=ErasureSchema,
)
def erase(caller_id: int, body: dict[str, Any]) -> dict[str, Any]:
    counts = services.erase_caller(caller_id, actor=current_user, reason=body["reason"])
    db.session.commit()
    caller = caller_queries.get_caller(caller_id)
    return {
        "caller_id": caller.id,
        "anonymised_at": caller.anonymised_at,
        "case_ids": queries.case_ids_of_caller(caller.id),
        "rows": dict(counts),
    }


@operation(
    legal_hold_api_bp,
    "/<int:case_id>/legal-hold",
    "POST",
    summary="Place a legal hold on a case (retention and erasure then leave its caller alone)",
    body=ReasonSchema,
    response=LegalHoldSchema,
)
def place(case_id: int, body: dict[str, Any]) -> Case:
    case = services.place_legal_hold(case_id, actor=current_user, reason=body["reason"])
    db.session.commit()
    return case


@operation(
    legal_hold_api_bp,
    "/<int:case_id>/legal-hold/release",
    "POST",
    summary="Release a case's legal hold",
    body=ReasonSchema,
    response=LegalHoldSchema,
)
def release(case_id: int, body: dict[str, Any]) -> Case:
    case = services.release_legal_hold(case_id, actor=current_user, reason=body["reason"])
    db.session.commit()
    return case
