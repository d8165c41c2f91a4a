"""XSS: markup with a unique marker goes into every free-text field the OpenAPI document describes (type string with
no enum, format or pattern; strings in arrays; the keys and values of open objects such as a draft) in otherwise
valid requests (a field the API refuses is sent alone, to show it is refused by name), and into every text field
of every page form. Then every page that could show those records (the pages of each record written, the lists,
search, the log-a-call banner, and the pages they link to) is opened as nobody and as each role: the markup never
appears unescaped. The JSON API answers JSON for the same records, never HTML. Every query-string value the app
reads, and a path, are shown escaped too."""

from __future__ import annotations

import html
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from caseapp.auth.access import required_role
from caseapp.auth.models import Role
from tests.html import Form, forms_on
from tests.security import crawl, surface
from tests.security.conftest import WHO, World, joined_session, page_urls, who_id
from tests.security.payloads import MARKER_PREFIX, Markup, example_body, markup, unescaped

#: open objects (a draft's fields) keep keys of at most 64 characters
OPEN_KEY_LENGTH = 64


@dataclass
class Written:
    """One payload sent: where to, and what came back."""

    payload: Markup
    where: str
    status: int
    fields: dict[str, Any] = field(default_factory=dict)  # a refusal's per-field messages
    problems: list[str] = field(default_factory=list)  # raw markup found in the response itself


@dataclass
class Injection:
    written: list[Written]
    #: pages to open afterwards: those of every record written, and where the forms went
    urls: set[str]
    api_urls: set[str]

    def stored(self) -> list[Written]:
        return [w for w in self.written if w.status < 400]


def _collection_id(path: str) -> str:
    """The id name of what an operation makes: /api/v1/calls → call_id, /cases/{case_id}/notes → note_id."""
    return path.rstrip("/").rsplit("/", 1)[-1].removesuffix("s") + "_id"


def _harvest(operation: surface.Operation, body: Any, ids: dict[str, Any]) -> dict[str, Any]:
    """The ids of the records a response names (its own id under the name of its collection)."""
    found = dict(ids)
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, int) and (key == "id" or key.endswith("_id")):
                found[_collection_id(operation.path) if key == "id" else key] = value
    return found


def _endpoint(operation: surface.Operation) -> str:
    [route] = [r for r in surface.api_routes() if (r.openapi_path, r.method) == (operation.path, operation.method)]
    return route.endpoint


def _field_names() -> set[str]:
    return {f.name for f in surface.free_text_fields()}


def _max_lengths() -> dict[str, int]:
    """The shortest maxLength any body schema gives a field of this name (page forms post the same names)."""
    lengths: dict[str, int] = {}
    for text_field in surface.free_text_fields():
        if text_field.max_length is not None:
            lengths[text_field.name] = min(lengths.get(text_field.name, text_field.max_length), text_field.max_length)
    return lengths


@dataclass(frozen=True)
class Value:
    """A payload for one field of a body (a string, a string in an array, or a key/value of an open object)."""

    key: str  # the body's field
    name: str  # what the test calls it: the field, or "field.key" inside an open object
    max_length: int | None
    in_array: bool = False
    as_key: bool = False
    payload: Markup = field(default_factory=markup)

    def fresh(self) -> Value:
        """The same field with a new marker (a second request must not be mistaken for the first)."""
        return replace(self, payload=markup(self.max_length))


def _values(operation: surface.Operation) -> list[Value]:
    """A fresh payload for every free-text field of `operation`, and for the keys and values of its open objects."""
    values = [
        Value(f.name, f.name, f.max_length, in_array=f.in_array)
        for f in surface.free_text_fields()
        if f.operation == operation
    ]
    for name, prop in sorted((operation.body_schema or {}).get("properties", {}).items()):
        prop = surface.resolve(prop)
        if prop.get("type") == "object" and "additionalProperties" in prop:
            values += [Value(name, f"{name}.{key}", None) for key in sorted(_field_names())]
            values.append(Value(name, f"{name}.<key>", OPEN_KEY_LENGTH, as_key=True))
    return [value.fresh() for value in values]


def _body(base: dict[str, Any], values: list[Value]) -> dict[str, Any]:
    body = dict(base)
    for value in values:
        if value.as_key:
            body.setdefault(value.key, {})[value.payload.text] = "a key holding markup"
        elif value.key != value.name:
            body.setdefault(value.key, {})[value.name.split(".", 1)[1]] = value.payload.text
        else:
            body[value.key] = [value.payload.text] if value.in_array else value.payload.text
    return body


