"""Properties of keyset pagination on PostgreSQL, through the JSON API: following `next` from the first page returns
every row exactly once and in order, for any page size, with many rows sharing a timestamp, and while rows are being
added; and no cursor makes a list answer anything but 200 or 422.

Each example runs in its own rolled-back transaction (rolled_back_session), so examples never see each other's rows.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from hypothesis import example, given
from hypothesis import strategies as st

from caseapp.auth.models import Role
from caseapp.callbacks.models import Callback
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.timeutil import now_utc
from tests import factories
from tests.conftest import rolled_back_session
from tests.hypothesis_profiles import examples
from tests.integration.api_support import Api, ResponseChecker

#: offsets from a base time, few and close together so that many rows share a timestamp (to the microsecond)
OFFSETS = st.sampled_from([timedelta(0), timedelta(microseconds=1), timedelta(minutes=30), timedelta(days=1)])
row_times = st.lists(OFFSETS, max_size=24)
page_sizes = st.integers(min_value=1, max_value=8) | st.just(200)


@contextmanager
def advisor_api(app: Flask, checker: ResponseChecker) -> Iterator[tuple[Api, Case]]:
    """In a transaction of its own: an advisor's API client and a case whose caller agreed to callbacks."""
    with rolled_back_session(app):
        user = factories.make_user(role=Role.ADVISOR)
        _, token = factories.make_token(user)
        case = factories.make_case(factories.make_caller(consent_callback=True), actor=user)
        db.session.commit()
        yield Api(app.test_client(), user, token, checker), case


def add_callback(case: Case, due_at: datetime) -> Callback:
    callback = factories.make_callback(case)
    callback.due_at = due_at  # booked for later, then moved to the tied time
    db.session.commit()
    return callback


def add_call(case: Case, started_at: datetime) -> Call:
    call = factories.make_call(case, started_at=started_at)
    db.session.commit()
    return call


def walk(api: Api, path: str, limit: int, between_pages: Any = None) -> list[list[dict[str, Any]]]:
    """Every page of a list, following `next` (calling between_pages() after each page)."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while len(pages) < 100:
        query = f"{path}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = api.get(query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        pages.append(body["items"])
        cursor = body["next"]
        if cursor is None:
            return pages
        if between_pages is not None:
            between_pages()
    raise AssertionError("the walk did not end")


def assert_pages_full_but_the_last(pages: list[list[dict[str, Any]]], limit: int, total: int) -> None:
    assert all(len(page) == limit for page in pages[:-1])
    assert len(pages) == max(1, -(-total // limit))  # no empty page after a full one


@examples(20)
@given(row_times, page_sizes)
@example([timedelta(0)] * 7, 3)  # all at the same microsecond, a page boundary inside the tie
@example([timedelta(0), timedelta(microseconds=1)] * 3, 1)
def test_callbacks_list_walk_returns_every_callback_once_soonest_first(
    app: Flask, response_checker: ResponseChecker, offsets: list[timedelta], limit: int
) -> None:
    with advisor_api(app, response_checker) as (api, case):
        base = now_utc().replace(microsecond=500_000) + timedelta(days=1)
        callbacks = [add_callback(case, base + offset) for offset in offsets]

        pages = walk(api, f"/api/v1/callbacks?case={case.id}", limit)

        expected = [c.id for c in sorted(callbacks, key=lambda c: (c.due_at, c.id))]
        assert [item["id"] for page in pages for item in page] == expected
        assert_pages_full_but_the_last(pages, limit, len(callbacks))


@examples(20)
@given(row_times, page_sizes)
@example([timedelta(0)] * 7, 3)
def test_calls_list_walk_returns_every_call_once_newest_first(
    app: Flask, response_checker: ResponseChecker, offsets: list[timedelta], limit: int
) -> None:
    with advisor_api(app, response_checker) as (api, case):
        base = now_utc().replace(microsecond=250_000) - timedelta(days=2)
        calls = [add_call(case, base + offset) for offset in offsets]

        pages = walk(api, f"/api/v1/calls?case={case.id}", limit)

        expected = [c.id for c in sorted(calls, key=lambda c: (c.started_at, c.id), reverse=True)]
        assert [item["id"] for page in pages for item in page] == expected
        assert_pages_full_but_the_last(pages, limit, len(calls))


@examples(20)
@given(row_times, page_sizes, st.lists(OFFSETS, min_size=1, max_size=30))
def test_callbacks_list_walk_is_stable_while_callbacks_are_booked(
    app: Flask, response_checker: ResponseChecker, offsets: list[timedelta], limit: int, added: list[timedelta]
) -> None:
    """A row booked during the walk is shown once or (when it sorts before the page reached) not at all; every row
    that was there at the start is shown exactly once; and the walk stays in order."""
    with advisor_api(app, response_checker) as (api, case):
        base = now_utc().replace(microsecond=0) + timedelta(days=1)
        original = [add_callback(case, base + offset) for offset in offsets]
        to_add = iter(added)

        def book_one() -> None:
            offset = next(to_add, None)
            if offset is not None:
                add_callback(case, base + offset)

        pages = walk(api, f"/api/v1/callbacks?case={case.id}", limit, between_pages=book_one)

        shown = [(datetime.fromisoformat(item["due_at"]), item["id"]) for page in pages for item in page]
        ids = [callback_id for _, callback_id in shown]
        assert len(ids) == len(set(ids)), "a callback was shown twice"
        assert {c.id for c in original} <= set(ids), "a callback was skipped"
        assert shown == sorted(shown)


def forged(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


cursors = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60),
    st.tuples(st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat), st.integers()).map(forged),
    st.lists(st.integers() | st.text(max_size=8) | st.none(), max_size=3).map(forged),
)


@examples(30)
@given(st.sampled_from(["/api/v1/calls", "/api/v1/callbacks", "/api/v1/cases"]), cursors)
@example("/api/v1/calls", base64.urlsafe_b64encode(b"[" * 100_000).decode())  # deeper than the JSON parser goes
@example("/api/v1/callbacks", forged(["9999-12-31T23:00:00-05:00", 1]))  # the year 10000 in UTC
@example("/api/v1/cases", forged(["0001-01-01T00:30:00+01:00", 1]))  # the year 0 in UTC
@example("/api/v1/calls", forged(["2027-10-31T01:30:00+00:00", 2**63]))  # beyond bigint
def test_list_endpoints_answer_any_cursor_with_a_page_or_a_422(
    app: Flask, response_checker: ResponseChecker, path: str, cursor: str
) -> None:
    with advisor_api(app, response_checker) as (api, _):
        response = api.get(path, query_string={"cursor": cursor})

        assert response.status_code in (200, 422), response.get_json()
        if response.status_code == 422:
            assert response.get_json()["error"]["fields"] == {"cursor": [response.get_json()["error"]["message"]]}
