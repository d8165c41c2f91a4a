"""GET /api/v1/audit: the filters (the trail page's, by id and code) and what an event looks like."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.api import PageQuery
from caseapp.audit import actions
from caseapp.audit.forms import SYSTEM, case_by_reference
from caseapp.audit.queries import EventFilters
from caseapp.calls.schemas import LocalDateOrInstant
from caseapp.ids import Id, as_id
from caseapp.schemas import AwareDateTime

_ENTITY = re.compile(r"(?P<type>[a-z_]{1,32})(:(?P<id>[0-9]{1,18}))?")
FORMATS = ("json", "csv")


def _action(text: str) -> bool:
    return text in actions.ACTIONS or (text.endswith(".") and text[:-1] in actions.AREAS)


class AuditFilters(ma.Schema):
    """The filters of GET /api/v1/audit and /api/v1/audit.csv."""

    actor = fields.String(
        load_default=None,
        metadata={"description": f"A staff member's user id, or `{SYSTEM}` for events with no one signed in."},
    )
    action = fields.String(
        load_default=None,
        metadata={"description": "An action code (`case.viewed`) or a whole area (`case.`)."},
    )
    entity = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={"description": "What the events are about: a type (`callback`) or type:id (`callback:42`)."},
    )
    case = fields.String(
        load_default=None,
        validate=validate.Length(max=64),
        metadata={"description": "A case reference (CA-2026-000123): the case and its calls, callbacks, assessments."},
    )
    caller = Id(load_default=None, metadata={"description": "A caller's id: the caller, their calls and cases."})
    from_ = LocalDateOrInstant(
        data_key="from",
        load_default=None,
        metadata={"type": "string", "description": "At or after: a local date (YYYY-MM-DD) or an RFC 3339 time."},
    )
    to = LocalDateOrInstant(
        load_default=None,
        metadata={"type": "string", "description": "Before (exclusive): a local date or an RFC 3339 time."},
    )

    @ma.validates("action")
    def _known_action(self, value: str | None, **_: Any) -> None:
        if value is not None and not _action(value):
            raise ma.ValidationError("Give an action code, or an area ending in '.'.")

    @ma.validates("actor")
    def _known_actor(self, value: str | None, **_: Any) -> None:
        if value is not None and value != SYSTEM and as_id(value) is None:
            raise ma.ValidationError(f"Give a user id or `{SYSTEM}`.")

    @ma.validates_schema
    def _window(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("from_"), data.get("to")
        if start is not None and end is not None and end < start:
            raise ma.ValidationError("`to` is before `from`.", field_name="to")

    @ma.post_load
    def _filters(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Adds `filters` (EventFilters) and `detail` (the filters for the audit.viewed or audit.exported event)."""
        wanted: dict[str, Any] = {"action": data["action"], "since": data["from_"], "until": data["to"]}
        actor = data["actor"]
        if actor == SYSTEM:
            wanted["system_only"] = True
        elif actor is not None:
            wanted["actor_id"] = as_id(actor)
        if data["entity"]:
            # type or type:id; anything else is a type no event has (it matches nothing, like any unknown value)
            match = _ENTITY.fullmatch(data["entity"])
            wanted["entity_type"] = match["type"] if match else data["entity"]
            wanted["entity_id"] = match["id"] if match else None
        if data["case"]:
            case = case_by_reference(data["case"])
            if case is None:
                message = "No case has this reference. References look like CA-2026-000123."
                raise ma.ValidationError(message, field_name="case")
            wanted["case_id"] = case.id
        wanted["caller_id"] = data["caller"]
        filters = EventFilters(**wanted)
        data["filters"] = filters
        data["detail"] = filters_detail(filters)
        return data


class AuditQuery(AuditFilters, PageQuery):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "`csv` for the whole matching trail as CSV (as /api/v1/audit.csv)."},
    )


def filters_detail(f: EventFilters) -> dict[str, Any]:
    """The filters as the audit keeps them: ids, codes and instants."""
    detail: dict[str, Any] = {
        "actor_id": f.actor_id,
        "system_only": f.system_only or None,
        "action": f.action,
        "case_id": f.case_id,
        "caller_id": f.caller_id,
        "entity_type": f.entity_type,
        "entity_id": f.entity_id,
        "from": f.since.isoformat() if f.since else None,
        "to": f.until.isoformat() if f.until else None,
    }
    return {key: value for key, value in detail.items() if value is not None}


class AuditEventSchema(ma.Schema):
    id = fields.Integer()
    occurred_at = AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.Function(
        lambda e: e.actor.full_name if e.actor is not None else None,
        allow_none=True,
        metadata={"type": "string", "description": "The staff member's name (null: the system or not signed in)."},
    )
    action = fields.String()
    action_label = fields.Function(lambda e: actions.label(e.action), metadata={"type": "string"})
    entity_type = fields.String(allow_none=True)
    entity_id = fields.String(allow_none=True)
    detail = fields.Dict()
    ip = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    chain_seq = fields.Integer(
        allow_none=True, metadata={"description": "Its place in the hash chain; null: unsealed."}
    )
    row_hash = fields.String(allow_none=True)


class ChainHeadSchema(ma.Schema):
    seq = fields.Integer()
    hash = fields.String()
    event_id = fields.Integer()
    occurred_at = AwareDateTime()


class ChainStatusSchema(ma.Schema):
    head = fields.Nested(ChainHeadSchema, allow_none=True, metadata={"description": "The last sealed row."})
    unsealed = fields.Integer(metadata={"description": "Rows committed and waiting for the sealer."})