def _send(world: World, operation: surface.Operation, values: list[Value], injection: Injection) -> dict[str, Any]:
    """One request carrying `values` in an otherwise valid body; returns the error's fields (empty when stored)."""
    who = required_role(world.app, _endpoint(operation)) or Role.ADVISOR
    ids = world.ids_for(who)
    api, url = world.api(who), operation.url(ids)
    current = {}
    if operation.method in ("PATCH", "PUT") and "get" in surface.openapi()["paths"][operation.path]:
        current = api.get(url).get_json()  # the version to send
    response = api.request(operation.method, url, json=_body(example_body(operation, ids, current), values))
    answer = response.get_json(silent=True) or {}
    fields: dict[str, Any] = answer.get("error", {}).get("fields", {}) if response.status_code >= 400 else {}
    for value in values:
        written = Written(value.payload, f"{operation} {value.name}", response.status_code, fields)
        if response.mimetype != "application/json":
            written.problems.append(f"answered {response.mimetype}")
        injection.written.append(written)
    harvested = _harvest(operation, answer, ids)
    for route in surface.routes():
        if route.method == "GET" and route.arguments and set(route.arguments) <= set(harvested):
            (injection.api_urls if route.is_api else injection.urls).add(route.path(harvested))
    return fields


def _write_through_the_api(world: World, injection: Injection) -> set[str]:
    """Each operation with all its payloads at once; the fields it refuses are then sent alone (to show each is
    refused by name) and the rest again together, until a request stores them. Returns every field refused (page
    forms post the same names)."""
    refused: set[str] = set()
    # erasing a caller comes last: what is written after it to the same caller would be refused
    for operation in sorted(
        surface.operations_with_body(), key=lambda op: (op.method == "POST", op.path.endswith("/erasure"), str(op))
    ):
        remaining = _values(operation)
        while remaining:
            trial = Injection([], set(), set())
            named = {name.split(".")[0] for name in _send(world, operation, remaining, trial)}
            newly = named & {value.key for value in remaining}
            if not newly:  # stored, or refused for something else (the test shows what)
                injection.written += trial.written
                injection.urls |= trial.urls
                injection.api_urls |= trial.api_urls
                break
            refused |= newly
            for value in remaining:
                if value.key in newly:
                    _send(world, operation, [value.fresh()], injection)
            remaining = [value.fresh() for value in remaining if value.key not in newly]
    return refused


def _write_through_the_pages(
    world: World, page_forms: dict[str, Form], refused: set[str], injection: Injection
) -> None:
    """Each form once with a payload in every text field, except those the API refuses: each of them alone."""
    lengths = _max_lengths()
    for endpoint, form in sorted(page_forms.items()):
        names = form.text_fields()
        together = [n for n in names if n not in refused]
        for group in [[n] for n in names if n in refused] + ([together] if together else []):
            payloads = {name: markup(lengths.get(name)) for name in group}
            who = required_role(world.app, endpoint)
            data = MultiDict([(k, v) for k, v in form.defaults() if k not in payloads and k != "csrf_token"])
            for name, payload in payloads.items():
                data.add(name, payload.text)
            data.add("csrf_token", world.members[who].csrf)
            response = world.browser(who).post(form.action, data=data)
            for name, payload in payloads.items():
                written = Written(payload, f"page {endpoint} {name}", response.status_code)
                if response.mimetype == "text/html":
                    written.problems = [f"{form.action}: {piece}" for piece in unescaped(_text(response), payload)]
                injection.written.append(written)
            location = urlsplit(response.headers.get("Location", ""))
            if location.path and crawl.is_page(world.app, location.path):
                injection.urls.add(location.path + (f"?{location.query}" if location.query else ""))


def _text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


@pytest.fixture(scope="module")
def injection(app: Flask, world: World, world_connection: sa.Connection, page_forms: dict[str, Form]) -> Injection:
    """Every payload written, kept for the module's tests (and rolled back with the module)."""
    injection = Injection([], set(), set())
    with joined_session(app, world_connection, keep=True):
        refused = _write_through_the_api(world, injection)
        _write_through_the_pages(world, page_forms, refused, injection)
    injection.urls.update(page_urls(world, Role.ADMIN))
    injection.urls.add(f"/search?q={MARKER_PREFIX}")  # every caller whose name holds a payload
    injection.urls.add(f"/calls/lookup?phone={world.extra['caller_phone']}")
    return injection


# --- what was written -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text_field", surface.free_text_fields(), ids=str)
def test_every_free_text_field_stores_markup_or_refuses_it_by_name(
    injection: Injection, text_field: surface.TextField
) -> None:
    [written] = [w for w in injection.written if w.where == str(text_field)]

    refused_by_name = written.status == 422 and set(written.fields) <= {text_field.name, f"{text_field.name}.0"}
    assert written.problems == []
    assert written.status < 300 or refused_by_name, (written.status, written.fields)


def test_page_forms_answer_with_what_was_typed_escaped(injection: Injection) -> None:
    sent = [w for w in injection.written if w.where.startswith("page ")]

    assert sent, "no page form has a text field"
    assert [problem for w in sent for problem in w.problems] == []
    assert all(w.status < 500 for w in sent), [(w.where, w.status) for w in sent if w.status >= 500]


