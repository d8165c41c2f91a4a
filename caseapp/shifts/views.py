"""Pages: clock on and off; who is on shift (managers can end a forgotten shift)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseapp.auth.access import guard_blueprint, safe_next
from caseapp.auth.models import Role
from caseapp.errors import AppError
from caseapp.extensions import db
from caseapp.ids import parse_id
from caseapp.shifts import queries, services

bp = Blueprint("shifts", __name__, url_prefix="/shifts")
guard_blueprint(bp, Role.ADVISOR)


@bp.get("/")
def index() -> ResponseReturnValue:
    show_team = current_user.has_role(Role.MANAGER)
    return render_template(
        "shifts/index.html",
        mine=queries.find_open_shift(current_user.id),
        team=queries.open_shifts() if show_team else [],
        show_team=show_team,
    )


def _act(action: str, user_id: int | None = None) -> ResponseReturnValue:
    try:
        if action == "start":
            services.start_shift(actor=current_user)
        else:
            services.end_shift(actor=current_user, user_id=user_id)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash("You are on shift." if action == "start" else "Shift ended.", "info")
    return redirect(safe_next(request.form.get("next"), "shifts.index"))


@bp.post("/start")
def start() -> ResponseReturnValue:
    return _act("start")


@bp.post("/end")
def end() -> ResponseReturnValue:
    return _act("end", request.form.get("user_id", type=parse_id))
