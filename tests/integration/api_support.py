"""Helpers for the JSON API tests: a bearer-token client whose every response is checked against the OpenAPI
document the app serves, and readers of what a request wrote (row counts, audit events)."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jsonschema
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from caseapp.assessments.models import Assessment
from caseapp.audit.models import AuditEvent
from caseapp.auth.models import User
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.notifications.models import Notification

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _is_rfc3339(value: object) -> bool:
    """RFC 3339 with an offset (what the API promises), not just anything fromisoformat takes."""
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        raise ValueError(f"{value!r} is not RFC 3339 with an offset")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects → JSON Schema: `nullable: true` becomes "or null" (the rest is the same)."""
    if isinstance(node, list):
        return [openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: openapi_to_json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


class ResponseChecker:
    """Finds the documented operation of a request and validates the response body against its schema."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.components = openapi_to_json_schema(spec["components"]["schemas"])
        routes = []
        for path in spec["paths"]:
            pattern = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")
            routes.append((path.count("{"), path, pattern))
        self.routes = sorted(
            routes, key=lambda r: r[:2]
        )  # literal segments win over parameters (/calls/drafts before /calls/{id})

    def operation(self, method: str, path: str) -> dict[str, Any]:
        for _, documented, pattern in self.routes:
            if pattern.match(path) and method.lower() in self.spec["paths"][documented]:
                return dict(self.spec["paths"][documented][method.lower()])
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")

    def validate(self, schema: dict[str, Any], instance: Any) -> None:
        document = {**openapi_to_json_schema(copy.deepcopy(schema)), "components": {"schemas": self.components}}
        validator = jsonschema.Draft202012Validator(document, format_checker=_FORMATS)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])

    def check(self, method: str, path: str, response: TestResponse) -> None:
        responses = self.operation(method, path)["responses"]
        status = response.status_code
        documented = responses.get(str(status)) or (responses.get("4XX") if 400 <= status < 500 else None)
        assert documented is not None, f"{method} {path} answered {status}, which is not documented"
        content = documented.get("content")
        if content is None:
            assert not response.data, f"{method} {path} {status} is documented without a body"
            return
        assert response.mimetype == "application/json", response.mimetype
        self.validate(content["application/json"]["schema"], response.get_json())


@dataclass
class Api:
    """A JSON API client signed in as `user` with a bearer token; `check=True` validates against the document."""

    client: FlaskClient
    user: User | None
    token: str | None
    checker: ResponseChecker

    @property
    def account(self) -> User:
        """The signed-in user (an anonymous client has none)."""
        assert self.user is not None, "an anonymous client has no user"
        return self.user

    @property
    def user_id(self) -> int:
        return self.account.id

    def request(
        self, method: str, path: str, *, check: bool = True, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> TestResponse:
        all_headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        all_headers.update(headers or {})
        response = self.client.open(path, method=method, headers=all_headers, **kwargs)
        if check:
            self.checker.check(method, path.split("?")[0], response)
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)


# --- reading what happened --------------------------------------------------------------------------------------

COUNTED = (Caller, Case, Call, Assessment, Notification, AuditEvent)


def row_counts() -> dict[str, int]:
    """How many rows each table of the call loop holds (to prove a refused request wrote nothing)."""
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0 for model in COUNTED
    }


def audit_events(action: str | None = None, **filters: Any) -> list[AuditEvent]:
    """Audit events in the order written, optionally of one action and with column filters (entity_id=str(...))."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    for name, value in filters.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(db.session.scalars(query))