# --- where it is shown --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shown(
    app: Flask, world: World, world_connection: sa.Connection, injection: Injection
) -> dict[Role | None, dict[str, str]]:
    """As each person: every page of the records written they may open, and every page those link to (one step):
    url → html."""
    seen: dict[Role | None, dict[str, str]] = {}
    with joined_session(app, world_connection):
        for who in WHO:
            browser, pages = world.browser(who), {}
            to_open = sorted(url for url in injection.urls if crawl.may_open(app, who, url))
            for step in range(2):
                found = []
                for url in to_open:
                    response = browser.get(url)
                    assert response.status_code < 500, (who, url, response.status_code)
                    pages[url] = _text(response)
                    if step == 0 and response.mimetype == "text/html":
                        found += crawl.links(pages[url], url, app)
                to_open = sorted({url for url in found if url not in pages and crawl.may_open(app, who, url)})
            seen[who] = pages
    return seen


@pytest.fixture(scope="module")
def api_answers(
    app: Flask, world: World, world_connection: sa.Connection, injection: Injection
) -> dict[tuple[str, str], TestResponse]:
    """The JSON API's answer for every record written, to an advisor and to a manager."""
    with joined_session(app, world_connection):
        return {
            (who.value, url): world.api(who).get(url, check=False)
            for who in (Role.ADVISOR, Role.MANAGER)
            for url in sorted(injection.api_urls)
        }


@pytest.mark.parametrize("who", WHO, ids=who_id)
def test_pages_show_stored_markup_only_escaped(
    injection: Injection, shown: dict[Role | None, dict[str, str]], who: Role | None
) -> None:
    raw = [
        f"{url}: {piece} (from {w.where})"
        for url, page in shown[who].items()
        for w in injection.written
        for piece in unescaped(page, w.payload)
    ]

    assert shown[who], "no page opened"
    assert raw == [], "\n".join(raw)


def test_every_stored_field_is_shown_on_some_page(
    injection: Injection, shown: dict[Role | None, dict[str, str]], api_answers: dict[tuple[str, str], TestResponse]
) -> None:
    """The check above is not vacuous: of every field whose value the API gives back after storing it, a value is on
    a page (escaped) that did not ask for it in its URL."""
    pages = [page for by_url in shown.values() for url, page in by_url.items() if MARKER_PREFIX not in url]
    kept = " ".join(_text(answer) for answer in api_answers.values())
    fields: dict[str, list[Written]] = {}
    for written in injection.stored():
        if written.payload.marker in kept:
            fields.setdefault(written.where.rsplit(" ", 1)[1].split(".")[0], []).append(written)

    never_shown = sorted(
        name
        for name, writes in fields.items()
        if not any(html.escape(w.payload.marker) in page for w in writes for page in pages)
    )

    assert fields
    assert never_shown == [], never_shown


def test_the_api_answers_json_for_records_holding_markup(api_answers: dict[tuple[str, str], TestResponse]) -> None:
    answers = {
        key: (r.status_code, r.mimetype, r.headers.get("X-Content-Type-Options")) for key, r in api_answers.items()
    }

    assert answers
    assert {answer for answer in answers.values() if answer != (200, "application/json", "nosniff")} == set()


# --- reflected -----------------------------------------------------------------------------------------------------

PAGE_GETS = [r for r in surface.page_routes() if r.method == "GET" and r.endpoint not in crawl.NOT_CRAWLED]


@pytest.fixture(scope="module")
def query_names(
    app: Flask, world: World, world_connection: sa.Connection, shown: dict[Role | None, dict[str, str]]
) -> list[str]:
    """Every query-string name the app reads: the OpenAPI document's, those the pages' links, GET forms and the
    sign-in redirect use, and those the code reads by name."""
    names = {name for _, name in surface.query_parameters()} | surface.query_names_read()
    for pages in shown.values():
        for url, page in pages.items():
            names |= crawl.query_names(url)
            for link in crawl.links(page, url, app):
                names |= crawl.query_names(link)
            for form in forms_on(page, url):
                if form.method == "GET":
                    names |= {f.name for f in form.fields}
    with joined_session(app, world_connection):
        names |= crawl.query_names(world.browser(None).get("/").headers["Location"])
    return sorted(names)


@pytest.mark.parametrize("route", PAGE_GETS, ids=str)
def test_query_string_values_are_shown_escaped(world: World, query_names: list[str], route: surface.Route) -> None:
    who = Role.ADMIN if required_role(world.app, route.endpoint) else None
    payloads = {name: markup() for name in query_names}

    response = world.browser(who).get(
        route.path(world.ids_for(who)), query_string={n: p.text for n, p in payloads.items()}
    )

    page = _text(response)
    assert response.status_code < 500, page[:2000]
    assert [f"{name}: {piece}" for name, payload in payloads.items() for piece in unescaped(page, payload)] == []


@pytest.mark.parametrize("prefix", ["/", "/cases/", "/api/v1/", "/static/"])
def test_a_path_holding_markup_is_not_found_and_shown_escaped(world: World, prefix: str) -> None:
    payload = markup()

    response = world.browser(Role.ADVISOR).get(prefix + payload.text)

    assert response.status_code == 404
    assert unescaped(_text(response), payload) == []
