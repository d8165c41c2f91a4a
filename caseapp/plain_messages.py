"""Plain English for marshmallow's own error messages, on the pages and in the API alike.

marshmallow words its errors for programmers ("Missing data for required field.", "Not a valid integer."). The
advisor sees them beside a field on a form, and API clients read them too, so `api.load()` passes every message
through `plain_messages()`. Each library message is recognised by the template marshmallow itself uses (so a new
marshmallow wording shows up as an untranslated message in tests/unit/test_plain_messages.py, not as a silent
change); messages written by caseapp are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from caseapp.schemas import LabelledEnum

Wording = Callable[[dict[str, str], "fields.Field | None"], str]


def _is_list(field: fields.Field | None) -> bool:
    return isinstance(field, fields.List | fields.Tuple)


def _is_choice(field: fields.Field | None) -> bool:
    return isinstance(field, LabelledEnum | fields.Boolean | fields.Enum | fields.List)


def _required(_: dict[str, str], field: fields.Field | None) -> str:
    return "Choose an answer." if _is_choice(field) else "This is required."


def _too_short(values: dict[str, str], field: fields.Field | None) -> str:
    if _is_list(field):
        return f"Choose at least {values['min']}."
    return "This cannot be empty." if values["min"] == "1" else f"Use at least {values['min']} characters."


def _too_long(values: dict[str, str], field: fields.Field | None) -> str:
    return f"Choose at most {values['max']}." if _is_list(field) else f"Use {values['max']} characters or fewer."


def _length_between(values: dict[str, str], field: fields.Field | None) -> str:
    noun = "" if _is_list(field) else " characters"
    verb = "Choose" if _is_list(field) else "Use"
    return f"{verb} between {values['min']} and {values['max']}{noun}."


def _temporal(values: dict[str, str], _: fields.Field | None) -> str:
    return {
        "date": "Enter a date, e.g. 2026-11-25.",
        "time": "Enter a time, e.g. 19:00.",
    }.get(values["obj_type"], "Enter a date and time, e.g. 2026-11-25T19:00:00+00:00.")


def _fixed(text: str) -> Wording:
    return lambda _values, _field: text


def _with(template: str) -> Wording:
    return lambda values, _field: template.format(**values)


def _range_wordings() -> list[tuple[str, Wording]]:
    r = validate.Range

    def unbraced(template: str) -> str:  # Range's templates are formatted twice: ops first, then the bounds
        return template.replace("{{", "{").replace("}}", "}")

    out: list[tuple[str, Wording]] = []
    for low_op in (r.message_gte, r.message_gt):
        for high_op in (r.message_lte, r.message_lt):
            inclusive = low_op == r.message_gte and high_op == r.message_lte
            words = "Enter a number from {min} to {max}." if inclusive else "Enter a number between {min} and {max}."
            out.append((unbraced(r.message_all.format(min_op=low_op, max_op=high_op)), _with(words)))
    for low_op, low_words in ((r.message_gte, "{min} or more"), (r.message_gt, "more than {min}")):
        out.append((unbraced(r.message_min.format(min_op=low_op)), _with(f"Enter {low_words}.")))
    for high_op, high_words in ((r.message_lte, "{max} or less"), (r.message_lt, "less than {max}")):
        out.append((unbraced(r.message_max.format(max_op=high_op)), _with(f"Enter {high_words}.")))
    return out


def _text(cls: type[fields.Field], key: str) -> str:
    return str(cls.default_error_messages[key])


def _library_wordings() -> list[tuple[str, Wording]]:
    f, v = fields, validate
    return [
        (_text(f.Field, "required"), _required),
        (_text(f.Field, "null"), _required),
        (_text(f.Field, "validator_failed"), _fixed("This value is not allowed.")),
        (_text(f.Integer, "invalid"), _fixed("Enter a whole number, e.g. 30.")),
        (_text(f.Number, "invalid"), _fixed("Enter a number, e.g. 30.")),
        (_text(f.Number, "too_large"), _fixed("That number is too big.")),
        (_text(f.Float, "special"), _fixed("Enter an ordinary number.")),
        (_text(f.Boolean, "invalid"), _fixed("Choose yes or no.")),
        (_text(f.String, "invalid"), _fixed("Enter text.")),
        (_text(f.String, "invalid_utf8"), _fixed("Enter ordinary text.")),
        # before DateTime's "Not a valid {obj_type}." and "Not a valid {awareness} {obj_type}.", which would match
        # "Not a valid list.", "Not a valid mapping type.", "Not a valid URL." and "Not a valid email address." too
        # (the first match wins)
        (_text(f.Email, "invalid"), _fixed("Enter an email address, e.g. name@example.org.")),
        (_text(f.URL, "invalid"), _fixed("Enter a web address, e.g. https://example.org.")),
        (_text(f.List, "invalid"), _fixed("Give a list.")),
        (_text(f.Tuple, "invalid"), _fixed("Give a list.")),
        (_text(f.Mapping, "invalid"), _fixed("Give a set of names and values (a JSON object).")),
        (_text(f.Nested, "type"), _fixed("Give a set of names and values (a JSON object).")),
        (
            _text(f.DateTime, "invalid_awareness"),
            _fixed("Give the time with its offset or Z, e.g. 2026-11-25T19:00:00+00:00."),
        ),
        (_text(f.DateTime, "invalid"), _temporal),
        (_text(f.UUID, "invalid_uuid"), _fixed("Enter a valid identifier.")),
        (_text(f.Enum, "unknown"), _with("Choose one of: {choices}.")),
        (str(ma.Schema._default_error_messages["unknown"]), _fixed("This is not something that can be sent here.")),
        (str(ma.Schema._default_error_messages["type"]), _fixed("Send a set of names and values (a JSON object).")),
        (v.Length.message_min, _too_short),
        (v.Length.message_max, _too_long),
        (v.Length.message_all, _length_between),
        (v.Length.message_equal, _with("Use exactly {equal} characters.")),
        *_range_wordings(),
        (v.OneOf.default_message, _with("Choose one of: {choices}.")),
        (v.ContainsOnly.default_message, _with("Choose only from: {choices}.")),
        (v.ContainsNoneOf.default_message, _with("Leave out: {values}.")),
        (v.Regexp.default_message, _fixed("This is not in the expected form.")),
        (v.Equal.default_message, _with("This must be {other}.")),
        (v.NoneOf.default_message, _fixed("This value is not allowed.")),
    ]


#: a bound in a Length or Range message: one number, date or word
_BOUND = r"\S+?"


def _pattern(template: str) -> re.Pattern[str]:
    """A library template ("Longer than maximum length {max}.") as a regex with a group per placeholder."""

    def group(placeholder: str) -> str:
        name = placeholder[1:-1].split("!")[0]
        return f"(?P<{name}>{_BOUND if name in ('min', 'max', 'equal') else '.*?'})"

    parts = re.split(r"(\{[a-z_]+(?:![rsa])?\})", template)
    regex = "".join(group(part) if part.startswith("{") and part.endswith("}") else re.escape(part) for part in parts)
    return re.compile(f"{regex}\\Z", re.DOTALL)


@cache
def _wordings() -> tuple[tuple[re.Pattern[str], Wording], ...]:
    return tuple((_pattern(template), wording) for template, wording in _library_wordings())


def plain(message: str, field: fields.Field | None = None) -> str:
    """marshmallow's message in plain English (what `field` is decides a few words); other messages unchanged."""
    for pattern, wording in _wordings():
        match = pattern.match(message)
        if match:
            return wording(match.groupdict(), field)
    return message


def _field_at(schema: ma.Schema, path: str) -> fields.Field | None:
    """The field an error key names: "reason", "tags.3" (an item of a list), "caller.name" (a nested field)."""
    current: Any = schema
    found: fields.Field | None = None
    for part in path.split("."):
        if isinstance(current, ma.Schema):
            by_key = {f.data_key or name: f for name, f in current.fields.items()}
            found = by_key.get(part)
        elif isinstance(current, fields.List) and part.isdigit():
            found = current.inner
        elif isinstance(current, fields.Nested) and isinstance(current.schema, ma.Schema):
            found = {f.data_key or name: f for name, f in current.schema.fields.items()}.get(part)
        else:
            return None
        if found is None:
            return None
        current = found
    return found


def plain_messages(schema: ma.Schema, messages: dict[str, list[str]]) -> dict[str, list[str]]:
    """Flattened error messages ({"field": [...]}) in plain English."""
    return {key: [plain(m, _field_at(schema, key)) for m in texts] for key, texts in messages.items()}
