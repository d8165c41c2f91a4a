"""How the trail page shows an event: who (a name), what (a label), about what (a link), and the detail.

Names and case references are looked up for a whole page at once (two queries, whatever the page size)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for

from caseapp.audit import actions, queries
from caseapp.audit.models import AuditEvent
from caseapp.timeutil import format_local

#: entity type → (what it is called, the endpoint of its page and that endpoint's argument), when it has a page
ENTITIES: dict[str, tuple[str, str | None, str | None]] = {
    "case": ("Case", "cases.show", "case_id"),
    "callback": ("Callback", "callbacks.show", "callback_id"),
    "assessment": ("Assessment", "assessments.show", "assessment_id"),
    "screening": ("Screening", "screenings.show", "screening_id"),
    "clinician_score": ("Clinician's withdrawal score", None, None),
    "safeguarding": ("Safeguarding record", "safeguarding.show", "safeguarding_id"),
    "emergency_action": ("Emergency log entry", None, None),
    "user": ("User", "users.edit", "user_id"),
    "call": ("Call", None, None),
    "caller": ("Caller", None, None),
    "shift": ("Shift", None, None),
    "api_token": ("API token", None, None),
    "report": ("Report", None, None),
    "caller_flag": ("Caller flag", None, None),
    "setting": ("Service setting", None, None),
    "treatment_service": ("Treatment service", "directory.show", "service_id"),
}


@dataclass(frozen=True)
class Link:
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Row:
    event: AuditEvent
    action: str
    actor: Link
    entity: Link | None
    #: the case an event about a call, callback or assessment belongs to (from its detail)
    case: Link | None
    detail: list[tuple[str, str]]


def _numeric(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _case_link(case_id: int, references: dict[int, str]) -> Link:
    return Link(references.get(case_id, f"Case #{case_id}"), url_for("cases.show", case_id=case_id))


def _entity(event: AuditEvent, references: dict[int, str], names: dict[int, str]) -> Link | None:
    if not event.entity_type:
        return None
    unlisted = (event.entity_type.replace("_", " ").capitalize(), None, None)
    noun, endpoint, argument = ENTITIES.get(event.entity_type, unlisted)
    number = _numeric(event.entity_id)
    if number is None:
        return Link(noun if event.entity_id is None else f"{noun} {event.entity_id}")
    if event.entity_type == "case":
        return _case_link(number, references)
    text = names.get(number, f"{noun} #{number}") if event.entity_type == "user" else f"{noun} #{number}"
    arguments: dict[str, Any] = {argument: number} if argument else {}
    url = url_for(endpoint, **arguments) if endpoint else None
    return Link(text, url)


def _instant(text: str) -> datetime | None:
    """An RFC 3339 instant as services store them in details (due_at), else None."""
    if len(text) < 16 or "T" not in text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _shown(value: Any) -> str:
    if isinstance(value, str) and (instant := _instant(value)) is not None:
        return format_local(instant, "%d %b %Y %H:%M")
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{key} {_shown(item)}" for key, item in value.items())
    return str(value)


def _detail(event: AuditEvent) -> list[tuple[str, str]]:
    detail = event.detail if isinstance(event.detail, dict) else {}
    return [(str(key).replace("_", " "), _shown(value)) for key, value in sorted(detail.items())]


def rows(events: Sequence[AuditEvent]) -> list[Row]:
    def detail_case(event: AuditEvent) -> int | None:
        detail = event.detail if isinstance(event.detail, dict) else {}
        return _numeric(detail.get("case_id")) if event.entity_type != "case" else None

    case_ids = {n for e in events if e.entity_type == "case" and (n := _numeric(e.entity_id)) is not None}
    case_ids |= {n for e in events if (n := detail_case(e)) is not None}
    user_ids = {n for e in events if e.entity_type == "user" and (n := _numeric(e.entity_id)) is not None}
    references, names = queries.case_references(case_ids), queries.user_names(user_ids)
    out = []
    for event in events:
        if event.actor is not None:
            actor = Link(event.actor.full_name, url_for("users.edit", user_id=event.actor.id))
        elif event.actor_id is not None:
            actor = Link(f"User #{event.actor_id}")
        else:  # a worker, or a sign-in attempt by someone unknown
            actor = Link("Not signed in" if actions.area_of(event.action) == "auth" else "System")
        case_id = detail_case(event)
        out.append(
            Row(
                event=event,
                action=actions.label(event.action),
                actor=actor,
                entity=_entity(event, references, names),
                case=_case_link(case_id, references) if case_id is not None else None,
                detail=_detail(event),
            )
        )
    return out
