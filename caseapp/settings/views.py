"""The admins' page of service settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseapp.api import load
from caseapp.audit.services import record_event
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.errors import AppError
from caseapp.extensions import db
from caseapp.forms import form_to_payload
from caseapp.settings import services
from caseapp.settings.schemas import SettingsPatchSchema

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")
guard_blueprint(bp, Role.ADMIN)


def _render(
    values: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None, message: str | None = None
) -> str:
    settings = services.list_settings()
    shown = values if values is not None else {s.name: str(s.value) for s in settings}
    return render_template("settings/show.html", settings=settings, values=shown, errors=errors or {}, message=message)


@bp.get("/")
def show() -> ResponseReturnValue:
    record_event("setting.viewed", actor_id=current_user.id, entity_type="setting")
    db.session.commit()
    return _render()


@bp.post("/")
def update() -> ResponseReturnValue:
    payload, _ = form_to_payload(request.form, SettingsPatchSchema)
    try:
        changed = services.change_settings(load(SettingsPatchSchema, payload), actor=current_user)
    except AppError as exc:
        db.session.rollback()
        typed = {name: request.form.get(name, "") for name in request.form if name != "csrf_token"}
        return _render(typed, exc.fields, exc.message), exc.status
    db.session.commit()
    flash("Settings saved." if changed else "Nothing changed.", "info")
    return redirect(url_for("settings.show"))
