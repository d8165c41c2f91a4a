"""record_event(): the one way anything is written to the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from flask import g, has_request_context, request

from caseapp.audit import pending
from caseapp.audit.models import AuditEvent
from caseapp.extensions import db


def record_event(
    action: str,
    *,
    actor_id: int | None,
    entity_type: str | None = None,
    entity_id: int | str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an audit event to the current transaction (written with the others as it commits: audit/pending.py).
    `detail` holds ids and codes, never personal data."""
    row = {
        "action": action,
        "actor_id": actor_id,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "detail": detail or {},
        **request_context(),
    }
    pending.add(db.session(), row)


def request_context() -> dict[str, Any]:
    """The request an event happens in (its id and the client's address), when there is one."""
    if not has_request_context():
        return {"request_id": None, "ip": None}
    return {"request_id": g.get("request_id"), "ip": request.remote_addr}


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


def record_listing(
    action: str, *, actor_id: int, entity_type: str, ids: list[int], entity_id: int | None = None
) -> None:
    """A page or API answer that showed several records: which ones (ids only) is what the audit keeps; `entity_id`
    names the record they belong to (a case's screenings: entity_type "case" and the case's id)."""
    record_event(action, actor_id=actor_id, entity_type=entity_type, entity_id=entity_id, detail={"ids": ids})


def record_trail_view(*, actor_id: int, filters: dict[str, Any], page: int | None = None, **more: Any) -> None:
    """Reading the audit trail is itself audited: who, and with which filters (ids, codes and dates only)."""
    extra = {"page": page} if page is not None else {}
    record_event("audit.viewed", actor_id=actor_id, detail={**filters, **extra, **more})


def record_trail_export(*, actor_id: int, filters: dict[str, Any]) -> None:
    """Exporting the trail (it may leave the service) is audited as its own action, with the filters."""
    record_event("audit.exported", actor_id=actor_id, detail=filters)


def record_chain_view(*, actor_id: int) -> None:
    record_event("audit.chain_viewed", actor_id=actor_id)
