from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from caseapp.auth.models import Role

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]  # tuples are deprecated in WTForms 3.3


class CreateUserForm(FlaskForm):
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.ADVISOR.value)
    password = PasswordField(
        "Initial password", validators=[DataRequired(), Length(max=1024)], render_kw={"autocomplete": "new-password"}
    )
    submit = SubmitField("Create user")


class EditUserForm(FlaskForm):
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    phone_extension = StringField(
        "Phone extension",
        validators=[Length(max=16)],
        description="The phone system's extension for this person, so calls they answer open the log-a-call page.",
    )
    submit = SubmitField("Save")


class ConfirmForm(FlaskForm):
    """An empty form: just the CSRF token for a POST button."""

    submit = SubmitField("Confirm")
