from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from caseapp.assessments.models import Assessment
from caseapp.audit.models import AuditEvent
from caseapp.auth.models import User
from caseapp.callbacks.models import Callback
from caseapp.calls.models import Call
from caseapp.cases.models import Case, format_reference
from caseapp.extensions import db


@dataclass(frozen=True)
class EventFilters:
    """What the trail is narrowed to; every part optional. `action` is a code, or an area prefix ending in '.'."""

    actor_id: int | None = None
    #: only events with no actor (the system, or a failed sign-in of an unknown user)
    system_only: bool = False
    action: str | None = None
    case_id: int | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    #: exclusive
    until: datetime | None = None


def _ids_as_text(column: Any, case_column: Any, case_id: int) -> sa.Select[str]:
    """The ids (as the audit trail stores them, text) of one case's rows in another table."""
    return sa.select(sa.cast(column, sa.String)).where(case_column == case_id)


def _about_case(case_id: int) -> sa.ColumnElement[bool]:
    """Events about the case itself, or about one of its calls, callbacks or assessments (every such event names
    its entity; the entity index answers each part)."""
    parts = [
        (AuditEvent.entity_type == "case") & (AuditEvent.entity_id == str(case_id)),
        (AuditEvent.entity_type == "call") & AuditEvent.entity_id.in_(_ids_as_text(Call.id, Call.case_id, case_id)),
        (AuditEvent.entity_type == "callback")
        & AuditEvent.entity_id.in_(_ids_as_text(Callback.id, Callback.case_id, case_id)),
        (AuditEvent.entity_type == "assessment")
        & AuditEvent.entity_id.in_(_ids_as_text(Assessment.id, Assessment.case_id, case_id)),
    ]
    return sa.or_(*parts)


def select_events(filters: EventFilters | None = None) -> sa.Select[AuditEvent]:
    """Newest first, with each event's actor loaded in the same query."""
    f = filters or EventFilters()
    query = (
        sa.select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    if f.system_only:
        query = query.where(AuditEvent.actor_id.is_(None))
    elif f.actor_id is not None:
        query = query.where(AuditEvent.actor_id == f.actor_id)
    if f.action and f.action.endswith("."):
        query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
    elif f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.case_id is not None:
        query = query.where(_about_case(f.case_id))
    if f.entity_type:
        query = query.where(AuditEvent.entity_type == f.entity_type)
    if f.entity_id:
        query = query.where(AuditEvent.entity_id == f.entity_id)
    if f.since is not None:
        query = query.where(AuditEvent.occurred_at >= f.since)
    if f.until is not None:
        query = query.where(AuditEvent.occurred_at < f.until)
    return query


def case_references(case_ids: Iterable[int]) -> dict[int, str]:
    """CA-… references of these cases, in one query (the trail names cases by reference)."""
    wanted = set(case_ids)
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(Case.id, Case.reference_year).where(Case.id.in_(wanted)))
    return {case_id: format_reference(year, case_id) for case_id, year in rows}


def user_names(user_ids: Iterable[int]) -> dict[int, str]:
    """Staff names for users the trail shows as the subject of an event, in one query."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {row.id: row.full_name for row in rows}


def events_about(entity_type: str, entity_ids: Iterable[int], actions: Iterable[str]) -> list[AuditEvent]:
    """The events of `actions` about these entities, oldest first (e.g. a case's callbacks' lifecycle steps)."""
    ids = [str(i) for i in entity_ids]
    if not ids:
        return []
    query = (
        sa.select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(
            AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(ids), AuditEvent.action.in_(list(actions))
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return list(db.session.scalars(query))
