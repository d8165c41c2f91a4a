"""Admin pages: list, create and edit staff accounts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from caseapp.auth import queries as auth_queries
from caseapp.auth import services as auth_services
from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role
from caseapp.errors import AppError
from caseapp.extensions import db
from caseapp.forms import apply_errors
from caseapp.ids import parse_id
from caseapp.users import services
from caseapp.users.forms import ConfirmForm, CreateUserForm, EditUserForm, ResetPasswordForm

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
        except AppError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash("Saved.", "info")
            return redirect(url_for("users.edit", user_id=user.id))
    return render_template(
        "users/edit.html",
        user=user,
        form=form,
        reset_form=ResetPasswordForm(),
        confirm=ConfirmForm(),
        tokens=auth_queries.list_tokens(user.id),
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


@bp.post("/<int:user_id>/password")
def reset_password(user_id: int) -> ResponseReturnValue:
    user = auth_queries.get_user(user_id)
    reset_form = ResetPasswordForm()
    if reset_form.validate_on_submit():
        try:
            services.reset_password(user, reset_form.password.data or "", actor_id=current_user.id)
        except AppError as exc:
            db.session.rollback()
            apply_errors(reset_form, exc, default_field="password")
        else:
            db.session.commit()
            flash("Password set; the user's sessions have ended.", "info")
            return redirect(url_for("users.edit", user_id=user.id))
    form = EditUserForm(obj=user)
    form.role.data = user.role.value
    return render_template(
        "users/edit.html",
        user=user,
        form=form,
        reset_form=reset_form,
        confirm=ConfirmForm(),
        tokens=auth_queries.list_tokens(user.id),
    ), 422


@bp.post("/<int:user_id>/tokens/<int:token_id>/revoke")
def revoke_token(user_id: int, token_id: int) -> Response:
    if ConfirmForm().validate_on_submit():
        auth_services.revoke_token(token_id, actor_id=current_user.id, owner_id=user_id)
        db.session.commit()
        flash("Token revoked.", "info")
    return redirect(url_for("users.edit", user_id=user_id))
