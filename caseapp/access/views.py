"""Pages: the break-glass page that stands between an advisor and a case not theirs, and the admins' review of
break-glass uses (filterable, each marked reviewed)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseapp.access import policy, queries, services
from caseapp.access.models import BreakGlassReason
from caseapp.access.services import BreakGlassRequired
from caseapp.audit import display
from caseapp.audit.services import record_listing, record_trail_view
from caseapp.auth import queries as auth_queries
from caseapp.auth.access import guard_blueprint, safe_next
from caseapp.auth.models import Role
from caseapp.cases import queries as case_queries
from caseapp.cases.models import Case
from caseapp.errors import AppError, envelope, wants_json
from caseapp.extensions import db
from caseapp.ids import parse_id
from caseapp.timeutil import local_day_bounds, now_utc
from caseapp.transactions import commit_keeping_loaded

bp = Blueprint("access", __name__)
guard_blueprint(bp, Role.ADVISOR)
review_bp = Blueprint("access_review", __name__, url_prefix="/admin/access")
guard_blueprint(review_bp, Role.ADMIN)
PER_PAGE = 50


def init_access_pages(app: Flask) -> None:
    """A page refused with break_glass_required shows the break-glass form instead of a bare 403; templates learn
    whether to mask callers' numbers in lists (`masks_phones()`, `| masked_phone`)."""
    app.jinja_env.globals["masks_phones"] = lambda: (
        current_user.is_authenticated and services.masks_phones(current_user)
    )
    app.jinja_env.filters["masked_phone"] = services.mask_phone

    @app.errorhandler(BreakGlassRequired)
    def ask_for_a_reason(error: BreakGlassRequired) -> Any:
        db.session.rollback()
        if wants_json():
            return jsonify(envelope(error.code, error.message, error.fields, **error.extra)), error.status
        case = case_queries.get_case(int(error.extra["case_id"]))
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return _render_form(case, MultiDict(), {}, back), 403


def _render_form(case: Case, values: MultiDict[str, Any], errors: dict[str, list[str]], back: str | None) -> str:
    return render_template(
        "access/break_glass.html",
        case=case,
        values=values,
        errors=errors,
        back=back,
        reasons=[(reason.value, reason.label) for reason in BreakGlassReason],
        hours=services.grant_hours(),
    )


@bp.route("/cases/<int:case_id>/access", methods=["GET", "POST"])
def break_glass(case_id: int) -> ResponseReturnValue:
    case = case_queries.get_case(case_id)
    back = request.values.get("next")
    if request.method == "GET":
        return _render_form(case, MultiDict(), {}, back)
    try:
        services.break_glass(
            case, actor=current_user, reason=request.form.get("reason", ""), note=request.form.get("note", "")
        )
    except AppError as exc:
        db.session.rollback()
        return _render_form(case_queries.get_case(case_id), request.form, exc.fields, back), exc.status
    db.session.commit()
    flash(f"Case {case.reference} is open to you for {services.grant_hours()} hours. Your reason is recorded.", "info")
    return redirect(safe_next(back) if back else url_for("cases.show", case_id=case.id))


@review_bp.get("/")
def review_list() -> ResponseReturnValue:
    args = request.args
    user_id = args.get("user", type=parse_id)
    flagged, unreviewed = args.get("flagged") == "1", args.get("unreviewed") == "1"
    since = until = None
    try:
        if args.get("from"):
            since = local_day_bounds(_date(args["from"]))[0]
        if args.get("to"):
            until = local_day_bounds(_date(args["to"]))[0] + timedelta(days=1)
    except ValueError:
        flash("Dates are written as YYYY-MM-DD.", "error")
    query = queries.select_grants(
        user_id=user_id, flagged_only=flagged, unreviewed_only=unreviewed, since=since, until=until
    )
    page = db.paginate(query, page=args.get("page", 1, type=parse_id), per_page=PER_PAGE, error_out=False)
    if page.items:  # the advisors' notes may speak of callers: which uses were shown is audited
        record_listing(
            "case.break_glass_listed", actor_id=current_user.id, entity_type="case", ids=[g.case_id for g in page.items]
        )
        commit_keeping_loaded()
    return render_template(
        "access/review.html",
        page=page,
        filters={
            "user": user_id,
            "flagged": "1" if flagged else "",
            "unreviewed": "1" if unreviewed else "",
            "from": args.get("from", ""),
            "to": args.get("to", ""),
        },
        flag_labels=policy.FLAG_LABELS,
        staff_choices=[(u.id, u.full_name) for u in db.session.scalars(auth_queries.select_users())],
    )


#: how far back the off-shift reads look unless the page is asked for dates, and the most rows it shows
OFF_SHIFT_DAYS, OFF_SHIFT_LIMIT = 7, 200


@review_bp.get("/off-shift")
def off_shift() -> ResponseReturnValue:
    """Advisors' reads of callers' records while not on shift (from the audit trail), for the admins' review."""
    until = now_utc()
    since = until - timedelta(days=OFF_SHIFT_DAYS)
    try:
        if request.args.get("from"):
            since = local_day_bounds(_date(request.args["from"]))[0]
        if request.args.get("to"):
            until = local_day_bounds(_date(request.args["to"]))[0] + timedelta(days=1)
    except ValueError:
        flash("Dates are written as YYYY-MM-DD.", "error")
    events = list(db.session.scalars(queries.select_reads_off_shift(since, until, OFF_SHIFT_LIMIT)))
    record_trail_view(actor_id=current_user.id, filters={"view": "reads_off_shift"}, ids=[e.id for e in events])
    commit_keeping_loaded()
    return render_template(
        "access/off_shift.html",
        rows=display.rows(events),
        limit=OFF_SHIFT_LIMIT,
        days=OFF_SHIFT_DAYS,
        filters={"from": request.args.get("from", ""), "to": request.args.get("to", "")},
    )


def _date(text: str) -> date:
    return date.fromisoformat(text.strip()[:10])


@review_bp.post("/<int:grant_id>/review")
def review(grant_id: int) -> ResponseReturnValue:
    services.review_grant(grant_id, actor=current_user)
    db.session.commit()
    flash("Marked reviewed.", "info")
    return redirect(safe_next(request.form.get("next"), "access_review.review_list"))
