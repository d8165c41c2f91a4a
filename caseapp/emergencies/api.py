"""JSON API for emergency alerts: POST one the moment immediate danger is chosen; list a case's alerts."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.api import Extended, api_blueprint, operation, page_of
from caseapp.cases import queries as case_queries
from caseapp.emergencies import queries, services, texts
from caseapp.emergencies.schemas import EmergencyAlertSchema, RaisedAlertSchema
from caseapp.extensions import db

api_bp = api_blueprint("emergencies", "/cases")


@operation(
    api_bp,
    "/<int:case_id>/emergency-alerts",
    "POST",
    summary="Alert the managers on shift: immediate danger on this case (once per 30 minutes)",
    response=RaisedAlertSchema,
    status=201,
)
def create(case_id: int) -> Extended:
    case = case_queries.get_case(case_id)
    raised = services.raise_alert(case, actor=current_user)
    db.session.commit()
    return Extended(raised.alert, is_new=raised.is_new, summary=texts.describe(raised.alert, is_new=raised.is_new))


@operation(
    api_bp,
    "/<int:case_id>/emergency-alerts",
    summary="A case's emergency alerts, newest first",
    response=page_of(EmergencyAlertSchema),
)
def list_for_case(case_id: int) -> dict[str, Any]:
    case = access.get_case_for(case_id, current_user)
    return {"items": queries.alerts_for_case(case.id), "next": None}
