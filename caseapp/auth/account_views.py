"""The account page's own forms: setting up the second factor, recovery codes, ending sessions, API tokens."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from caseapp.auth import mfa, services
from caseapp.auth.access import require_role
from caseapp.auth.forms import CodeForm, EmptyForm, TokenForm
from caseapp.auth.models import Role
from caseapp.auth.views import bp, enrol_page, render_account
from caseapp.errors import AppError, NotFound
from caseapp.extensions import db
from caseapp.forms import apply_errors


def _show_codes(codes: list[str]) -> ResponseReturnValue:
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes, next_url=url_for("auth.account"))


@bp.route("/account/mfa", methods=["GET", "POST"])
@require_role(Role.ADVISOR)
def account_mfa() -> ResponseReturnValue:
    return enrol_page(current_user._get_current_object(), on_done=_show_codes)


@bp.post("/account/mfa/recovery-codes")
@require_role(Role.ADVISOR)
def regenerate_recovery_codes() -> ResponseReturnValue:
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("auth.account"))
    try:
        codes = mfa.regenerate_recovery_codes(current_user)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("auth.account"))
    return _show_codes(codes)


@bp.post("/account/mfa/off")
@require_role(Role.ADVISOR)
def turn_off_mfa() -> Response:
    form = CodeForm()
    if form.validate_on_submit():
        try:
            mfa.turn_off(current_user, form.code.data or "")
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash("Second factor turned off: you sign in with your password alone.", "info")
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/<int:session_id>/end")
@require_role(Role.ADVISOR)
def end_session(session_id: int) -> Response:
    if EmptyForm().validate_on_submit():
        try:
            services.end_session_by_id(session_id, owner_id=current_user.id, actor_id=current_user.id)
        except NotFound as exc:  # not one of theirs, or gone: say so on their page
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash("Session ended.", "info")
    return redirect(url_for("auth.account"))


@bp.post("/account/sessions/end-others")
@require_role(Role.ADVISOR)
def end_other_sessions() -> Response:
    if EmptyForm().validate_on_submit():
        current = g.get("user_session")
        count = services.end_other_sessions(
            current_user.id, keep_id=current.id if current else None, actor_id=current_user.id
        )
        db.session.commit()
        flash(f"Signed out of {count} other session{'s' if count != 1 else ''}.", "info")
    return redirect(url_for("auth.account"))


@bp.post("/account/tokens")
@require_role(Role.ADVISOR)
def create_token() -> ResponseReturnValue:
    form = TokenForm()
    if form.validate_on_submit():
        try:
            token, secret = services.create_token(
                current_user, form.name.data or "", actor_id=current_user.id, days=form.days.data
            )
        except AppError as exc:
            db.session.rollback()
            apply_errors(form, exc, default_field="days")
        else:
            db.session.commit()
            return render_account(new_token=token, new_secret=secret)
    return render_account(token_form=form)


@bp.post("/account/tokens/<int:token_id>/revoke")
@require_role(Role.ADVISOR)
def revoke_token(token_id: int) -> Response:
    if EmptyForm().validate_on_submit():
        try:
            services.revoke_token(token_id, actor_id=current_user.id, owner_id=current_user.id)
        except NotFound as exc:
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash("Token revoked.", "info")
    return redirect(url_for("auth.account"))
