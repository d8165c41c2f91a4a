"""Reading service settings (read-only)."""

from __future__ import annotations

import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.settings.models import ServiceSetting


def stored_settings() -> dict[str, ServiceSetting]:
    """The rows admins have written, by name."""
    return {row.name: row for row in db.session.scalars(sa.select(ServiceSetting))}


def find_setting(name: str) -> ServiceSetting | None:
    return db.session.get(ServiceSetting, name)


def lock_setting(name: str) -> ServiceSetting | None:
    """The row, locked for the change (two admins saving at once apply one after the other)."""
    return db.session.scalar(sa.select(ServiceSetting).where(ServiceSetting.name == name).with_for_update())
