"""Bodies and text no client should send: every write of the URL map with a body over MAX_CONTENT_LENGTH gets 413;
every JSON body nested 10,000 deep, or holding bytes that are not UTF-8, gets 400; form fields and query strings
(of every route) that are not UTF-8, raw or percent-escaped, get 400 too. Never a server error, nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import TestResponse

from caseapp.auth.access import required_role
from caseapp.auth.models import Role
from tests.security import crawl, surface
from tests.security.conftest import World, database_state

UNSAFE = [r for r in surface.routes() if r.is_unsafe]
WITH_BODY = [
    r
    for r in surface.api_routes()
    if (r.openapi_path, r.method) in {(op.path, op.method) for op in surface.operations_with_body()}
]
UNSAFE_PAGES = [r for r in surface.page_routes() if r.is_unsafe]
GETS = [r for r in surface.routes() if r.method == "GET" and r.endpoint not in crawl.NOT_CRAWLED]
#: bytes that are not UTF-8 (a UTF-16 byte-order mark), raw and as a browser-style percent-escape
NOT_UTF8 = {"raw": b"\xff\xfe", "escaped": b"%FF%FE"}


def _who(route: surface.Route) -> Role | None:
    """The least role the route admits, so the request reaches what reads the body (public ones: nobody)."""
    return required_role(surface.url_app(), route.endpoint)


def _send(world: World, route: surface.Route, body: bytes, content_type: str, **kwargs: Any) -> TestResponse:
    who = _who(route)
    path = route.path(world.ids_for(who))
    if route.is_api:
        return world.api(who).request(route.method, path, check=False, data=body, content_type=content_type, **kwargs)
    headers = {"X-CSRFToken": world.members[who].csrf}  # the token must not be what refuses it
    return world.browser(who).open(path, method=route.method, data=body, content_type=content_type, headers=headers)


def _error_code(response: TestResponse) -> str:
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    assert set(body["error"]) >= {"code", "message", "fields"}, body
    code: str = body["error"]["code"]
    return code


@pytest.mark.parametrize("route", UNSAFE, ids=str)
def test_a_body_over_the_size_limit_is_refused_with_413(world: World, route: surface.Route) -> None:
    limit = world.app.config["MAX_CONTENT_LENGTH"]
    before = database_state()

    if route.is_api:
        response = _send(world, route, b'{"notes": "' + b"x" * limit + b'"}', "application/json")
    else:
        response = _send(world, route, b"notes=" + b"x" * limit, "application/x-www-form-urlencoded")

    assert response.status_code == 413
    if route.is_api:
        assert _error_code(response) == "request_entity_too_large"
    assert database_state() == before


@pytest.mark.parametrize("route", WITH_BODY, ids=str)
def test_json_nested_ten_thousand_deep_is_a_clear_400(world: World, route: surface.Route) -> None:
    before = database_state()

    response = _send(world, route, b'{"data": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "application/json")

    assert response.status_code == 400
    assert _error_code(response) == "invalid_json"
    assert "nested more than" in response.get_json()["error"]["message"]
    assert database_state() == before


@pytest.mark.parametrize("route", WITH_BODY, ids=str)
def test_json_that_is_not_utf8_is_a_clear_400(world: World, route: surface.Route) -> None:
    before = database_state()

    response = _send(world, route, b'{"notes": "' + NOT_UTF8["raw"] + b'", "body": "x"}', "application/json")

    assert response.status_code == 400
    assert _error_code(response) == "invalid_json"
    assert database_state() == before


@pytest.mark.parametrize("kind", sorted(NOT_UTF8))
@pytest.mark.parametrize("route", UNSAFE_PAGES, ids=str)
def test_a_form_field_that_is_not_utf8_is_refused(world: World, route: surface.Route, kind: str) -> None:
    who = _who(route)
    before = database_state()

    response = world.browser(who).open(
        route.path(world.ids_for(who)),
        method=route.method,
        data=b"csrf_token=" + world.members[who].csrf.encode() + b"&notes=" + NOT_UTF8[kind] + b"&body=x",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert database_state() == before


@pytest.mark.parametrize("kind", sorted(NOT_UTF8))
@pytest.mark.parametrize("route", GETS, ids=str)
def test_a_query_string_that_is_not_utf8_is_refused(world: World, route: surface.Route, kind: str) -> None:
    who = _who(route)
    path = route.path(world.ids_for(who))
    query = "q=" + NOT_UTF8[kind].decode("latin-1")  # WSGI carries the raw bytes as latin-1
    before = database_state()

    if route.is_api:
        response = world.api(who).get(path, check=False, environ_overrides={"QUERY_STRING": query})
    else:
        response = world.browser(who).get(path, environ_overrides={"QUERY_STRING": query})

    assert response.status_code == 400
    if route.is_api:
        assert _error_code(response) == "invalid_encoding"
        assert list(response.get_json()["error"]["fields"]) == ["q"]
    assert database_state() == before


@pytest.mark.parametrize("path", ["/cases/\xff\xfe", "/search\xff", "/api/v1/cases/\xff", "/static/app\xff.css"])
def test_a_path_that_is_not_utf8_is_not_found(world: World, path: str) -> None:
    response = world.browser(Role.ADVISOR).get("/", environ_overrides={"PATH_INFO": path})

    assert response.status_code == 404
