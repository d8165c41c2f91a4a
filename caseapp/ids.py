"""Record ids as the outside world sends them: in URLs, query strings and JSON, only what the database can hold.

Primary keys are PostgreSQL `integer` columns. A larger number can name no record, and sent to the database it is an
error there, so it is refused here: a path answers 404, a query-string filter is ignored, a JSON field gets a 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import ValidationError, fields, validate
from werkzeug.routing import IntegerConverter, Map

#: the largest value of a PostgreSQL `integer` (and of every id the app hands out)
MAX_ID = 2**31 - 1
ID_MESSAGE = f"Give a record's id: a whole number from 1 to {MAX_ID:,}."
VERSION_MESSAGE = "Give the version you read: a whole number. Reload the page to get it."


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: positive and at most MAX_ID, else the URL matches nothing (404)."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max)


def parse_id(text: str) -> int:
    """For `request.args.get(name, type=parse_id)`: a valid id, else ValueError (so the default applies)."""
    if not text.isascii() or not text.isdigit():
        raise ValueError("not an id")  # str.isdigit() also accepts "²" and other digits int() refuses
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise ValueError("out of range")
    return value


def as_id(value: object) -> int | None:
    """An id from untrusted text (a form or query value), or None when it is not one."""
    try:
        return parse_id(str(value)) if value is not None else None
    except ValueError:
        return None


class Id(fields.Integer):
    """A JSON or query-string id field: a whole number from 1 to MAX_ID, as a number or a string of digits (never
    5.5, which a plain Integer field would quietly truncate to 5)."""

    default_error_messages = {"invalid": ID_MESSAGE}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(1, MAX_ID, error=ID_MESSAGE), **kwargs)

    def _validated(self, value: Any) -> int:
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole and not (isinstance(value, str) and value.isascii() and value.isdigit()):
            raise self.make_error("invalid")
        return int(value)


def id_or(*words: str) -> list[Callable[[str], Any]]:
    """Validators for a query-string value that is one of `words` or an id (e.g. `me`, `pool` or a user id); the
    pattern also tells the OpenAPI document what may be sent."""
    pattern = "|".join([*words, r"[1-9][0-9]{0,9}"])

    def in_range(value: str) -> bool:
        # marshmallow runs every validator, so this one also sees what the pattern refused
        if value not in words and value.isascii() and value.isdigit() and int(value) > MAX_ID:
            raise ValidationError(ID_MESSAGE)
        return True

    message = "Use " + ", ".join(f"`{w}`" for w in words) + " or an id."
    return [validate.Regexp(rf"^({pattern})$", error=message), in_range]


class Version(Id):
    """The version of a record a client read (optimistic concurrency): a PATCH with an older one gets 409."""

    default_error_messages = {"invalid": VERSION_MESSAGE}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": "The version you read; 409 if it changed."})
        super().__init__(**kwargs)
        self.validators = [validate.Range(1, MAX_ID, error=VERSION_MESSAGE)]
