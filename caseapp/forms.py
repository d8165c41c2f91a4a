"""Helpers shared by Flask-WTF forms."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from caseapp.errors import AppError


def apply_errors(form: FlaskForm, error: AppError, default_field: str | None = None) -> None:
    """Show a service's per-field messages next to the fields; anything else as a flash message."""
    placed = False
    for name, messages in error.fields.items():
        field = getattr(form, name, None) or (getattr(form, default_field, None) if default_field else None)
        if field is not None:
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed:
        if default_field and getattr(form, default_field, None) is not None:
            getattr(form, default_field).errors = [error.message]
        else:
            flash(error.message, "error")
    form.form_errors.append(error.message)
