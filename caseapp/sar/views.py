"""The subject access export as a download (admins): a zip of the JSON and the printable page."""

from __future__ import annotations

import io

from flask import Blueprint, send_file
from flask.typing import ResponseReturnValue
from flask_login import current_user

from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.sar import services

bp = Blueprint("sar", __name__)
guard_blueprint(bp, Role.ADMIN)


@bp.post("/callers/<int:caller_id>/subject-access")
def export(caller_id: int) -> ResponseReturnValue:
    result = services.export_for(caller_id, actor_id=current_user.id, via="page")
    db.session.commit()
    response = send_file(
        io.BytesIO(result.zip_bytes()),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"subject-access-caller-{caller_id}.zip",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
