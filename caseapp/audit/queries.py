from __future__ import annotations

import sqlalchemy as sa

from caseapp.audit.models import AuditEvent


def select_events(
    *,
    actor_id: int | None = None,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
) -> sa.Select[AuditEvent]:
    """Newest first, filtered by any of actor, action prefix, entity."""
    query = sa.select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    return query
