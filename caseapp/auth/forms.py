from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "username"})
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=1024)], render_kw={"autocomplete": "current-password"}
    )
    submit = SubmitField("Sign in")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(max=1024)], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")
