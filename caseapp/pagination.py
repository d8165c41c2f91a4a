"""Keyset ("cursor") pagination for the JSON API: stable under inserts, cheap at any depth."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa

from caseapp.errors import ValidationError
from caseapp.extensions import db

T = TypeVar("T")
BAD_CURSOR = "This cursor is not valid; start again without it."


def encode_cursor(values: Sequence[Any]) -> str:
    # in UTC: an offset with seconds or microseconds (which isoformat writes) is not read back by every parser
    plain = [v.astimezone(UTC).isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: Sequence[type]) -> tuple[Any, ...]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(kinds):
            raise ValueError("shape")
        return tuple(_decode_value(v, kind) for v, kind in zip(raw, kinds, strict=True))
    # RecursionError: JSON nested deeper than the parser goes; OverflowError: an instant outside the years 1-9999 in UTC
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error, json.JSONDecodeError) as exc:
        raise ValidationError(BAD_CURSOR, fields={"cursor": [BAD_CURSOR]}) from exc


def _decode_value(value: Any, kind: type) -> Any:
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.utcoffset() is None:
            raise ValueError("naive")  # we only ever encode aware instants; a naive one would be read as server time
        moment.astimezone(UTC)  # OverflowError for the years 0 and 10000 in UTC: no key we ever wrote
        return moment
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(type(value).__name__)  # e.g. a float or "1" where we encoded an id
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError("out of range")  # the database would refuse it (500) rather than find nothing
    return value


def keyset_page(
    query: sa.Select[Any],
    keys: Sequence[sa.orm.QueryableAttribute[Any]],
    key_of: Callable[[Any], Sequence[Any]],
    *,
    cursor: str | None,
    limit: int,
    descending: bool = True,
) -> tuple[list[Any], str | None]:
    """One page of `query` ordered by `keys` (the last must be unique, e.g. id) and the cursor of the next page."""
    if cursor:
        after = decode_cursor(cursor, [k.type.python_type for k in keys])
        row = sa.tuple_(*keys)
        query = query.where(row < sa.tuple_(*after) if descending else row > sa.tuple_(*after))
    order = [k.desc() if descending else k.asc() for k in keys]
    items = list(db.session.scalars(query.order_by(*order).limit(limit + 1)).unique())
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    return items, encode_cursor(key_of(items[-1]))
