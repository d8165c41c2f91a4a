from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.safety_plans.texts import SUGGESTED_SERVICES
from caseapp.schemas import AwareDateTime

TEXT_MAX = 4000


def _text(description: str) -> fields.String:
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=TEXT_MAX),
        metadata={"description": description},
    )


class SafetyPlanInput(ma.Schema):
    """The whole plan: saving makes a new version (a part left out is empty in it)."""

    warning_signs = _text("Thoughts, feelings or situations that mean a crisis may be coming.")
    coping_strategies = _text("What helps: things the caller can do on their own.")
    contacts = _text("People to contact, names and numbers.")
    services = _text("Services and crisis numbers.")
    safe_place = _text("Somewhere the caller can go to be safe.")


class SafetyPlanSchema(SafetyPlanInput):
    """The latest version; a case without a plan has `version` (and `id`, `created_at`) null."""

    id = fields.Integer(allow_none=True)
    case_id = fields.Integer()
    version = fields.Integer(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    created_at = AwareDateTime(allow_none=True)
    suggested_services = fields.Constant(
        SUGGESTED_SERVICES, dump_only=True, metadata={"description": "The crisis lines a new plan starts with."}
    )
