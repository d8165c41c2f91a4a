"""Service settings: what each reads now, and an admin's change (checked, audited, flushed, never committed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caseapp.audit.services import record_event
from caseapp.auth.models import Role, User
from caseapp.errors import Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.settings import queries
from caseapp.settings.models import ServiceSetting
from caseapp.settings.registry import FLAG_MAX_DAYS, SETTINGS
from caseapp.timeutil import now_utc


@dataclass(frozen=True)
class SettingValue:
    """A setting as the page and the API show it."""

    name: str
    label: str
    hint: str
    value: int
    default: int
    minimum: int
    maximum: int
    unit: str
    updated_by_id: int | None
    updated_at: datetime | None


def current_value(name: str) -> Any:
    row = queries.find_setting(name)
    return row.value if row is not None else SETTINGS[name].default


def flag_max_days() -> int:
    """The longest a caller flag may last when raised now, in days."""
    return int(current_value(FLAG_MAX_DAYS.name))


def list_settings() -> list[SettingValue]:
    stored = queries.stored_settings()
    out = []
    for name, setting in SETTINGS.items():
        row = stored.get(name)
        out.append(
            SettingValue(
                name=name,
                label=setting.label,
                hint=setting.hint,
                value=row.value if row is not None else setting.default,
                default=setting.default,
                minimum=setting.minimum,
                maximum=setting.maximum,
                unit=setting.unit,
                updated_by_id=row.updated_by_id if row is not None else None,
                updated_at=row.updated_at if row is not None else None,
            )
        )
    return out


def change_settings(changes: dict[str, Any], *, actor: User) -> list[str]:
    """Set the settings named in `changes` (an admin); every value checked before any is written. Returns the names
    whose value changed; each change is audited with the old and new value (numbers, never text)."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can change the service settings.")
    errors: dict[str, list[str]] = {}
    for name, value in changes.items():
        setting = SETTINGS.get(name)
        if setting is None:
            errors[name] = ["There is no such setting."]
        elif (problem := setting.problem(value)) is not None:
            errors[name] = [problem]
    if errors:
        raise ValidationError("Some settings need attention.", fields=errors)
    changed = []
    for name, value in changes.items():
        row = queries.lock_setting(name)
        before = row.value if row is not None else SETTINGS[name].default
        if before == value:
            continue
        if row is None:
            row = ServiceSetting(name=name)
            db.session.add(row)
        row.value, row.updated_by_id, row.updated_at = value, actor.id, now_utc()
        changed.append(name)
        record_event(
            "setting.changed",
            actor_id=actor.id,
            entity_type="setting",
            entity_id=name,
            detail={"from": before, "to": value},
        )
    db.session.flush()
    return changed
