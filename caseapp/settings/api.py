"""JSON API for the service settings (admins only)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.api import api_blueprint, operation, page_of
from caseapp.audit.services import record_event
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.settings import services
from caseapp.settings.schemas import SettingSchema, SettingsPatchSchema

api_bp = api_blueprint("settings", "/settings", Role.ADMIN)


@operation(
    api_bp, "", summary="The service settings, with their defaults and ranges (admins)", response=page_of(SettingSchema)
)
def show() -> dict[str, Any]:
    record_event("setting.viewed", actor_id=current_user.id, entity_type="setting")
    db.session.commit()
    return {"items": services.list_settings(), "next": None}


@operation(
    api_bp,
    "",
    "PATCH",
    summary="Change service settings (admins): only those sent change; flags already raised keep their expiry",
    body=SettingsPatchSchema,
    response=page_of(SettingSchema),
)
def update(body: dict[str, Any]) -> dict[str, Any]:
    services.change_settings(body, actor=current_user)
    db.session.commit()
    return {"items": services.list_settings(), "next": None}
