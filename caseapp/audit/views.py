"""Admin page: the audit trail, newest first, filterable."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from caseapp.audit import queries
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
guard_blueprint(bp, Role.ADMIN)


@bp.get("/")
def list() -> str:  # noqa: A001 - endpoint name audit.list
    args = request.args
    filters = {
        "actor_id": args.get("actor", type=int),
        "action": args.get("action", "").strip() or None,
        "entity_type": args.get("entity_type", "").strip() or None,
        "entity_id": args.get("entity_id", "").strip() or None,
    }
    page = db.paginate(queries.select_events(**filters), page=args.get("page", 1, type=int), per_page=100)
    return render_template("audit/list.html", page=page, filters=filters)
