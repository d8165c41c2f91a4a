"""The JSON API's plumbing: one decorator validates input with marshmallow, serialises output, and records the
operation for the OpenAPI document, so the schemas that validate requests are the ones the document shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any

import marshmallow as ma
from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import BadRequest as HTTPBadRequest

from caseapp.auth.access import guard_api_blueprint
from caseapp.auth.models import Role
from caseapp.errors import AppError, ValidationError
from caseapp.inbound import JsonTooDeep
from caseapp.plain_messages import plain_messages

API_PREFIX = "/api/v1"
MAX_PAGE_SIZE = 200


class BadRequest(AppError):
    status = 400
    code = "invalid_json"


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    summary: str
    tag: str
    body: type[ma.Schema] | None
    query: type[ma.Schema] | None
    response: type[ma.Schema] | None
    status: int
    many: bool
    #: the body's media type when it is not the JSON of `response` (text/csv)
    media_type: str | None = None


OPERATIONS: list[Operation] = []


class Extended:
    """`obj` as a response schema sees it, plus values it does not hold (views never set attributes on models)."""

    def __init__(self, obj: Any, **extra: Any) -> None:
        self._obj = obj
        self._extra = extra

    def __getattr__(self, name: str) -> Any:
        extra = self.__dict__["_extra"]
        return extra[name] if name in extra else getattr(self.__dict__["_obj"], name)


def api_blueprint(name: str, path: str, role: Role = Role.ADVISOR) -> Blueprint:
    """A blueprint under /api/v1/<path>, open to `role` and above (bearer token or session + CSRF header)."""
    bp = Blueprint(f"{name}_api", __name__, url_prefix=f"{API_PREFIX}{path}")
    guard_api_blueprint(bp, role)
    return bp


class PageQuery(ma.Schema):
    cursor = ma.fields.String(load_default=None, metadata={"description": "The `next` value of the previous page."})
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, MAX_PAGE_SIZE))


@cache
def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """{"items": [...], "next": cursor-or-null} around an item schema."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "next": ma.fields.String(allow_none=True, required=True),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}Page",
    )


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages → {"field" or "field.sub": [message, ...]}."""
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return {prefix or "_schema": list(messages)}
        return {prefix or "_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = str(key) if not prefix else f"{prefix}.{key}"
        flat.update(flatten_messages(value, name))
    return flat


@cache
def schema_instance(schema: type[ma.Schema], many: bool = False) -> ma.Schema:
    """One instance per schema class, reused: a schema keeps no state between loads and dumps, and building one
    deep-copies its fields (its nested schemas' too) on every request otherwise."""
    return schema(many=many)


def load(schema: type[ma.Schema], data: Any, **schema_kwargs: Any) -> dict[str, Any]:
    """Validate `data` with `schema`; errors are raised as a ValidationError whose messages are plain English."""
    instance = schema(**schema_kwargs) if schema_kwargs else schema_instance(schema)
    try:
        return dict(instance.load(data))
    except ma.ValidationError as exc:
        fields = plain_messages(instance, flatten_messages(exc.messages))
        raise ValidationError("Some fields are missing or not valid.", fields=fields) from exc


def _json_body() -> Any:
    if not request.is_json:
        raise BadRequest("Send a JSON object with Content-Type: application/json.")
    try:
        data = request.get_json()
    except HTTPBadRequest as exc:  # malformed, not UTF-8, or nested too deeply (caseapp/inbound.py)
        raise BadRequest(_why_not_json(exc)) from exc
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return data


def _why_not_json(error: BaseException) -> str:
    """The message for a body JSON could not read: the depth limit says what it is, anything else is just invalid."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, JsonTooDeep):
            return str(cause)
        cause = cause.__cause__ or cause.__context__
    return "The request body is not valid JSON."


def _query_args(schema: type[ma.Schema]) -> dict[str, Any]:
    declared = schema_instance(schema).fields
    data: dict[str, Any] = {}
    for key in request.args:
        field = declared.get(key)
        data[key] = request.args.getlist(key) if isinstance(field, ma.fields.List) else request.args.get(key)
    return load(schema, data)


def operation(
    bp: Blueprint,
    rule: str,
    method: str = "GET",
    *,
    summary: str,
    body: type[ma.Schema] | None = None,
    query: type[ma.Schema] | None = None,
    response: type[ma.Schema] | None = None,
    status: int = 200,
    many: bool = False,
    media_type: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `view` on `bp`: it receives validated `body=`/`query=` and returns data for `response` (or, with
    `media_type`, a Response of that type, which the document shows as a string body)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(**kwargs: Any) -> Any:
            if body is not None:
                kwargs["body"] = load(body, _json_body())
            if query is not None:
                kwargs["query"] = _query_args(query)
            result = view(**kwargs)
            if isinstance(result, Response | tuple):
                return result
            payload = schema_instance(response, many).dump(result) if response is not None else result
            return jsonify(payload), status

        bp.add_url_rule(rule, view.__name__, wrapped, methods=[method])
        # the first part of the path after /api/v1 ("audit" for /audit.csv)
        tag = f"{bp.url_prefix or ''}{rule}".removeprefix(API_PREFIX).strip("/").split("/")[0].split(".")[0]
        tag = tag or "general"
        OPERATIONS.append(
            Operation(f"{bp.url_prefix}{rule}", method, summary, tag, body, query, response, status, many, media_type)
        )
        return wrapped

    return decorator
