"""The stale cases for managers: the page /cases/stale and GET /api/v1/cases/stale (who may see them, what they show,
paging, `days`, the audit of every read, and the same number of statements however long the list)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.callers.phones import display as display_phone
from caseapp.cases import stale
from caseapp.cases import views as case_views
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason, RiskLevel
from caseapp.timeutil import now_utc
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.api_support import Api, audit_events
from tests.statements import counted_queries


@pytest.fixture(autouse=True)
def _only_these_cases(db_session: Any) -> None:
    """The lists show every stale case in the database: each test starts with none open."""
    db.session.execute(sa.update(Case).values(status=CaseStatus.CLOSED, close_reason=CloseReason.NO_FURTHER_ACTION))


def stale_case(days_ago: int, *, contacted: bool = True, name: str | None = "Jo Bloggs", **overrides: Any) -> Case:
    """An open case opened 40 days ago; reached `days_ago` days ago (or opened then, when never reached)."""
    now = now_utc()
    if contacted:
        case = factories.make_case(factories.make_caller(name=name), created_at=now - timedelta(days=40), **overrides)
        factories.make_call(case, started_at=now - timedelta(days=days_ago))
    else:
        case = factories.make_case(
            factories.make_caller(name=name), created_at=now - timedelta(days=days_ago), **overrides
        )
    db.session.commit()
    return case


def page(client: FlaskClient, query: str = "", status: int = 200) -> str:
    response = client.get(f"/cases/stale{query}")
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def references_in(html: str) -> list[str]:
    return re.findall(r">(CA-\d{4}-\d{6})</a></td>", html)


# --- the page ------------------------------------------------------------------------------------------------------


def test_a_manager_sees_each_stale_case_with_what_to_do_next(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    manager = login_as(Role.MANAGER)
    advisor = factories.make_user(role=Role.ADVISOR, full_name="Alex Advisor")
    reached = stale_case(20, assigned_advisor_id=advisor.id, risk_level=RiskLevel.HIGH)
    never = stale_case(30, contacted=False, name=None, assigned_advisor_id=None)
    fresh = stale_case(2)

    html = page(client)

    assert references_in(html) == [never.reference, reached.reference]  # 30 days before 20
    assert fresh.reference not in html
    row = html[html.index(reached.reference) : html.index("</tr>", html.index(reached.reference))]
    assert "<td>Jo</td>" in row
    assert "Bloggs" not in html
    phone = reached.caller.phone_e164
    assert phone is not None
    assert phone not in html
    assert display_phone(phone) not in html
    assert "High" in row
    assert "Alex Advisor" in row
    assert "<td>20</td>" in row
    assert f'href="/cases/{reached.id}"' in row
    assert f'href="/cases/{reached.id}/callbacks/new"' in row
    assert f'action="/cases/{reached.id}/update"' in row
    never_row = html[html.index(never.reference) : html.index("</tr>", html.index(never.reference))]
    assert all(
        text in never_row for text in ("<td>Anonymous</td>", '<td class="when">Never</td>', "<td>30</td>", "Unassigned")
    )
    [event] = audit_events("case.listed", actor_id=manager.id)
    assert event.detail == {"ids": [never.id, reached.id]}


def test_the_last_contact_is_shown_in_uk_time(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as(Role.MANAGER)
    case = stale_case(20)
    db.session.refresh(case)
    assert case.last_contact_at is not None

    html = page(client)

    assert case.last_contact_at.astimezone(stale.to_local(now_utc()).tzinfo).strftime("%d %b %Y %H:%M") in html
    assert re.search(r"\d{2}:\d{2} (GMT|BST)</td>", html)


def test_an_advisor_may_not_see_the_page_and_an_admin_may(
    client: FlaskClient, login_as: Callable[..., User], client_as: Callable[..., tuple[FlaskClient, User]]
) -> None:
    login_as(Role.ADVISOR)
    stale_case(20)
    admin_client, _ = client_as(Role.ADMIN)

    assert client.get("/cases/stale").status_code == 403
    assert admin_client.get("/cases/stale").status_code == 200


def test_days_can_be_chosen_and_a_number_out_of_range_is_explained(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.MANAGER)
    twenty, thirty = stale_case(20), stale_case(30)

    assert references_in(page(client, "?days=25")) == [thirty.reference]
    assert references_in(page(client, "?days=7")) == [thirty.reference, twenty.reference]
    refused = page(client, "?days=0", status=422)
    assert "Must be from 1 to 365." in refused or "from 1 to 365" in refused
    assert 'value="0"' in refused  # what was typed stays in the box
    assert references_in(refused) == [thirty.reference, twenty.reference]  # with the usual list under it


def test_the_list_is_paged_with_the_days_kept(
    client: FlaskClient, login_as: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_as(Role.MANAGER)
    monkeypatch.setattr(case_views, "PER_PAGE", 2)
    cases = [stale_case(20 + i) for i in range(5)]  # the oldest contact is the last made
    expected = [c.reference for c in reversed(cases)]

    first, second, third = (page(client, f"?days=14&page={n}") for n in (1, 2, 3))

    assert references_in(first) + references_in(second) + references_in(third) == expected
    assert "Page 1 of 3" in first
    assert 'href="/cases/stale?page=2&amp;days=14"' in first
    assert "Contacted more recently" in first
    assert "Longer without contact" in third


def test_a_page_takes_the_same_statements_for_2_cases_as_for_12(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.MANAGER)
    advisor = factories.make_user(role=Role.ADVISOR)

    def statements_for(rows: int) -> int:
        db.session.execute(sa.update(Case).values(status=CaseStatus.CLOSED, close_reason=CloseReason.NO_FURTHER_ACTION))
        for i in range(rows):
            stale_case(20 + i, assigned_advisor_id=advisor.id if i % 2 else None, risk_level=RiskLevel.MEDIUM)
        page(client)  # the session's own bookkeeping on a first request is no part of the page
        with counted_queries() as seen:
            assert len(references_in(page(client))) == rows
        return len(seen)

    assert statements_for(2) == statements_for(12)


def test_assigning_from_the_list_comes_back_to_it(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as(Role.MANAGER)
    advisor = factories.make_user(role=Role.ADVISOR, full_name="Sam Advisor")
    case = stale_case(20, assigned_advisor_id=None)
    html = page(client, "?days=10")
    form = html[html.index(f'action="/cases/{case.id}/update"') :]
    version = re.search(r'name="version" value="(\d+)"', form)
    back = re.search(r'name="next" value="([^"]+)"', form)
    assert version is not None
    assert back is not None
    assert "Sam Advisor" in form

    response = client.post(
        f"/cases/{case.id}/update",
        data={
            "csrf_token": csrf_token_from(html),
            "version": version.group(1),
            "assigned_advisor_id": str(advisor.id),
            "next": back.group(1).replace("&amp;", "&"),
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/cases/stale?days=10"
    db.session.refresh(case)
    assert case.assigned_advisor_id == advisor.id
    assert case.status == CaseStatus.NEW  # only the advisor changed


def test_a_manager_finds_the_list_from_home_and_all_cases_and_an_advisor_does_not(
    client: FlaskClient, login_as: Callable[..., User], client_as: Callable[..., tuple[FlaskClient, User]]
) -> None:
    login_as(Role.MANAGER)
    advisor_client, _ = client_as(Role.ADVISOR)

    home = client.get("/").get_data(as_text=True)
    all_cases = client.get("/cases/").get_data(as_text=True)
    advisor_home = advisor_client.get("/").get_data(as_text=True)

    assert 'href="/cases/stale"' in home
    assert 'href="/cases/stale"' in all_cases
    assert 'href="/cases/stale"' not in advisor_home


def test_the_notice_links_to_this_page(app: Flask) -> None:
    with app.test_request_context():
        assert url_for("cases.stale") == stale.PAGE_PATH


# --- the API -------------------------------------------------------------------------------------------------------


def test_the_api_lists_stale_cases_for_a_manager(api_as: Callable[..., Api]) -> None:
    manager = api_as(Role.MANAGER)
    advisor = factories.make_user(role=Role.ADVISOR, full_name="Alex Advisor")
    reached = stale_case(20, assigned_advisor_id=advisor.id, risk_level=RiskLevel.HIGH)
    never = stale_case(30, contacted=False, name=None, assigned_advisor_id=None)
    stale_case(2)
    db.session.refresh(reached)

    response = manager.get("/api/v1/cases/stale")  # checked against the OpenAPI document

    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == [never.id, reached.id]
    assert body["next"] is None
    item = body["items"][1]
    assert item["reference"] == reached.reference
    assert item["caller_first_name"] == "Jo"
    assert item["risk_level"] == "high"
    assert item["status"] == "new"
    assert (item["assigned_advisor_id"], item["assigned_advisor_name"]) == (advisor.id, "Alex Advisor")
    assert item["days_since_contact"] == 20
    assert reached.last_contact_at is not None
    assert item["last_contact_at"] == stale.to_local(reached.last_contact_at).isoformat()
    assert item["opened_at"] == stale.to_local(reached.created_at).isoformat()
    assert body["items"][0]["last_contact_at"] is None
    assert body["items"][0]["caller_first_name"] is None
    [event] = audit_events("case.listed", actor_id=manager.user_id)
    assert event.detail == {"ids": [never.id, reached.id]}


def test_the_api_refuses_an_advisor(api: Api) -> None:
    stale_case(20)

    response = api.get("/api/v1/cases/stale")

    assert response.status_code == 403
    assert response.get_json() == {
        "error": {"code": "forbidden", "message": "Your role does not allow this.", "fields": {}}
    }
    assert audit_events("case.listed", actor_id=api.user_id) == []


@pytest.mark.parametrize("days", ["0", "366", "-1", "abc", "1.5", ""])
def test_the_api_refuses_days_outside_1_to_365(api_as: Callable[..., Api], days: str) -> None:
    manager = api_as(Role.MANAGER)

    response = manager.get(f"/api/v1/cases/stale?days={days}")

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["days"]


@pytest.mark.parametrize(("days", "expected"), [("1", 3), ("25", 1), ("365", 0)])
def test_the_api_takes_days_from_1_to_365(api_as: Callable[..., Api], days: str, expected: int) -> None:
    manager = api_as(Role.MANAGER)
    for days_ago in (2, 20, 30):
        stale_case(days_ago)

    response = manager.get(f"/api/v1/cases/stale?days={days}")

    assert response.status_code == 200
    assert len(response.get_json()["items"]) == expected


def test_the_api_pages_with_a_cursor_like_the_other_lists(api_as: Callable[..., Api]) -> None:
    manager = api_as(Role.MANAGER)
    cases = [stale_case(20 + i % 3) for i in range(7)]  # ties on the day: the id orders them
    expected = [c.id for c in sorted(cases, key=lambda c: (c.contact_clock_at, c.id))]

    seen: list[int] = []
    cursor = ""
    for _ in range(10):
        body = manager.get(f"/api/v1/cases/stale?limit=3{cursor}").get_json()
        seen += [item["id"] for item in body["items"]]
        if body["next"] is None:
            break
        cursor = f"&cursor={body['next']}"

    assert seen == expected


def test_the_api_takes_the_same_statements_for_2_cases_as_for_12(api_as: Callable[..., Api]) -> None:
    manager = api_as(Role.MANAGER)
    advisor = factories.make_user(role=Role.ADVISOR)

    def statements_for(rows: int) -> int:
        db.session.execute(sa.update(Case).values(status=CaseStatus.CLOSED, close_reason=CloseReason.NO_FURTHER_ACTION))
        for i in range(rows):
            stale_case(20 + i, assigned_advisor_id=advisor.id if i % 2 else None)
        manager.get("/api/v1/cases/stale")  # the token's first use of the test writes its last use
        with counted_queries() as seen:
            assert len(manager.get("/api/v1/cases/stale").get_json()["items"]) == rows
        return len(seen)

    assert statements_for(2) == statements_for(12)


def test_the_openapi_document_describes_days_and_its_bounds(openapi_spec: dict[str, Any]) -> None:
    operation = openapi_spec["paths"]["/api/v1/cases/stale"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}

    assert parameters["days"]["in"] == "query"
    assert parameters["days"].get("required", False) is False
    assert (parameters["days"]["schema"]["minimum"], parameters["days"]["schema"]["maximum"]) == (1, 365)
    assert {"cursor", "limit"} <= set(parameters)
    assert operation["tags"] == ["cases"]
