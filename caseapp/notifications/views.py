"""Pages: the signed-in user's notifications (the bell's list)."""

from __future__ import annotations

import re

from flask import Blueprint, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseapp.auth.access import guard_blueprint, safe_next
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.ids import parse_id
from caseapp.notifications import queries, services
from caseapp.notifications.models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
guard_blueprint(bp, Role.ADVISOR)


@bp.get("/")
def list() -> ResponseReturnValue:  # noqa: A001 - endpoint name notifications.list
    query = queries.select_for_user(current_user.id).order_by(Notification.created_at.desc(), Notification.id.desc())
    page = db.paginate(query, page=request.args.get("page", 1, type=parse_id), per_page=50, error_out=False)
    return render_template("notifications/list.html", page=page)


@bp.get("/<int:notification_id>/open")
def open_notification(notification_id: int) -> ResponseReturnValue:
    """Following a notification marks it read, then goes where it points (same-site paths only)."""
    notification = queries.get_for_user(notification_id, current_user.id)
    services.mark_read(current_user.id, [notification.id])
    db.session.commit()
    return redirect(safe_next(notification.link, "notifications.list"))


@bp.post("/read")
def mark_read() -> ResponseReturnValue:
    ids = [int(v) for v in request.form.getlist("id") if re.fullmatch(r"[0-9]{1,18}", v)] or None
    services.mark_read(current_user.id, ids)
    db.session.commit()
    return redirect(safe_next(request.form.get("next"), "notifications.list"))
