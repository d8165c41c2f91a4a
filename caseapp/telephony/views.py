"""Admin page: the phone system's recent calls (numbers masked) and the webhook requests refused."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from caseapp.access.services import mask_phone
from caseapp.audit.services import record_listing
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.telephony import queries

bp = Blueprint("telephony", __name__, url_prefix="/admin/telephony")
guard_blueprint(bp, Role.ADMIN)


@bp.get("/")
def index() -> str:
    calls = queries.recent_calls()
    refused = queries.recent_rejections()
    record_listing(
        "telephony.listed", actor_id=current_user.id, entity_type="telephony_call", ids=[c.id for c in calls]
    )
    db.session.commit()
    return render_template(
        "telephony/index.html",
        calls=calls,
        refused=refused,
        mask=mask_phone,
        generic_ready=bool(current_app.config.get("TELEPHONY_SECRET")),
        twilio_ready=bool(current_app.config.get("TWILIO_AUTH_TOKEN")),
    )
