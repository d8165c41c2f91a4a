"""API token schemas (the JSON API's /tokens)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from caseapp.schemas import AwareDateTime


class TokenSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The token's first characters, to recognise it by."})
    created_at = AwareDateTime()
    last_used_at = AwareDateTime(allow_none=True)
    expires_at = AwareDateTime(metadata={"description": "Refused from this time on."})
    revoked_at = AwareDateTime(allow_none=True)


class NewTokenSchema(ma.Schema):
    name = fields.String(required=True, validate=ma.validate.Length(1, 80))
    days = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "Expire after this many days: 1 to TOKEN_MAX_DAYS (365); default TOKEN_DEFAULT_DAYS."},
    )


class CreatedTokenSchema(TokenSchema):
    token = fields.String(metadata={"description": "The token itself: shown in this answer only, never again."})
