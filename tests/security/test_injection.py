"""SQL injection: every query parameter of every GET operation in the OpenAPI document, and every filter of every
page (the names its GET forms and its links to itself send, and `page`), given strings that change a query when
pasted into SQL or widen a LIKE pattern, answer exactly as for an honest value that matches nothing: never a server
error, never more records."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from caseapp.auth.access import required_role
from caseapp.auth.models import Role
from tests.html import forms_on
from tests.security import crawl, surface
from tests.security.conftest import World, joined_session
from tests.security.payloads import NO_MATCH, SQL_INJECTIONS

PAGE_GETS = [r for r in surface.page_routes() if r.method == "GET" and r.endpoint not in crawl.NOT_CRAWLED]
#: links to one record's page: what a list shows
_RECORD_LINK = re.compile(r'href="(/(?:cases|callbacks|assessments|admin/users)/\d+)"')


def _asker(endpoint: str) -> Role | None:
    """Who asks: the least role the endpoint admits (public ones: nobody), so nothing is hidden by the role."""
    required = required_role(surface.url_app(), endpoint)
    return None if required is None else required


def _api_result(response: TestResponse) -> Any:
    """What an API answer says: its status and, for a list, which records; for anything else the whole body."""
    if response.mimetype != "application/json":
        return response.status_code, response.get_data(as_text=True)
    body = response.get_json()
    if response.status_code == 200 and isinstance(body, dict) and "items" in body:
        return 200, [item.get("id", item) for item in body["items"]]
    if response.status_code >= 400:
        return response.status_code, sorted(body["error"]["fields"])
    return response.status_code, body


def _page_result(response: TestResponse) -> Any:
    """What a page says: its status, the records it links to, and how many table rows it has."""
    page = response.get_data(as_text=True)
    return response.status_code, sorted(set(_RECORD_LINK.findall(page))), page.count("<tr")


@pytest.mark.parametrize(
    ("operation", "name"), list(surface.query_parameters()), ids=[f"{op} {n}" for op, n in surface.query_parameters()]
)
def test_api_query_parameter_treats_sql_as_an_ordinary_value(
    world: World, operation: surface.Operation, name: str
) -> None:
    [route] = [r for r in surface.api_routes() if (r.openapi_path, r.method) == (operation.path, operation.method)]
    who = _asker(route.endpoint) or Role.ADVISOR
    api, url = world.api(who), operation.url(world.ids_for(who))
    honest = _api_result(api.get(url, query_string={name: NO_MATCH}, check=False))

    answers = {text: api.get(url, query_string={name: text}, check=False) for text in SQL_INJECTIONS}

    assert {text: r.status_code for text, r in answers.items() if r.status_code >= 500} == {}
    assert {text: _api_result(r) for text, r in answers.items() if _api_result(r) != honest} == {}, honest


@pytest.fixture(scope="module")
def page_filters(app: Flask, world: World, world_connection: sa.Connection) -> dict[str, set[str]]:
    """For each page: the names its GET forms send to it, and those its links back to it carry, plus `page`."""
    filters: dict[str, set[str]] = {}
    with joined_session(app, world_connection):
        for route in PAGE_GETS:
            url = route.path(world.ids_for(_asker(route.endpoint)))
            response = world.browser(_asker(route.endpoint)).get(url)
            names = {"page"}
            if response.mimetype == "text/html":
                page = response.get_data(as_text=True)
                for form in forms_on(page, url):
                    if form.method == "GET" and crawl.endpoint_of(app, form.path) == route.endpoint:
                        names |= {f.name for f in form.fields if f.kind not in ("submit", "button")}
                for link in crawl.links(page, url, app):
                    if crawl.endpoint_of(app, link) == route.endpoint:
                        names |= crawl.query_names(link)
            filters[route.endpoint] = names
    return filters


@pytest.mark.parametrize("route", PAGE_GETS, ids=str)
def test_page_filters_treat_sql_as_an_ordinary_value(
    world: World, page_filters: dict[str, set[str]], route: surface.Route
) -> None:
    """All of a page's filters at once (pages ignore a value they cannot use, so one does not hide another); when an
    injection changes the result, each filter alone says which."""
    who = _asker(route.endpoint)
    browser, url = world.browser(who), route.path(world.ids_for(who))
    names = sorted(page_filters[route.endpoint])

    def result(text: str, only: str | None = None) -> Any:
        response = browser.get(url, query_string={name: text for name in names if only in (None, name)})
        assert response.status_code < 500, (only, text, response.status_code)
        return _page_result(response)

    honest = result(NO_MATCH)
    wider = {
        f"{name}={text}": result(text, name)
        for text in SQL_INJECTIONS
        if result(text) != honest
        for name in names
        if result(text, name) != result(NO_MATCH, name)
    }

    assert wider == {}, honest


def test_the_comparison_sees_records_a_filter_lets_through(world: World) -> None:
    """The oracle is not blind: an honest search and an unfiltered list show records; the injections show none."""
    browser = world.browser(Role.MANAGER)
    api = world.api(Role.MANAGER)

    by_name = _page_result(browser.get("/search", query_string={"q": "Morgan"}))
    injected = _page_result(browser.get("/search", query_string={"q": "' OR 1=1 --"}))
    listed = _api_result(api.get("/api/v1/cases"))

    assert by_name[1] == [f"/cases/{world.ids['case_id']}"]
    assert injected[1] == []
    assert listed[1]
