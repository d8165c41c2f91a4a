"""Admin pages: the audit trail, newest first, filtered by staff member, caller, case, action and dates (with a CSV
link to the same filters through the API), and the state of its hash chain."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from caseapp.audit import actions, chain, display, forms, queries, services
from caseapp.auth import queries as auth_queries
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.ids import parse_id

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
guard_blueprint(bp, Role.ADMIN)
PER_PAGE = 100


@bp.get("/")
def list() -> str:  # noqa: A001 - endpoint name audit.list
    asked = forms.parse(request.args)
    page_number = request.args.get("page", 1, type=parse_id)
    services.record_trail_view(actor_id=current_user.id, filters=asked.audit_detail(), page=page_number)
    db.session.commit()
    page = None
    if not asked.no_match:
        page = db.paginate(queries.select_events(asked.filters), page=page_number, per_page=PER_PAGE, error_out=False)
    return render_template(
        "audit/list.html",
        page=page,
        rows=display.rows(page.items) if page is not None else [],
        asked=asked,
        staff_choices=[
            (str(u.id), u.full_name if u.is_active else f"{u.full_name} (deactivated)")
            for u in db.session.scalars(auth_queries.select_users())
        ],
        action_groups=actions.grouped(),
        system=forms.SYSTEM,
        csv_url=None if asked.no_match else url_for("audit_api.export_csv", **asked.api_args()),
    )


@bp.get("/chain")
def chain_status() -> str:
    status = chain.status()
    services.record_chain_view(actor_id=current_user.id)
    db.session.commit()
    return render_template("audit/chain.html", status=status)
