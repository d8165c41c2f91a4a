"""CSRF on every write of the URL map: a page form posted without its token, with a forged one, or with the token
of another browser's session answers 400 and changes nothing; the same form with its own token gets past the check.
The JSON API with a session cookie needs the X-CSRFToken header on every write; with a bearer token it needs none."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from caseapp.auth.access import required_role
from caseapp.auth.models import Role
from tests.html import Form
from tests.security import surface
from tests.security.conftest import World, database_state, who_id

EXPIRED = "The form expired or was sent from elsewhere."
UNSAFE_PAGES = [r for r in surface.page_routes() if r.is_unsafe]
UNSAFE_API = [r for r in surface.api_routes() if r.is_unsafe]
BAD_TOKENS = ["missing", "forged", "another_session"]


def _askers(route: surface.Route) -> list[tuple[surface.Route, Role | None]]:
    """Who sends the write: the least role it admits, or (a public one) nobody and a signed-in advisor."""
    required = required_role(surface.url_app(), route.endpoint)
    return [(route, who) for who in ([None, Role.ADVISOR] if required is None else [required])]


PAGE_WRITES = [pair for route in UNSAFE_PAGES for pair in _askers(route)]
API_WRITES = [pair for route in UNSAFE_API for pair in _askers(route)]


def _id(value: Any) -> str:
    return str(value) if isinstance(value, surface.Route) else who_id(value)


def _form_data(page_forms: dict[str, Form], route: surface.Route) -> MultiDict[str, str]:
    """What the page's form for this endpoint sends untouched (nothing, for a write no page offers to everyone)."""
    form = page_forms.get(route.endpoint)
    return MultiDict([(k, v) for k, v in (form.defaults() if form else []) if k != "csrf_token"])


def _csrf_failed(response: TestResponse) -> bool:
    if response.mimetype == "application/json":
        return response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"
    return response.status_code == 400 and EXPIRED in response.get_data(as_text=True)


def _other(who: Role | None) -> Role:
    return Role.MANAGER if who == Role.ADVISOR else Role.ADVISOR


@pytest.mark.parametrize("token", BAD_TOKENS)
@pytest.mark.parametrize(("route", "who"), PAGE_WRITES, ids=_id)
def test_page_write_with_a_bad_csrf_token_is_refused_and_changes_nothing(
    world: World, page_forms: dict[str, Form], route: surface.Route, who: Role | None, token: str
) -> None:
    data = _form_data(page_forms, route)
    if token == "forged":
        data.add("csrf_token", world.members[who].csrf[:-4] + "AAAA")
    elif token == "another_session":
        data.add("csrf_token", world.members[_other(who)].csrf)
    before = database_state()

    response = world.browser(who).open(route.path(world.ids_for(who)), method=route.method, data=data)

    assert _csrf_failed(response), (response.status_code, response.get_data(as_text=True)[:500])
    assert database_state() == before


@pytest.mark.parametrize(("route", "who"), PAGE_WRITES, ids=_id)
def test_page_write_with_its_own_csrf_token_gets_past_the_check(
    world: World, page_forms: dict[str, Form], route: surface.Route, who: Role | None
) -> None:
    data = _form_data(page_forms, route)
    data.add("csrf_token", world.members[who].csrf)

    response = world.browser(who).open(route.path(world.ids_for(who)), method=route.method, data=data)

    assert response.status_code < 500
    assert not _csrf_failed(response)


@pytest.mark.parametrize(("route", "who"), API_WRITES, ids=_id)
def test_api_write_with_a_session_cookie_needs_the_csrf_header(world: World, route: surface.Route, who: Role) -> None:
    path = route.path(world.ids_for(who))
    before = database_state()

    missing = world.browser(who).open(path, method=route.method, json={})
    forged = world.browser(who).open(path, method=route.method, json={}, headers={"X-CSRFToken": "forged"})
    other = world.members[_other(who)].csrf
    another_session = world.browser(who).open(path, method=route.method, json={}, headers={"X-CSRFToken": other})
    unchanged = database_state() == before
    sent = world.browser(who).open(path, method=route.method, json={}, headers={"X-CSRFToken": world.members[who].csrf})

    assert [_csrf_failed(r) for r in (missing, forged, another_session)] == [True, True, True]
    assert unchanged
    assert sent.status_code < 500
    assert not _csrf_failed(sent)


@pytest.mark.parametrize(("route", "who"), API_WRITES, ids=_id)
def test_api_write_with_a_bearer_token_needs_no_csrf_header(world: World, route: surface.Route, who: Role) -> None:
    response = world.api(who).request(route.method, route.path(world.ids_for(who)), check=False, json={})

    assert response.status_code < 500
    assert not _csrf_failed(response)
