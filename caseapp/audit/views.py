"""Admin page: the audit trail, newest first, filterable."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from caseapp.audit import queries
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.ids import parse_id

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
guard_blueprint(bp, Role.ADMIN)


@bp.get("/")
def list() -> str:  # noqa: A001 - endpoint name audit.list
    args = request.args
    actor_id = args.get("actor", type=parse_id)
    action, entity_type, entity_id = (
        args.get(name, "").strip() or None for name in ("action", "entity_type", "entity_id")
    )
    query = queries.select_events(actor_id=actor_id, action=action, entity_type=entity_type, entity_id=entity_id)
    page = db.paginate(query, page=args.get("page", 1, type=parse_id), per_page=100)
    filters = {"actor_id": actor_id, "action": action, "entity_type": entity_type, "entity_id": entity_id}
    return render_template("audit/list.html", page=page, filters=filters)
