from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, StringField, SubmitField
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


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=32)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )
    submit = SubmitField("Continue")


class NewPasswordForm(FlaskForm):
    """Choosing a password through a reset link."""

    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(max=1024)], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("new_password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Set password")


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    days = IntegerField("Expires after (days)", validators=[DataRequired(message="Enter a number of days.")])
    submit = SubmitField("Create token")


class EmptyForm(FlaskForm):
    """Just the CSRF token, for a POST button."""

    submit = SubmitField("Confirm")
