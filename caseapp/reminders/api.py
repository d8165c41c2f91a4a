"""JSON API for managers: the reminder deliveries, failed ones with their reason, and sending one again."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.api import api_blueprint, operation, page_of
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.pagination import keyset_page
from caseapp.reminders import outbox, queries
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxMessage, OutboxStatus
from caseapp.reminders.schemas import DeliveryListQuery, DeliverySchema, DeliverySummarySchema

api_bp = api_blueprint("reminders", "/reminders", role=Role.MANAGER)


@operation(
    api_bp,
    "",
    summary="Reminder and escalation deliveries, newest first (status=failed: what could not be sent, and why)",
    query=DeliveryListQuery,
    response=page_of(DeliverySchema),
)
def list_deliveries(query: dict[str, Any]) -> dict[str, Any]:
    select = queries.select_messages(
        statuses=[OutboxStatus(s) for s in query["status"]],
        kinds=[OutboxKind(k) for k in query["kind"]],
        channels=[DeliveryChannel(c) for c in query["channel"]],
        callback_id=query["callback"],
    )
    items, next_cursor = keyset_page(
        select,
        [OutboxMessage.created_at, OutboxMessage.id],
        lambda m: (m.created_at, m.id),
        cursor=query["cursor"],
        limit=query["limit"],
    )
    return {"items": items, "next": next_cursor}


@operation(api_bp, "/summary", summary="How many deliveries are in each status", response=DeliverySummarySchema)
def summary() -> dict[str, Any]:
    return {"counts": queries.count_by_status()}


@operation(
    api_bp,
    "/<int:outbox_id>/retry",
    "POST",
    summary="Send a failed delivery again (same Message-ID)",
    response=DeliverySchema,
)
def retry(outbox_id: int) -> OutboxMessage:
    row = outbox.requeue_failed(outbox_id, actor=current_user)
    db.session.commit()
    return row
