"""The signed-in landing page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from caseapp.audit.services import record_listing
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.callbacks import queries as callback_queries
from caseapp.shifts import queries as shift_queries
from caseapp.timeutil import local_day_bounds, now_utc, to_local
from caseapp.transactions import commit_keeping_loaded

bp = Blueprint("home", __name__)
guard_blueprint(bp, Role.ADVISOR)


@bp.get("/")
def index() -> str:
    end_of_today = local_day_bounds(to_local(now_utc()).date())[1]
    callbacks = callback_queries.my_callbacks(current_user.id, end_of_today)
    if callbacks:  # the list shows callers' names
        ids = [c.id for c in callbacks]
        record_listing("callback.listed", actor_id=current_user.id, entity_type="callback", ids=ids)
        commit_keeping_loaded()
    return render_template(
        "home.html",
        callbacks=callbacks,
        pool_size=callback_queries.count_pool(),
        shift=shift_queries.find_open_shift(current_user.id),
    )
