"""The role matrix: every route × method of the URL map, asked by nobody and by each role, answers as the access
policy the route declares (caseapp/auth/access.py `required_role`): anonymous → 401 (API) or the sign-in page;
a lower role → 403; an allowed role → neither (nor 404: its ids name real rows, so the view is reached), and never a
server error. A new endpoint is in the matrix as soon as it is routed, and one that declares no policy fails here
(one with a new kind of id in its path fails until tests/security/conftest.py makes a row of it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from caseapp.auth.access import is_signed, required_role
from caseapp.auth.models import Role
from tests.security import surface
from tests.security.conftest import WHO, World, who_id

FORBIDDEN = {"code": "forbidden", "message": "Your role does not allow this.", "fields": {}}
DOCUMENTED = {(op.path, op.method) for op in surface.operations()}


def ask(world: World, route: surface.Route, who: Role | None, **headers: str) -> TestResponse:
    """`route` as `who` would send it: the API with their bearer token (a JSON object as the body of a write), a page
    from their signed-in browser (a write with the CSRF token of their session), its ids naming real rows."""
    path = route.path(world.ids_for(who))
    if route.is_api:
        body: dict[str, Any] = {"json": {}} if route.method in ("POST", "PUT", "PATCH") else {}
        response = world.api(who).request(route.method, path, check=False, headers=headers, **body)
        if (route.openapi_path, route.method) in DOCUMENTED and response.mimetype == "application/json":
            world.checker.check(route.method, path, response)  # the CSV exports' bodies are not described
        return response
    browser = world.browser(who)
    data = {"csrf_token": world.members[who].csrf} if route.is_unsafe else None
    return browser.open(path, method=route.method, data=data, headers=headers)


def _error(response: TestResponse) -> dict[str, Any]:
    assert response.mimetype == "application/json", response.mimetype
    body = response.get_json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    return error


def _sent_to_sign_in(response: TestResponse) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("who", WHO, ids=who_id)
@pytest.mark.parametrize("route", surface.routes(), ids=str)
def test_route_answers_as_its_declared_policy_says(world: World, route: surface.Route, who: Role | None) -> None:
    required = required_role(world.app, route.endpoint)  # LookupError: the endpoint declares no policy

    response = ask(world, route, who)

    status = response.status_code
    if route.is_signed:  # nobody gets past a webhook without its signature, signed in or not (503: no secret set)
        assert required is None
        assert status in (401, 403, 503), response.get_data(as_text=True)[:2000]
        assert _error(response)["code"] in ("signature_missing", "not_configured")
        return
    assert status < 500, response.get_data(as_text=True)[:2000]
    if required is None:
        assert status not in (401, 403), response.get_data(as_text=True)[:2000]
    elif who is not None and who.includes(required):
        assert status not in (401, 403, 404), response.get_data(as_text=True)[:2000]  # 404: the view was not reached
        assert not _sent_to_sign_in(response)
    elif who is None and route.is_api:
        assert status == 401
        assert _error(response)["code"] == "unauthorized"
    elif who is None:
        assert _sent_to_sign_in(response), (status, response.headers.get("Location"))
        assert _error(ask(world, route, who, Accept="application/json"))["code"] == "unauthorized"
    elif route.is_api:
        assert status == 403
        assert _error(response) == FORBIDDEN
    else:
        assert status == 403
        assert "You do not have access" in response.get_data(as_text=True)
        assert _error(ask(world, route, who, Accept="application/json")) == FORBIDDEN


def test_the_matrix_covers_public_and_every_role_of_the_policy(world: World) -> None:
    """The matrix is not vacuous: the app has public routes and routes for each role, pages and API alike."""
    declared = {(route.is_api, required_role(world.app, route.endpoint)) for route in surface.routes()}

    assert {(False, None), (True, None)} <= declared
    assert {(is_api, role) for is_api in (False, True) for role in (Role.ADVISOR, Role.MANAGER)} <= declared
    assert (False, Role.ADMIN) in declared


def test_every_api_route_is_in_the_openapi_document_and_nothing_else(openapi_spec: dict[str, Any]) -> None:
    routed = {
        (route.openapi_path, route.method.lower())
        for route in surface.api_routes()
        if route.endpoint != "api_docs.openapi_document"
    }
    documented = {(path, method) for path, ops in openapi_spec["paths"].items() for method in ops}

    assert routed == documented


def test_every_documented_operation_asks_for_a_bearer_token(openapi_spec: dict[str, Any]) -> None:
    unsecured = [
        f"{method.upper()} {path}"
        for path, ops in openapi_spec["paths"].items()
        for method, op in ops.items()
        if {"bearer": []} not in op.get("security", openapi_spec.get("security", []))
    ]

    assert unsecured == []


POLICY_FILE = Path(__file__).with_name("access_policy.txt")


def declared_policy(app: Flask) -> list[str]:
    """`<endpoint> <methods> <least role, public, or signed (a webhook)>`, one line per endpoint, sorted."""
    lines = []
    for rule in app.url_map.iter_rules():
        role = required_role(app, rule.endpoint)
        methods = ",".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        open_to = "signed" if is_signed(rule.endpoint) else "public"
        lines.append(f"{rule.endpoint} {methods} {role.value if role else open_to}")
    return sorted(set(lines))


def test_the_declared_access_policy_is_the_reviewed_one(app: Flask) -> None:
    """The matrix above proves each endpoint does what it declares; this pins what it declares. Widening access
    (or removing a guard, which removes its declaration too) fails here until access_policy.txt is changed, so every
    change of who may do what is seen in review. Regenerate with:
    .venv/bin/python -c "from tests.security.test_access import write_policy; write_policy()"."""
    expected = POLICY_FILE.read_text().splitlines()

    assert declared_policy(app) == expected


def write_policy() -> None:  # pragma: no cover - a maintainer's helper, run by hand
    from tests.conftest import TEST_SECRET, make_app

    app = make_app("sqlite://", None, SECRET_KEY=TEST_SECRET)
    POLICY_FILE.write_text("\n".join(declared_policy(app)) + "\n")
