"""Sign in (password, then the second factor or its enrolment), sign out, reset links, and the account page.

Between the password and the second factor the browser holds a *pending* sign-in (the user's id and a deadline,
MFA_PENDING_SECONDS, in the signed session cookie): it opens only the code and enrolment pages, never any other."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from caseapp.auth import mfa, queries, reset_links, services
from caseapp.auth.access import SESSION_KEY, SIGN_IN_NOTICES, public, require_role, safe_next
from caseapp.auth.forms import ChangePasswordForm, CodeForm, EmptyForm, LoginForm, NewPasswordForm, TokenForm
from caseapp.auth.models import Role, User
from caseapp.errors import AppError, NotFound
from caseapp.extensions import db, limiter
from caseapp.forms import apply_errors
from caseapp.timeutil import now_utc

bp = Blueprint("auth", __name__)
PENDING_KEY = "pending_sign_in"


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _address() -> str:
    return request.remote_addr or "unknown"


def _sign_in(user: User, *, second_factor: str | None) -> None:
    """Start the real session: a fresh cookie (nothing of the anonymous or pending one survives)."""
    services.complete_login(user, second_factor=second_factor)
    session.clear()
    session[SESSION_KEY] = services.start_session(user, request.headers.get("User-Agent"))
    session.permanent = True
    login_user(user)
    db.session.commit()


def _set_pending(user: User, step: str, next_url: str) -> None:
    session.clear()
    now = time.time()
    session[PENDING_KEY] = {
        "uid": user.id,
        "step": step,
        "since": now,
        "until": now + int(current_app.config["MFA_PENDING_SECONDS"]),
        "next": next_url,
    }


def _pending(step: str) -> tuple[User, str] | None:
    """The user half signed in on this browser for `step` ("code" or "enrol"), and where they were going."""
    pending: Any = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("step") != step or time.time() >= float(pending.get("until", 0)):
        session.pop(PENDING_KEY, None)
        return None
    user = queries.find_user(int(pending["uid"]))
    changed = user.password_changed_at.timestamp() if user and user.password_changed_at else 0.0
    if user is None or not user.is_active or changed > float(pending.get("since", 0)):
        session.pop(PENDING_KEY, None)  # gone, deactivated, or the password changed since it was given
        return None
    return user, safe_next(pending.get("next"))


def _restart() -> Response:
    return redirect(url_for("auth.login", msg="sign_in_expired"))


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
            user = services.authenticate(form.email.data or "", form.password.data or "", _address())
        except AppError as exc:
            db.session.commit()  # keep the failure count and audit event
            error = exc.message
        else:
            next_url = safe_next(request.args.get("next"))
            if user.has_mfa or mfa.is_required(user):
                step = "code" if user.has_mfa else "enrol"
                _set_pending(user, step, next_url)
                db.session.commit()
                return redirect(url_for("auth.login_code" if step == "code" else "auth.login_enrol"))
            _sign_in(user, second_factor=None)
            return redirect(next_url)
    status = 401 if error else (422 if form.errors else 200)
    notice = SIGN_IN_NOTICES.get(request.args.get("msg", ""))
    return render_template("auth/login.html", form=form, error=error, notice=notice), status


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login_code() -> ResponseReturnValue:
    pending = _pending("code")
    if pending is None:
        return _restart()
    user, next_url = pending
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            method = services.verify_second_factor(user, form.code.data or "", _address())
        except AppError as exc:
            db.session.commit()  # keep the failure count and audit event
            error = exc.message
        else:
            _sign_in(user, second_factor=method)
            if method == "recovery_code":
                left = mfa.count_unused_recovery_codes(user)
                flash(f"You signed in with a recovery code; {left} left. Make new ones on your account page.", "info")
            return redirect(next_url)
    status = 401 if error else (422 if form.errors else 200)
    return render_template("auth/code.html", form=form, error=error), status


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def login_enrol() -> ResponseReturnValue:
    """A role that requires a second factor, and none set up yet: set it up before anything else."""
    pending = _pending("enrol")
    if pending is None:
        return _restart()
    user, next_url = pending
    return enrol_page(user, on_done=lambda codes: _finish_enrol_at_sign_in(user, codes, next_url))


def _finish_enrol_at_sign_in(user: User, codes: list[str], next_url: str) -> ResponseReturnValue:
    _sign_in(user, second_factor="totp")
    return render_template("auth/recovery_codes.html", codes=codes, next_url=next_url)


def enrol_page(user: User, on_done: Callable[[list[str]], ResponseReturnValue]) -> ResponseReturnValue:
    """The enrolment page (QR code, key, first code), for a pending sign-in or from the account page."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = mfa.confirm_enrolment(user, form.code.data or "")
        except AppError as exc:
            db.session.rollback()
            apply_errors(form, exc, default_field="code")
        else:
            return on_done(codes)
    try:
        secret = mfa.begin_enrolment(user)
    except AppError as exc:
        flash(exc.message, "error")
        return redirect(url_for("auth.account"))
    db.session.commit()
    uri = mfa.provisioning_uri(user, secret)
    key = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    page = render_template(
        "auth/enrol.html", form=form, qr=mfa.qr_svg(uri), key=key, required=mfa.is_required(user), user=user
    )
    return page, 422 if form.errors else 200


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    try:
        link = reset_links.find_live_link(token)
    except NotFound as exc:
        return render_template("auth/reset_dead.html", message=exc.message), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            reset_links.use_link(token, form.new_password.data or "")
        except AppError as exc:
            db.session.rollback()
            apply_errors(form, exc, default_field="new_password")
        else:
            db.session.commit()
            logout_user()
            session.clear()
            flash("Your new password is set. Sign in with it now.", "info")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, email=link.user.email), 422 if form.errors else 200


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


def render_account(form: ChangePasswordForm | None = None, **extra: Any) -> ResponseReturnValue:
    """The account page: password, second factor, sessions and API tokens (`extra` e.g. a token just made)."""
    form = form or ChangePasswordForm(formdata=None)
    token_form = extra.pop("token_form", None) or TokenForm(
        formdata=None, days=current_app.config["TOKEN_DEFAULT_DAYS"]
    )
    current_session = g.get("user_session")
    status = 422 if (form.errors or token_form.errors) else 200
    return render_template(
        "auth/account.html",
        form=form,
        token_form=token_form,
        confirm=EmptyForm(formdata=None),
        off_form=CodeForm(formdata=None),
        sessions=services.live_sessions(current_user.id),
        current_session_id=current_session.id if current_session else None,
        tokens=queries.list_tokens(current_user.id),
        token_revoke_url=lambda token: url_for("auth.revoke_token", token_id=token.id),
        now=now_utc(),
        mfa_required=mfa.is_required(current_user),
        recovery_left=mfa.count_unused_recovery_codes(current_user) if current_user.has_mfa else 0,
        **extra,
    ), status


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
            session[SESSION_KEY] = services.start_session(current_user, request.headers.get("User-Agent"))
            session.permanent = True
            login_user(current_user._get_current_object())
            db.session.commit()
            flash("Password changed. You have been signed out everywhere else, and your API tokens revoked.", "info")
            return redirect(url_for("auth.account"))
    return render_account(form)


from caseapp.auth import account_views  # noqa: E402,F401 - the account page's other forms, on this blueprint
