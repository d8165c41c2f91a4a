"""Sign in, sign out, and the account page (change password)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from caseapp.auth import services
from caseapp.auth.access import SESSION_KEY, SIGN_IN_NOTICES, public, require_role, safe_next
from caseapp.auth.forms import ChangePasswordForm, LoginForm
from caseapp.auth.models import Role
from caseapp.errors import AppError
from caseapp.extensions import db, limiter

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data or "", form.password.data or "")
        except AppError as exc:
            db.session.commit()  # keep the failure count and audit event
            error = exc.message
        else:
            session.clear()  # rotate: nothing from the anonymous session survives
            session[SESSION_KEY] = services.start_session(user)
            session.permanent = True
            login_user(user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
    status = 401 if error else (422 if form.errors else 200)
    notice = SIGN_IN_NOTICES.get(request.args.get("msg", ""))
    return render_template("auth/login.html", form=form, error=error, notice=notice), status


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    # current_user is loaded lazily; loading it is what puts this browser's session record in g
    user_session = g.get("user_session") if current_user.is_authenticated else None
    if user_session is not None:
        services.end_session(user_session)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@require_role(Role.ADVISOR)
def account() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data or "", form.new_password.data or "")
        except AppError as exc:
            db.session.rollback()
            for name, messages in exc.fields.items():
                getattr(form, name).errors = list(messages)
            if not exc.fields:
                flash(exc.message, "error")
        else:
            session.clear()
            session[SESSION_KEY] = services.start_session(current_user)
            session.permanent = True
            login_user(current_user._get_current_object())
            db.session.commit()
            flash("Password changed. You have been signed out everywhere else.", "info")
            return redirect(url_for("auth.account"))
    status = 422 if form.errors else 200
    return render_template("auth/account.html", form=form), status
