"""GET /api/v1/openapi.json: the OpenAPI 3 document, built by apispec from the schemas the API validates with."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from caseapp.api import OPERATIONS

_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "Per field (`field` or `field.index`): what is wrong with it.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "current_version": {"type": "integer", "description": "On 409 for a stale `version`: the current one."},
                "open_callback_ids": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "description": "On 409 handover_required: your open callbacks still without a destination.",
                },
                "handover_status": {
                    "type": "string",
                    "description": "On 409 accepting a handover no longer offered: what became of it.",
                },
                "request_id": {"type": "string", "description": "On 500: quote it when reporting the problem."},
            },
        }
    },
}

#: gunicorn (`caseapp web`) refuses a request line longer than 4094 bytes before the app sees it, with its own page
URI_TOO_LONG = {
    "description": "The URL is too long for the server (over 4094 bytes with the method); its own HTML page.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


@cache
def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="caseapp API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Helpline case management. Authenticate with `Authorization: Bearer <token>`."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR_SCHEMA)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path = _PATH_PARAM.sub(r"{\2}", op.path)
        params: list[dict[str, Any]] = [
            {"in": "path", "name": name, "required": True, "schema": {"type": "integer" if conv == "int" else "string"}}
            for conv, name in _PATH_PARAM.findall(op.path)
        ]
        if op.query is not None:
            params.append({"in": "query", "schema": op.query})
        responses: dict[str, Any] = {
            "4XX": {"description": "Error", "content": {"application/json": {"schema": "Error"}}},
            "414": URI_TOO_LONG,
        }
        if op.response is not None:
            schema: Any = {"type": "array", "items": op.response} if op.many else op.response
            responses[str(op.status)] = {"description": "OK", "content": {"application/json": {"schema": schema}}}
        elif op.media_type is not None:
            responses[str(op.status)] = {
                "description": "OK",
                "content": {op.media_type: {"schema": {"type": "string"}}},
            }
        else:
            responses[str(op.status)] = {"description": "OK"}
        operation: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": params,
            "responses": responses,
            "security": [{"bearer": []}],
        }
        if op.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
        paths.setdefault(path, {})[op.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
