"""record_event(): the one way anything is written to the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from flask import g, has_request_context, request

from caseapp.audit.models import AuditEvent
from caseapp.extensions import db


def record_event(
    action: str,
    *,
    actor_id: int | None,
    entity_type: str | None = None,
    entity_id: int | str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event in the current transaction. `detail` holds ids and codes, never personal data."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        detail=detail or {},
    )
    if has_request_context():
        event.request_id = g.get("request_id")
        event.ip = request.remote_addr
    db.session.add(event)
    return event


def request_context() -> dict[str, Any]:
    """The request an event happens in (its id and the client's address), when there is one."""
    return {"request_id": g.get("request_id"), "ip": request.remote_addr} if has_request_context() else {}


def record_events(
    action: str,
    *,
    actor_id: int | None,
    entity_type: str,
    events: Sequence[tuple[int | str, dict[str, Any]]],
) -> int:
    """Many events of one action, each (entity id, detail), in one INSERT in the current transaction (a batch of
    reminders marked sent). The same rules as record_event: ids and codes only."""
    if not events:
        return 0
    context = request_context()
    rows = [
        {
            "action": action,
            "actor_id": actor_id,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "detail": detail,
            **context,
        }
        for entity_id, detail in events
    ]
    db.session.execute(sa.insert(cast(sa.Table, AuditEvent.__table__)), rows)
    return len(rows)


def record_listing(action: str, *, actor_id: int, entity_type: str, ids: list[int]) -> AuditEvent:
    """A page or API answer that showed several records: which ones (ids only) is what the audit keeps."""
    return record_event(action, actor_id=actor_id, entity_type=entity_type, detail={"ids": ids})


def commit_read_audit() -> None:
    """Commit the audit of what a page shows without expiring what it loaded: the page renders the rows it read and
    audited, instead of loading each one again after the commit (one statement per row)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def record_trail_view(*, actor_id: int, filters: dict[str, Any], page: int) -> AuditEvent:
    """Reading the audit trail is itself audited: who, and with which filters (ids, codes and dates only)."""
    return record_event("audit.viewed", actor_id=actor_id, detail={**filters, "page": page})
