"""What the settings API takes and returns (one field per setting in registry.py)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from caseapp.schemas import AwareDateTime, WholeNumber
from caseapp.settings.registry import SETTINGS

#: the PATCH body: any of the settings, each a whole number (its range is checked by the service)
SettingsPatchSchema = ma.Schema.from_dict(
    {
        name: WholeNumber(
            metadata={"description": f"{setting.label} ({setting.minimum} to {setting.maximum} {setting.unit})."}
        )
        for name, setting in SETTINGS.items()
    },
    name="SettingsPatchSchema",
)


class SettingSchema(ma.Schema):
    name = fields.String()
    label = fields.String()
    value = fields.Integer()
    default = fields.Integer()
    minimum = fields.Integer()
    maximum = fields.Integer()
    unit = fields.String()
    updated_by_id = fields.Integer(allow_none=True)
    updated_at = AwareDateTime(allow_none=True)
