"""What the app exposes, read from its URL map and its OpenAPI document: every route × method, every API operation
with its query parameters and request body fields. The security tests are parametrized from here when they are
collected, so a new endpoint, parameter or field is covered without editing them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask

import caseapp
from caseapp.api import API_PREFIX
from caseapp.auth.access import is_signed

#: methods a route answers that are not its own (Flask adds them to every route)
IMPLICIT_METHODS = {"HEAD", "OPTIONS"}
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_ARGUMENT = re.compile(r"<(?:[\w]+(?:\([^)]*\))?:)?(\w+)>")
_OPENAPI_ARGUMENT = re.compile(r"\{(\w+)\}")
_ARGS_READ = re.compile(r"\bargs\.(?:get|getlist)\(\s*\"(\w+)\"")


@cache
def url_app() -> Flask:
    """An app built only to read its URL map and OpenAPI document (it never reaches a database)."""
    from tests.conftest import make_app

    return make_app("sqlite://", None)


@dataclass(frozen=True)
class Route:
    """One rule of the URL map with one of its methods."""

    rule: str
    method: str
    endpoint: str

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def is_api(self) -> bool:
        return self.rule.startswith(f"{API_PREFIX}/")

    @property
    def is_signed(self) -> bool:
        """A webhook the sender signs (caseapp/telephony/api.py): no sign-in, no bearer token, not in the OpenAPI
        document (which is for clients that sign in), described in the README."""
        return is_signed(self.endpoint)

    @property
    def is_unsafe(self) -> bool:
        return self.method in UNSAFE_METHODS

    @property
    def arguments(self) -> list[str]:
        return _ARGUMENT.findall(self.rule)

    @property
    def openapi_path(self) -> str:
        return _ARGUMENT.sub(r"{\1}", self.rule)

    def path(self, ids: Mapping[str, Any]) -> str:
        """The rule with each <argument> replaced by ids[argument] (a real row, so the view is reached)."""
        return _ARGUMENT.sub(lambda match: str(ids[match.group(1)]), self.rule)


@cache
def routes() -> tuple[Route, ...]:
    found = []
    for rule in url_app().url_map.iter_rules():
        for method in sorted((rule.methods or set()) - IMPLICIT_METHODS):
            found.append(Route(rule.rule, method, rule.endpoint))
    return tuple(sorted(found, key=lambda r: (r.rule, r.method)))


def page_routes() -> list[Route]:
    return [r for r in routes() if not r.is_api]


def api_routes() -> list[Route]:
    """The JSON API for signed-in clients (not the signed webhooks: signed_routes)."""
    return [r for r in routes() if r.is_api and not r.is_signed]


def signed_routes() -> list[Route]:
    return [r for r in routes() if r.is_signed]


# --- the OpenAPI document -------------------------------------------------------------------------------------------


@cache
def openapi() -> dict[str, Any]:
    response = url_app().test_client().get(f"{API_PREFIX}/openapi.json")
    assert response.status_code == 200, response.status_code
    document: dict[str, Any] = response.get_json()
    return document


@dataclass(frozen=True)
class Operation:
    """One operation of the OpenAPI document."""

    path: str
    method: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def spec(self) -> dict[str, Any]:
        operation: dict[str, Any] = openapi()["paths"][self.path][self.method.lower()]
        return operation

    def url(self, ids: Mapping[str, Any]) -> str:
        return _OPENAPI_ARGUMENT.sub(lambda match: str(ids[match.group(1)]), self.path)

    @property
    def query_parameters(self) -> list[dict[str, Any]]:
        return [p for p in self.spec.get("parameters", []) if p["in"] == "query"]

    @property
    def body_schema(self) -> dict[str, Any] | None:
        content = self.spec.get("requestBody", {}).get("content", {}).get("application/json")
        return resolve(content["schema"]) if content else None


def operations() -> list[Operation]:
    return [Operation(path, method.upper()) for path, ops in openapi()["paths"].items() for method in ops]


def operations_with_body() -> list[Operation]:
    """The operations that take a JSON request body."""
    return [op for op in operations() if op.body_schema is not None]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its $ref followed (components/schemas only, as apispec writes them)."""
    while "$ref" in schema:
        schema = openapi()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def is_free_text(schema: dict[str, Any]) -> bool:
    """A string anyone may type anything into: no enum, format or pattern constrains it."""
    return schema.get("type") == "string" and not {"enum", "format", "pattern"} & set(schema)


@dataclass(frozen=True)
class TextField:
    """A free-text field of a request body: `name`, or `name.0` for a string in an array."""

    operation: Operation
    name: str
    max_length: int | None
    in_array: bool

    def __str__(self) -> str:
        return f"{self.operation} {self.name}"


def free_text_fields() -> list[TextField]:
    fields = []
    for op in operations_with_body():
        body = op.body_schema or {}
        for name, prop in sorted(body.get("properties", {}).items()):
            prop = resolve(prop)
            if prop.get("type") == "array" and is_free_text(resolve(prop.get("items", {}))):
                fields.append(TextField(op, name, resolve(prop["items"]).get("maxLength"), in_array=True))
            elif is_free_text(prop):
                fields.append(TextField(op, name, prop.get("maxLength"), in_array=False))
    return fields


def query_parameters() -> Iterator[tuple[Operation, str]]:
    """(operation, name) for every query parameter of every GET operation."""
    for op in operations():
        if op.method == "GET":
            for parameter in op.query_parameters:
                yield op, parameter["name"]


def query_names_read() -> set[str]:
    """The query-string names the app's code reads by name (`request.args.get("q")`), pages and API alike."""
    package = Path(caseapp.__file__).parent
    return {name for path in package.rglob("*.py") for name in _ARGS_READ.findall(path.read_text())}
