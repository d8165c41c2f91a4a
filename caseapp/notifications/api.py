"""JSON API for the signed-in user's notifications (the bell)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_login import current_user
from marshmallow import fields

from caseapp.api import PageQuery, api_blueprint, operation, page_of
from caseapp.extensions import db
from caseapp.notifications import queries, services
from caseapp.notifications.models import Notification
from caseapp.pagination import keyset_page
from caseapp.schemas import AwareDateTime, WholeNumber

api_bp = api_blueprint("notifications", "/notifications")


class NotificationSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    link = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    created_at = AwareDateTime()
    read_at = AwareDateTime(allow_none=True)


class NotificationQuery(PageQuery):
    unread = fields.Boolean(load_default=False)


class MarkReadSchema(ma.Schema):
    ids = fields.List(WholeNumber(), load_default=None, metadata={"description": "Omit to mark all read."})


class MarkedSchema(ma.Schema):
    marked = fields.Integer()
    unread = fields.Integer()


@operation(
    api_bp,
    "",
    summary="Your notifications, newest first",
    query=NotificationQuery,
    response=page_of(NotificationSchema),
)
def list_notifications(query: dict[str, Any]) -> dict[str, Any]:
    select = queries.select_for_user(current_user.id, unread_only=query["unread"])
    items, next_cursor = keyset_page(
        select,
        [Notification.created_at, Notification.id],
        lambda n: (n.created_at, n.id),
        cursor=query["cursor"],
        limit=query["limit"],
    )
    return {"items": items, "next": next_cursor}


@operation(api_bp, "/read", "POST", summary="Mark notifications read", body=MarkReadSchema, response=MarkedSchema)
def mark_read(body: dict[str, Any]) -> dict[str, int]:
    marked = services.mark_read(current_user.id, body["ids"])
    db.session.commit()
    return {"marked": marked, "unread": queries.count_unread(current_user.id)}
