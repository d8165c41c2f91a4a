"""CR/LF and off-site targets: every redirect-target parameter the code reads (the names it passes to `safe_next`),
sent to every page of the URL map in the query string and in the form with CR/LF, encoded CR/LF, protocol-relative,
absolute, backslashed and javascript: targets, never sends anyone off the site nor adds a header. Header values
built from the request (X-Request-ID, the CSV exports' Content-Disposition) never carry what a client sent."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

import caseapp
from caseapp.auth.access import required_role
from caseapp.auth.models import Role
from tests import factories
from tests.html import Form
from tests.security import crawl, surface
from tests.security.conftest import World
from tests.security.payloads import HEADER_BREAKS, REDIRECT_ESCAPES, example_value

PAGES = [r for r in surface.page_routes() if r.endpoint not in crawl.NOT_CRAWLED]
#: the API's exports: operations whose success answer the document describes as CSV
EXPORTS = [
    op
    for op in surface.operations()
    if op.method == "GET"
    and any("text/csv" in (r.get("content") or {}) for code, r in op.spec["responses"].items() if code[0] == "2")
]
assert EXPORTS, "the document describes no CSV export: the export tests below would test nothing"
_SAFE_NEXT = re.compile(r"safe_next\(\s*request\.(?:args|form)\.get\(\s*\"(\w+)\"")
_OUR_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")
#: an on-site target every signed-in person may open
HONEST_TARGET = "/account"


def redirect_target_names() -> list[str]:
    """The request values the code uses as redirect targets (each goes through safe_next)."""
    package = Path(caseapp.__file__).parent
    return sorted({name for path in package.rglob("*.py") for name in _SAFE_NEXT.findall(path.read_text())})


def _headers_problems(response: TestResponse) -> list[str]:
    """A line break in a header, or a header a client added (a Location may hold the text of one, percent-encoded:
    that is a path on this site)."""
    headers = list(response.headers.items())
    problems = [f"{name}: {value!r}" for name, value in headers if "\r" in value or "\n" in value]
    return problems + [f"{n}: {v}" for n, v in headers if n != "Location" and "injected" in f"{n}:{v}".lower()]


def _off_site(location: str, server_name: str) -> bool:
    parts = urlsplit(location)
    return (
        not location.startswith("/")
        or location.startswith("//")
        or "\\" in location
        or parts.netloc not in ("", server_name)
        or parts.scheme not in ("", "http", "https")
    )


def test_the_code_reads_a_redirect_target() -> None:
    """The tests below are not vacuous: the app does take redirect targets (sign-in, shift and notification forms)."""
    assert "next" in redirect_target_names()


@pytest.mark.parametrize("route", PAGES, ids=str)
def test_redirect_targets_never_leave_the_site_nor_add_a_header(
    world: World, page_forms: dict[str, Form], route: surface.Route
) -> None:
    """A route that follows an honest target (it redirects there) gets every hostile one; one that does not follow
    it takes no target."""
    follows = _send(world, page_forms, route, HONEST_TARGET).headers.get("Location") == HONEST_TARGET
    problems = []
    for target in REDIRECT_ESCAPES if follows else ():
        response = _send(world, page_forms, route, target)
        problems += [f"{target!r}: {p}" for p in _headers_problems(response)]
        location = response.headers.get("Location")
        if location is not None and _off_site(location, world.app.config["SERVER_NAME"]):
            problems.append(f"{target!r} → Location {location!r}")

    assert problems == []


def test_some_routes_follow_a_redirect_target(world: World, page_forms: dict[str, Form]) -> None:
    """The test above is not vacuous: sign-in and the shift and notification forms go where they are told."""
    following = {
        route.endpoint
        for route in PAGES
        if route.is_unsafe and _send(world, page_forms, route, HONEST_TARGET).headers.get("Location") == HONEST_TARGET
    }

    assert {"auth.login", "shifts.start", "notifications.mark_read"} <= following


def _send(world: World, page_forms: dict[str, Form], route: surface.Route, target: str) -> TestResponse:
    """`route` with `target` in every redirect-target name, in the query string and (a write) in its form."""
    who = required_role(world.app, route.endpoint)
    names = redirect_target_names()
    path, query = route.path(world.ids_for(who)), dict.fromkeys(names, target)
    if route.method == "GET":
        response = world.browser(who).get(path, query_string=query)
    else:
        data = _form(world, page_forms.get(route.endpoint), who)
        for name in names:
            data[name] = target
        response = world.browser(who).open(path, method=route.method, data=data, query_string=query)
    assert response.status_code < 500, (target, response.status_code)
    return response


def _form(world: World, form: Form | None, who: Role | None) -> MultiDict[str, str]:
    """What the page's form sends untouched, with the sender's CSRF token; a sign-in form gets real credentials (a new
    account, so the world's sessions are untouched), so that it does redirect."""
    data = MultiDict([(k, v) for k, v in (form.defaults() if form else []) if k != "csrf_token"])
    data["csrf_token"] = world.members[who].csrf
    if form is not None and {"email", "password"} <= {f.name for f in form.fields}:
        data["email"] = factories.make_user().email
        data["password"] = factories.DEFAULT_PASSWORD
    return data


def test_a_sign_in_with_a_hostile_target_lands_on_the_site(world: World) -> None:
    """Control for the matrix above: sign-in does redirect (the hostile targets are answered with the home page)."""
    user = factories.make_user()
    browser = world.browser(None)
    data = {"email": user.email, "password": factories.DEFAULT_PASSWORD, "csrf_token": world.members[None].csrf}

    response = browser.post("/login", data=data, query_string={"next": REDIRECT_ESCAPES[0]})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("route", surface.routes(), ids=str)
def test_the_request_id_header_is_always_the_apps_own(world: World, route: surface.Route) -> None:
    who = required_role(world.app, route.endpoint)
    path = route.path(world.ids_for(who))
    answers = []
    for sent in (HEADER_BREAKS[0], "client-chosen-id-0001"):
        forged = {"HTTP_X_REQUEST_ID": sent}
        if route.is_api:
            answers.append(world.api(who).request(route.method, path, check=False, environ_overrides=forged))
        else:
            answers.append(world.browser(who).open(path, method=route.method, environ_overrides=forged))

    # a signed webhook without its secret set answers 503 not_configured by design (caseapp/telephony/api.py)
    allowed = {503} if route.is_signed else set()
    assert all(r.status_code < 500 or r.status_code in allowed for r in answers), [r.status_code for r in answers]
    assert [_headers_problems(r) for r in answers] == [[]] * len(answers)
    assert all(_OUR_REQUEST_ID.match(r.headers["X-Request-ID"]) for r in answers), [
        r.headers["X-Request-ID"] for r in answers
    ]


@pytest.mark.parametrize("operation", EXPORTS, ids=str)
def test_export_headers_never_carry_what_the_client_sent(world: World, operation: surface.Operation) -> None:
    api, url = world.api(Role.ADMIN), operation.url(world.ids)  # an admin may open every export
    parameters = operation.query_parameters
    required = {p["name"]: example_value(p["name"], p["schema"], world.ids) for p in parameters if p.get("required")}
    answers = {
        (p["name"], sent): api.get(url, query_string={**required, p["name"]: sent}, check=False)
        for p in parameters
        for sent in HEADER_BREAKS
    }
    plain = api.get(url, query_string=required, check=False)

    assert plain.status_code == 200
    assert re.fullmatch(r'attachment; filename="[\w.-]+"', plain.headers["Content-Disposition"])
    assert {key: r.status_code for key, r in answers.items() if r.status_code >= 500} == {}
    assert {key: _headers_problems(r) for key, r in answers.items() if _headers_problems(r)} == {}
    assert {
        key: r.headers["Content-Disposition"]
        for key, r in answers.items()
        if "Content-Disposition" in r.headers
        and r.headers["Content-Disposition"] != plain.headers["Content-Disposition"]
    } == {}
