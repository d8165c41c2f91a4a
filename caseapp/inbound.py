"""What the app accepts from outside, before any view runs: request size, UTF-8 text, JSON depth, and no NUL
characters.

A body larger than MAX_CONTENT_LENGTH is refused (413) whether or not the view would read it. A query string or form
body that is not UTF-8 once percent-decoded is refused (400, the names it holds listed): Werkzeug answers raw bytes
with a server error and keeps percent-escapes of bad bytes as literal text (so "%FF" would be saved as typed).
PostgreSQL cannot store a NUL character in text, and Python's JSON parser gives up on very deep nesting with an
error that is not a ValueError: both would be server errors. Here they become clear 4xx answers instead. A NUL in a
page's form or query string is removed (browsers never send one; it cannot be seen or stored); in the JSON API it is
refused with the field named, so a client learns what it sent.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from caseapp.errors import AppError, NotFound, ValidationError

#: deeper JSON than this is refused; no request the API documents nests more than four levels
MAX_JSON_DEPTH = 20
NUL = "\x00"
NUL_MESSAGE = "Contains a NUL character, which cannot be stored. Remove it and send again."
FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
NOT_UTF8_MESSAGE = "Not valid UTF-8 text. Send text encoded as UTF-8."


class NotUtf8(AppError):
    status = 400
    code = "invalid_encoding"


class JsonTooDeep(ValueError):
    """Nested deeper than MAX_JSON_DEPTH (a ValueError, so Werkzeug answers 400 as for any malformed JSON)."""


def nul_paths(data: Any) -> list[str]:
    """Where a parsed JSON value holds a NUL (in a string or a key): dotted paths, e.g. "notes" or "tags.2".
    Raises JsonTooDeep past MAX_JSON_DEPTH. Iterative, so a deep value cannot exhaust the stack here either."""
    found: list[str] = []
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise JsonTooDeep(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.")
        if isinstance(value, str):
            if NUL in value:
                found.append(path or "_schema")
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if NUL in key:
                    found.append(child)
                stack.append((item, child, depth + 1))
        elif isinstance(value, list):
            stack.extend(
                (item, f"{path}.{index}" if path else str(index), depth + 1) for index, item in enumerate(value)
            )
    return sorted(found)


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, with request bodies checked for depth and NUL characters as they are parsed."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            data = json.loads(s, **kwargs)
        except RecursionError as exc:
            raise JsonTooDeep(f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep.") from exc
        paths = nul_paths(data)
        if paths:
            raise ValidationError(NUL_MESSAGE, fields={path.replace(NUL, "\\0"): [NUL_MESSAGE] for path in paths})
        return data


def _has_nul(values: MultiDict[str, str]) -> list[str]:
    return sorted({key.replace(NUL, "\\0") for key, value in values.items(multi=True) if NUL in key or NUL in value})


def _without_nul(values: MultiDict[str, str]) -> ImmutableMultiDict[str, str]:
    return ImmutableMultiDict([(k.replace(NUL, ""), v.replace(NUL, "")) for k, v in values.items(multi=True)])


def not_utf8(raw: bytes) -> list[str]:
    """The names of the pairs of a query string or form body that are not UTF-8 text once percent-decoded (bytes
    that are not shown as \\xNN)."""
    bad = set()
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        try:
            for part in (name, value):
                unquote_to_bytes(part.replace(b"+", b" ")).decode()
        except UnicodeDecodeError:
            bad.add(unquote_to_bytes(name).decode(errors="backslashreplace") or "_schema")
    return sorted(bad)


def init_inbound(app: Flask, api_prefix: str) -> None:
    app.json = GuardedJSONProvider(app)

    @app.before_request
    def refuse_oversized_and_not_utf8() -> None:
        limit = request.max_content_length
        if limit is not None and request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge
        bad = not_utf8(request.query_string)
        if request.mimetype == FORM_MIMETYPES[0]:
            bad += not_utf8(request.get_data(cache=True))  # the form is parsed from this copy later
        if bad:
            raise NotUtf8(NOT_UTF8_MESSAGE, fields={name: [NOT_UTF8_MESSAGE] for name in sorted(set(bad))})

    @app.before_request
    def refuse_nul() -> None:
        if NUL in request.path:
            raise NotFound("There is no such page.")
        api = request.path.startswith(api_prefix)
        sources = [("args", request.args)]
        if request.mimetype in FORM_MIMETYPES:
            sources.append(("form", request.form))
        for name, values in sources:
            bad = _has_nul(values)
            if not bad:
                continue
            if api:
                raise ValidationError(NUL_MESSAGE, fields={key: [NUL_MESSAGE] for key in bad})
            setattr(request, name, _without_nul(values))  # Werkzeug caches args/form as plain attributes
