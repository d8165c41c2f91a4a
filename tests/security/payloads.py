"""What an attacker sends: markup with a unique marker (and how to tell it was rendered unescaped), strings that try
to break out of SQL, and CR/LF that try to add a header. Also what a well-behaved client would send: a valid request
body for an operation, read from its schema in the OpenAPI document."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from caseapp.timeutil import now_utc
from tests.security import surface

_markers = itertools.count(1)
#: how every marker starts (a search for it finds every name holding a payload)
MARKER_PREFIX = "zq"


@dataclass(frozen=True)
class Markup:
    """An XSS payload around a unique marker: escaped, none of its raw pieces survives; rendered raw, they do."""

    marker: str
    text: str
    raw_pieces: tuple[str, ...]


def markup(max_length: int | None = None) -> Markup:
    """The full payload (a script, an event handler, both quotes), or a short one for fields that hold less."""
    marker = f"{MARKER_PREFIX}{next(_markers)}x"
    full = f"{marker}\"'><script>window.__x='{marker}'</script><img src=x onerror=alert('{marker}')>"
    if max_length is None or len(full) <= max_length:
        pieces = (f"{marker}\"'", f"<script>window.__x='{marker}'", f"<img src=x onerror=alert('{marker}')>")
        return Markup(marker, full, pieces)
    return Markup(marker, f"<i>{marker}\"'", (f"<i>{marker}", f"{marker}\"'"))


def unescaped(html: str, payload: Markup) -> list[str]:
    """The pieces of `payload`'s markup found raw in `html` (none when it was escaped, or not shown at all)."""
    return [piece for piece in payload.raw_pieces if piece in html]


#: strings that change a query when pasted into SQL, or widen a LIKE pattern
SQL_INJECTIONS = ("' OR 1=1 --", "1; DROP TABLE cases", "%' AND '%'='", "\\", "%", "_")
#: an honest value of no record: what each injection must be treated like
NO_MATCH = "zzqqnomatch"
#: ways of adding a header or leaving the site through a redirect target
REDIRECT_ESCAPES = (
    "/\r\nSet-Cookie: injected=1",
    "/%0d%0aSet-Cookie:%20injected=1",
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F%2Fevil.example",
    "http:/evil.example",
    "javascript:alert(1)",
)
HEADER_BREAKS = ("x\r\nSet-Cookie: injected=1", "x\nInjected: 1", "x\rInjected: 1")


# --- valid bodies ----------------------------------------------------------------------------------------------


def example_value(name: str, schema: dict[str, Any], ids: dict[str, Any]) -> Any:
    """A value the schema accepts: a real row for an id, its example (a phone number), the first choice of an enum,
    a time soon."""
    schema = surface.resolve(schema)
    if "example" in schema:
        return schema["example"]
    if "enum" in schema:
        return next(value for value in schema["enum"] if value is not None)
    kind = schema.get("type")
    if kind == "integer":
        return ids.get(name, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "array":
        return [example_value(name, schema.get("items", {}), ids)]
    if kind == "object":
        return _example_object(schema, ids)
    if schema.get("format") == "date-time":
        return (now_utc() + timedelta(hours=3)).isoformat()
    return "example"


def _example_object(schema: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any]:
    """An object's required properties and those the document gives an example of (an open object: empty)."""
    properties = schema.get("properties", {})
    sent = [*schema.get("required", []), *(n for n, p in properties.items() if "example" in surface.resolve(p))]
    return {name: example_value(name, properties[name], ids) for name in dict.fromkeys(sent)}


def example_body(operation: surface.Operation, ids: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The required fields of `operation`'s body, and those the document gives an example of (one of several ways
    to say when, say): as the record is now (`current`, what a GET answered, e.g. its version), else an example."""
    schema = operation.body_schema or {}
    properties = schema.get("properties", {})
    sent = [*schema.get("required", []), *(n for n, p in properties.items() if "example" in surface.resolve(p))]
    return {
        name: current[name] if name in current else example_value(name, properties[name], ids)
        for name in dict.fromkeys(sent)
    }
