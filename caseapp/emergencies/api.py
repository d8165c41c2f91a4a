"""JSON API for emergency alerts (POST one the moment immediate danger is chosen; list a case's alerts) and the
emergency log (the 999 calls and transfers made)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.api import Extended, api_blueprint, operation, page_of
from caseapp.cases import queries as case_queries
from caseapp.emergencies import queries, services, texts
from caseapp.emergencies.models import EmergencyAction
from caseapp.emergencies.schemas import (
    EmergencyActionInputSchema,
    EmergencyActionSchema,
    EmergencyAlertSchema,
    RaisedAlertSchema,
)
from caseapp.extensions import db
from caseapp.transactions import commit_keeping_loaded

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


@operation(
    api_bp,
    "/<int:case_id>/emergency-log",
    "POST",
    summary="Log a 999 call or a transfer made for the caller: the service, its reference and the outcome",
    body=EmergencyActionInputSchema,
    response=EmergencyActionSchema,
    status=201,
)
def log_action(case_id: int, body: dict[str, Any]) -> EmergencyAction:
    case = case_queries.get_case(case_id)
    action = services.log_action(case, body, actor=current_user)
    db.session.commit()
    return action


@operation(
    api_bp,
    "/<int:case_id>/emergency-log",
    summary="A case's emergency log, newest first",
    response=page_of(EmergencyActionSchema),
)
def log_for_case(case_id: int) -> dict[str, Any]:
    case = access.get_case_for(case_id, current_user)
    items = queries.actions_for_case(case.id)
    services.record_log_listing(case, items, actor=current_user)
    commit_keeping_loaded()  # the items as read: no reload per row
    return {"items": items, "next": None}
