"""JSON API: break the glass on a case (a reason opens it for ACCESS_GRANT_HOURS), reveal a masked number."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services
from caseapp.access.models import BreakGlassGrant
from caseapp.access.schemas import BreakGlassGrantSchema, BreakGlassInputSchema, RevealedPhoneSchema
from caseapp.api import api_blueprint, operation
from caseapp.callers.phones import display
from caseapp.cases import queries as case_queries
from caseapp.extensions import db

api_bp = api_blueprint("access", "/cases")


@operation(
    api_bp,
    "/<int:case_id>/access",
    "POST",
    summary="Open a case that is not yours, giving a reason (answers 403 break_glass_required until you do); the "
    "access lasts ACCESS_GRANT_HOURS and is reviewed by the admins",
    body=BreakGlassInputSchema,
    response=BreakGlassGrantSchema,
    status=201,
)
def break_glass(case_id: int, body: dict[str, Any]) -> BreakGlassGrant:
    case = case_queries.get_case(case_id)
    grant = services.break_glass(case, actor=current_user, reason=body["reason"], note=body["note"])
    db.session.commit()
    return grant


@operation(
    api_bp,
    "/<int:case_id>/phone",
    "POST",
    summary="The caller's number in full, where lists show it masked (audited)",
    response=RevealedPhoneSchema,
)
def reveal_phone(case_id: int) -> dict[str, Any]:
    case = case_queries.get_case(case_id)
    phone = services.reveal_phone(case, actor=current_user)
    db.session.commit()
    return {"case_id": case.id, "caller_id": case.caller_id, "phone": phone, "display": display(phone)}
