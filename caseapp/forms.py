"""Helpers shared by the HTML forms (Flask-WTF forms and schema-validated forms)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import flash
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from caseapp.errors import AppError
from caseapp.timeutil import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    local_to_utc,
    repeated_time_message,
    skipped_time_message,
)


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


# --- forms validated by the API's marshmallow schemas (one set of rules for the page and the API) ----------

TRUE_VALUES = frozenset({"on", "true", "yes", "1"})


def form_to_payload(
    form: MultiDict[str, str],
    schema: type[ma.Schema],
    *,
    local_datetimes: tuple[str, ...] = (),
    skip: tuple[str, ...] = ("csrf_token",),
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Turn submitted form fields into the JSON-like payload `schema` loads, plus errors found on the way.

    Lists come from repeated fields (checkboxes), and a list of nested objects from numbered fields
    (`<name>-<index>-<field>`: handovers-0-note, handovers-1-note …; errors are keyed <name>.<index>.<field>, as
    the API's are); booleans from checkboxes ("on") or yes/no radios, empty text is None, and `local_datetimes`
    (datetime-local inputs, Europe/London) become RFC 3339 UTC instants. A field sent
    with `<name>__was` (the value the page showed, see the `track` inputs in _macros/inputs.html) is left out when
    it still has that value: only what the person changed is sent, so a form never overwrites a record with what it
    merely displayed (a known caller's consents, a colleague's change made meanwhile).
    """
    fields = schema().fields
    payload: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, field in fields.items():
        key = field.data_key or name
        if key in skip or field.dump_only:
            continue
        if isinstance(field, ma.fields.List) and isinstance(field.inner, ma.fields.Nested):
            payload[key], nested_errors = _read_rows(form, key, field.inner)
            errors.update(nested_errors)
            continue
        try:
            found, value = _read(form, key, field, key in local_datetimes)
        except ValueError as exc:
            errors[key] = [str(exc)]
            continue
        if found and not (f"{key}__was" in form and value == _shown(form[f"{key}__was"], field)):
            payload[key] = value
    return payload, errors


def _read_rows(
    form: MultiDict[str, str], key: str, nested: ma.fields.Nested
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The rows `<key>-0-<field>`, `<key>-1-<field>` … of a list of nested objects, each read by its own schema, in
    index order (rows 0 to the highest index sent; a gap reads as an empty row)."""
    pattern = re.compile(re.escape(key) + r"-(\d{1,3})-(.+)")
    cells: dict[int, MultiDict[str, str]] = {}
    for name, value in form.items(multi=True):
        match = pattern.fullmatch(name)
        if match:
            cells.setdefault(int(match.group(1)), MultiDict()).add(match.group(2), value)
    schema = type(nested.schema) if isinstance(nested.schema, ma.Schema) else nested.nested
    rows: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    for index in range(max(cells) + 1 if cells else 0):
        row, row_errors = form_to_payload(cells.get(index, MultiDict()), schema, skip=())
        rows.append(row)
        errors.update({f"{key}.{index}.{name}": texts for name, texts in row_errors.items()})
    return rows, errors


def _read(form: MultiDict[str, str], key: str, field: ma.fields.Field, local_datetime: bool) -> tuple[bool, Any]:
    """(whether the form sent the field, its value as JSON would give it)."""
    if isinstance(field, ma.fields.List):
        return True, [v for v in form.getlist(key) if v != ""]
    if isinstance(field, ma.fields.Boolean):
        raw = form.get(key, "")
        if raw:
            return True, raw.lower() in TRUE_VALUES
        if f"{key}__checkbox" in form:  # an unticked checkbox sends nothing; its marker says "asked: no"
            return True, False
        return field.allow_none, None
    if local_datetime:
        raw = (form.get(key) or "").strip()
        return True, parse_local_datetime(raw, form.get(f"{key}__fold")).isoformat() if raw else None
    if key in form:
        value = form.get(key, "").strip()
        return True, value if value != "" else None
    return False, None


def _shown(raw: str, field: ma.fields.Field) -> Any:
    """A `__was` value as form_to_payload would have read it."""
    text = raw.strip()
    if isinstance(field, ma.fields.Boolean):
        return text.lower() in TRUE_VALUES if text else (None if field.allow_none else False)
    return text or None


def parse_local_datetime(text: str, fold: str | None = None) -> datetime:
    """A datetime-local value (YYYY-MM-DDTHH:MM) in Europe/London → aware UTC, refusing impossible times."""
    try:
        naive = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("Enter a date and time, e.g. 25/11/2026 19:00.") from exc
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    try:
        return local_to_utc(naive, fold=int(fold) if fold in ("0", "1") else None)
    except NonexistentLocalTime as exc:
        raise ValueError(skipped_time_message(naive)) from exc
    except AmbiguousLocalTime as exc:
        raise ValueError(repeated_time_message(naive)) from exc


def merge_errors(*sources: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for source in sources:
        for key, messages in source.items():
            merged.setdefault(key, []).extend(messages)
    return merged
