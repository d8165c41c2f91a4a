"""Bad input from outside gets a clear 4xx and changes nothing: ids beyond what the database holds, dates at the
edges, NUL characters, JSON nested thousands deep, huge bodies, CR/LF in redirect targets, one-sided report ranges.
Each of these answered 500 (or ran for tens of seconds) before."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.auth.models import Role
from caseapp.calls.models import Call
from caseapp.extensions import db
from caseapp.ids import MAX_ID
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.api_support import Api, row_counts

HUGE = 99999999999999999999
JUST_OVER = MAX_ID + 1


def _error(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    error: dict[str, Any] = body["error"]
    return error


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/cases/{HUGE}",
        f"/api/v1/cases/{JUST_OVER}",
        f"/api/v1/callers/{HUGE}",
        f"/api/v1/calls/{HUGE}",
        f"/api/v1/callbacks/{JUST_OVER}",
        f"/api/v1/cases/{HUGE}/timeline",
    ],
)
def test_ids_beyond_the_database_range_in_paths_are_not_found(api: Api, path: str) -> None:
    response = api.get(path, check=False)

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/calls", {"advisor": str(HUGE)}, "advisor"),
        ("/api/v1/calls", {"case": str(HUGE)}, "case"),
        ("/api/v1/cases", {"advisor": str(JUST_OVER)}, "advisor"),
        ("/api/v1/callbacks", {"assignee": str(HUGE)}, "assignee"),
        ("/api/v1/callbacks", {"case": str(JUST_OVER)}, "case"),
        ("/api/v1/reports/volume", {"advisor": str(HUGE)}, "advisor"),
    ],
)
def test_ids_beyond_the_range_in_filters_are_field_errors(
    api_as: Any, path: str, query: dict[str, str], field: str
) -> None:
    manager = api_as(Role.MANAGER)

    response = manager.get(path, query_string=query)

    assert response.status_code == 422
    assert list(_error(response)["fields"]) == [field]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/callbacks", {"case_id": HUGE, "due_at": "2030-01-01T10:00:00Z"}, "case_id"),
        ("/api/v1/calls", {"phone": "07811 606 606", "case_id": JUST_OVER}, "case_id"),
        ("/api/v1/notifications/read", {"ids": [1, HUGE]}, "ids.1"),
        ("/api/v1/callbacks", {"case_id": 5.5, "due_at": "2030-01-01T10:00:00Z"}, "case_id"),
    ],
)
def test_ids_beyond_the_range_in_bodies_are_field_errors(api: Api, path: str, body: dict[str, Any], field: str) -> None:
    before = row_counts()

    response = api.post(path, json=body)

    assert response.status_code == 422
    assert field in _error(response)["fields"]
    assert row_counts() == before


def test_a_list_in_a_body_is_bounded(api: Api) -> None:
    response = api.post("/api/v1/notifications/read", json={"ids": list(range(1, 1002))})

    assert response.status_code == 422
    assert "ids" in _error(response)["fields"]


def test_a_body_over_the_size_limit_is_refused_with_413(api: Api) -> None:
    # the defect: 6 MB of three million ids held a worker for 28 s
    body = json.dumps({"ids": list(range(1, 3_000_000))})

    response = api.post("/api/v1/notifications/read", data=body, content_type="application/json", check=False)

    assert response.status_code == 413
    assert "too large" in _error(response)["message"]


@pytest.mark.parametrize("depth", [25, 100_000])
def test_json_nested_too_deep_is_a_clear_400(api: Api, depth: int) -> None:
    body = '{"notes": ' + "[" * depth + "]" * depth + "}"

    response = api.post("/api/v1/calls", data=body, content_type="application/json")

    assert response.status_code == 400
    assert "nested more than 20 levels" in _error(response)["message"]


def test_malformed_json_is_a_clear_400(api: Api) -> None:
    response = api.post("/api/v1/calls", data=b'{"phone": "07811 \xff', content_type="application/json")

    assert response.status_code == 400
    assert _error(response)["message"] == "The request body is not valid JSON."


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("started_at", "0001-01-01T00:00:00+23:00"),
        ("started_at", "1999-12-31T23:59:59Z"),
        ("ended_at", "9999-12-31T23:59:59+00:00"),
    ],
)
def test_times_outside_the_sane_window_are_field_errors(api: Api, field: str, value: str) -> None:
    before = row_counts()

    response = api.post("/api/v1/calls", json={"phone": "07811 606 606", field: value})

    assert response.status_code == 422
    assert _error(response)["fields"][field] == ["Give a time from 1 January 2000 up to two years from now."]
    assert row_counts() == before


@pytest.mark.parametrize(
    "query", [{"to": "9999-12-31"}, {"from": "0001-01-01"}, {"from": "1900-01-01"}, {"to": "2000-01-01T00:00:00+23:59"}]
)
def test_report_and_list_dates_at_the_edges_are_field_errors(api_as: Any, query: dict[str, str]) -> None:
    manager = api_as(Role.MANAGER)

    for path in ("/api/v1/calls", "/api/v1/reports/volume"):
        response = manager.get(path, query_string=query)
        assert response.status_code == 422, (path, response.get_json())
        assert set(_error(response)["fields"]) <= {"from", "to"}


def test_a_one_sided_report_range_cannot_reach_past_the_limit(api_as: Any) -> None:
    manager = api_as(Role.MANAGER)

    response = manager.get("/api/v1/reports/volume", query_string={"from": "2000-01-01"})

    assert response.status_code == 422
    assert "from" in _error(response)["fields"]


def test_dashboard_with_only_a_from_date_far_back_says_so_instead_of_running_for_ever(
    client: FlaskClient, login_as: Any
) -> None:
    # the defect: /reports/?from=1900-01-01 ran for 44 s and returned 11 MB, bypassing the range limit
    login_as(Role.MANAGER)

    for value in ("1900-01-01", "2001-01-01"):
        response = client.get("/reports/", query_string={"from": value})
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "Choose at most 1100 days." in page or "from 1 January 2000" in page
        assert len(page) < 2_000_000  # the default week, not twenty-five years of rows


def test_nul_characters_in_api_text_are_field_errors(api: Api) -> None:
    before = row_counts()

    response = api.post("/api/v1/calls", json={"phone": "07811 606 606", "notes": "before\x00after", "tags": ["a\x00"]})

    assert response.status_code == 422
    assert set(_error(response)["fields"]) == {"notes", "tags.0"}
    assert row_counts() == before


def test_nul_characters_in_api_query_strings_are_field_errors(api: Api) -> None:
    response = api.get("/api/v1/callers", query_string={"phone": "0781\x001"})

    assert response.status_code == 422
    assert list(_error(response)["fields"]) == ["phone"]


def test_nul_characters_in_page_forms_are_dropped_and_the_rest_saved(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    token = csrf_token_from(client.get("/calls/new").get_data(as_text=True))
    form = {"csrf_token": token, "phone": "07811 606 909", "notes": "Worried\x00 about her son", "relationship": "self"}

    response = client.post("/calls/new", data=form)

    assert response.status_code == 302
    notes = db.session.scalar(sa.select(Call.notes).order_by(Call.id.desc()).limit(1))
    assert notes == "Worried about her son"


@pytest.mark.parametrize("path", ["/search?q=ab%00cd", "/calls/lookup?phone=0781%001", "/static/app%00.css"])
def test_nul_characters_in_page_urls_do_not_break_pages(client: FlaskClient, login_as: Any, path: str) -> None:
    login_as(Role.ADVISOR)

    response = client.get(path)

    assert response.status_code in (200, 404)


def test_an_unusual_digit_in_the_case_id_of_log_a_call_is_ignored(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)

    response = client.get("/calls/new", query_string={"case_id": "²"})

    assert response.status_code == 200
    assert "Log a call" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", [f"/cases/{HUGE}", f"/callbacks/{HUGE}", "/cases/?advisor=99999999999999999999&page=99999999999999999999"]
)
def test_huge_numbers_in_page_urls_are_not_server_errors(client: FlaskClient, login_as: Any, path: str) -> None:
    login_as(Role.MANAGER)

    assert client.get(path).status_code in (200, 404)


@pytest.mark.parametrize("target", ["/cases/\r\nSet-Cookie: x=1", "/\nhome", "/cases/1\t", "//evil.example/"])
def test_sign_in_with_a_next_target_holding_control_characters_lands_at_home(client: FlaskClient, target: str) -> None:
    # the defect: CR/LF in `next` answered 500 after the session had already been set
    user = factories.make_user(role=Role.ADVISOR)
    db.session.commit()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))

    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": factories.DEFAULT_PASSWORD, "csrf_token": token},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200  # signed in


# --- text that is not UTF-8, bodies nobody reads ---------------------------------------------------------------------


@pytest.mark.parametrize("query", ["phone=\xff\xfe", "phone=%FF%FE"], ids=["raw", "escaped"])
def test_a_query_string_that_is_not_utf8_is_a_400_naming_the_parameter(api: Api, query: str) -> None:
    # the defect: raw bytes answered 500 (Werkzeug could not decode the query string); escaped ones were read as the
    # literal text "%FF%FE"
    response = api.get("/api/v1/callers", check=False, environ_overrides={"QUERY_STRING": query})

    assert response.status_code == 400
    assert _error(response)["code"] == "invalid_encoding"
    assert list(_error(response)["fields"]) == ["phone"]


def test_a_page_form_field_that_is_not_utf8_saves_nothing(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()
    token = csrf_token_from(client.get(f"/cases/{case.id}").get_data(as_text=True))
    before = row_counts()

    response = client.post(
        f"/cases/{case.id}/notes",
        data=f"csrf_token={token}&body=%FF%FE",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert row_counts() == before


def test_a_body_over_the_size_limit_is_refused_even_where_nothing_reads_it(api: Api) -> None:
    # the defect: POST /shifts/start takes no body, so a 2 MB one was accepted without being looked at
    response = api.post(
        "/api/v1/shifts/start", data=b"x" * (2 * 1024 * 1024), content_type="application/json", check=False
    )

    assert response.status_code == 413
    assert _error(response)["code"] == "request_entity_too_large"
