"""Page action: alert the managers on shift from a case page (the assessment form has its own, which keeps input)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.cases import queries as case_queries
from caseapp.emergencies import services, texts
from caseapp.extensions import db

bp = Blueprint("emergencies", __name__)
guard_blueprint(bp, Role.ADVISOR)


@bp.post("/cases/<int:case_id>/emergency-alert")
def create(case_id: int) -> ResponseReturnValue:
    case = case_queries.get_case(case_id)
    raised = services.raise_alert(case, actor=current_user)
    db.session.commit()
    flash(texts.describe(raised.alert, is_new=raised.is_new), "error" if raised.alert.recipients == 0 else "info")
    return redirect(url_for("cases.show", case_id=case.id))
