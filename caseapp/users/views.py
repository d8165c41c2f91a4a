"""Admin pages: list, create and edit staff accounts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from caseapp.auth import mfa, reset_links
from caseapp.auth import queries as auth_queries
from caseapp.auth import services as auth_services
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role, User
from caseapp.errors import AppError
from caseapp.extensions import db
from caseapp.forms import apply_errors
from caseapp.ids import parse_id
from caseapp.timeutil import now_utc
from caseapp.users import services
from caseapp.users.forms import ConfirmForm, CreateUserForm, EditUserForm

bp = Blueprint("users", __name__, url_prefix="/admin/users")
guard_blueprint(bp, Role.ADMIN)


@bp.get("/")
def list() -> str:  # noqa: A001 - endpoint name users.list
    page = db.paginate(auth_queries.select_users(), page=request.args.get("page", 1, type=parse_id), per_page=50)
    services.record_user_listing([user.id for user in page.items], actor_id=current_user.id)
    db.session.commit()
    return render_template("users/list.html", page=page, confirm=ConfirmForm())


@bp.route("/new", methods=["GET", "POST"])
def create() -> ResponseReturnValue:
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data or "",
                full_name=form.full_name.data or "",
                role=Role(form.role.data),
                password=form.password.data or "",
                actor_id=current_user.id,
            )
        except AppError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash("User created.", "info")
            return redirect(url_for("users.edit", user_id=user.id))
    return render_template("users/create.html", form=form), 422 if form.errors else 200


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id: int) -> ResponseReturnValue:
    user = auth_queries.get_user(user_id)
    form = EditUserForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.role.data = user.role.value
        services.record_user_view(user, actor_id=current_user.id)
        db.session.commit()
    if form.validate_on_submit():
        try:
            services.rename(user, form.full_name.data or "", actor_id=current_user.id)
            services.change_role(user, Role(form.role.data), actor_id=current_user.id)
            services.set_phone_extension(user, form.phone_extension.data, actor_id=current_user.id)
        except AppError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash("Saved.", "info")
            return redirect(url_for("users.edit", user_id=user.id))
    return _render_edit(user, form)


def _render_edit(user: User, form: EditUserForm | None = None, **extra: Any) -> ResponseReturnValue:
    if form is None:
        form = EditUserForm(obj=user, formdata=None)
        form.role.data = user.role.value
    now = now_utc()
    return render_template(
        "users/edit.html",
        user=user,
        form=form,
        confirm=ConfirmForm(formdata=None),
        tokens=auth_queries.list_tokens(user.id),
        token_revoke_url=lambda token: url_for("users.revoke_token", user_id=user.id, token_id=token.id),
        sessions=auth_services.live_sessions(user.id),
        open_link=auth_queries.find_open_reset_link(user.id, now),
        mfa_required=mfa.is_required(user),
        now=now,
        **extra,
    ), 422 if form.errors else 200


def _act(user_id: int, action: str) -> Response:
    user = auth_queries.get_user(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            if action == "deactivate":
                services.deactivate_user(user, actor_id=current_user.id)
            else:
                services.reactivate_user(user, actor_id=current_user.id)
        except AppError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(f"User {action}d.", "info")
    return redirect(url_for("users.edit", user_id=user.id))


@bp.post("/<int:user_id>/deactivate")
def deactivate(user_id: int) -> Response:
    return _act(user_id, "deactivate")


@bp.post("/<int:user_id>/reactivate")
def reactivate(user_id: int) -> Response:
    return _act(user_id, "reactivate")


@bp.post("/<int:user_id>/password-reset-link")
def issue_reset_link(user_id: int) -> ResponseReturnValue:
    """A one-time link for the user to choose a new password, shown here once for the admin to pass on."""
    user = auth_queries.get_user(user_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("users.edit", user_id=user.id))
    try:
        link, token = reset_links.issue_link(user, actor_id=current_user.id)
    except AppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("users.edit", user_id=user.id))
    db.session.commit()
    path = url_for("auth.reset_password", token=token)
    return _render_edit(user, reset_url=current_app.config["BASE_URL"].rstrip("/") + path, new_link=link)


@bp.post("/<int:user_id>/mfa/reset")
def reset_mfa(user_id: int) -> Response:
    user = auth_queries.get_user(user_id)
    if ConfirmForm().validate_on_submit():
        services.reset_mfa(user, actor_id=current_user.id)
        db.session.commit()
        flash("Second factor removed; the user sets it up again at next sign-in.", "info")
    return redirect(url_for("users.edit", user_id=user.id))


@bp.post("/<int:user_id>/sessions/<int:session_id>/end")
def end_session(user_id: int, session_id: int) -> Response:
    if ConfirmForm().validate_on_submit():
        auth_services.end_session_by_id(session_id, owner_id=user_id, actor_id=current_user.id)
        db.session.commit()
        flash("Session ended.", "info")
    return redirect(url_for("users.edit", user_id=user_id))


@bp.post("/<int:user_id>/sessions/end-all")
def end_all_sessions(user_id: int) -> Response:
    user = auth_queries.get_user(user_id)
    if ConfirmForm().validate_on_submit():
        count = auth_services.end_other_sessions(user.id, keep_id=_own_session_id(user.id), actor_id=current_user.id)
        db.session.commit()
        flash(f"Ended {count} session{'s' if count != 1 else ''}.", "info")
    return redirect(url_for("users.edit", user_id=user.id))


def _own_session_id(user_id: int) -> int | None:
    """An admin ending their own sessions from this page keeps the one they are using."""
    current = g.get("user_session")
    return current.id if current is not None and current.user_id == user_id else None


@bp.post("/<int:user_id>/tokens/<int:token_id>/revoke")
def revoke_token(user_id: int, token_id: int) -> Response:
    if ConfirmForm().validate_on_submit():
        auth_services.revoke_token(token_id, actor_id=current_user.id, owner_id=user_id)
        db.session.commit()
        flash("Token revoked.", "info")
    return redirect(url_for("users.edit", user_id=user_id))
