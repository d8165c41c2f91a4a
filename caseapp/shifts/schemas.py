from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from caseapp.ids import Id
from caseapp.schemas import AwareDateTime


class ShiftSchema(ma.Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    started_at = AwareDateTime()
    ended_at = AwareDateTime(allow_none=True)


class OnShiftSchema(ShiftSchema):
    """A shift with who is on it (for managers)."""

    full_name = fields.Function(lambda s: s.user.full_name)
    role = fields.Function(lambda s: s.user.role.value)


class MyShiftSchema(ma.Schema):
    on_shift = fields.Boolean()
    shift = fields.Nested(ShiftSchema, allow_none=True)


class EndShiftQuery(ma.Schema):
    user_id = Id(load_default=None, allow_none=True, metadata={"description": "Managers: end this person's shift."})
