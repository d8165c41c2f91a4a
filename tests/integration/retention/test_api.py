"""POST /api/v1/callers/{id}/erasure (admins), POST /api/v1/cases/{id}/legal-hold[/release] (managers, admins), the
case page's controls, and what searches find afterwards: nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.callers.models import Caller
from caseapp.extensions import db
from tests import factories
from tests.integration.api_support import Api, audit_events
from tests.integration.retention.support import History, make_history


@pytest.fixture
def history(db_session: Any) -> History:
    made = make_history(factories.make_user(), closed_at=None)
    db.session.commit()
    return made


def _erase(api: Api, caller_id: int, reason: str = "Erasure request, ticket 77") -> Any:
    return api.post(f"/api/v1/callers/{caller_id}/erasure", json={"reason": reason})


def test_an_admin_erases_a_caller_and_the_api_shows_an_anonymised_caller(
    api_as: Callable[..., Api], history: History
) -> None:
    admin = api_as(Role.ADMIN)

    response = _erase(admin, history.caller.id)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["case_ids"] == [history.case.id]
    assert body["rows"]["callers"] == 1
    assert body["anonymised_at"] is not None
    shown = admin.get(f"/api/v1/callers/{history.caller.id}").get_json()
    assert shown["name"] == "Anonymised caller"
    assert shown["phone"] is None
    assert shown["safe_to_call_notes"] is None
    assert shown["anonymised_at"] == body["anonymised_at"]
    [event] = audit_events("caller.erased", entity_id=str(history.caller.id))
    assert event.actor_id == admin.user_id


@pytest.mark.parametrize("role", [Role.ADVISOR, Role.MANAGER])
def test_only_admins_may_erase(api_as: Callable[..., Api], history: History, role: Role) -> None:
    response = _erase(api_as(role), history.caller.id)

    assert response.status_code == 403
    assert db.session.get(Caller, history.caller.id).name == history.name  # type: ignore[union-attr]


def test_erasure_without_a_reason_is_a_422(api_as: Callable[..., Api], history: History) -> None:
    response = _erase(api_as(Role.ADMIN), history.caller.id, reason="")

    assert response.status_code == 422
    assert "reason" in response.get_json()["error"]["fields"]


def test_erasure_of_a_held_caller_is_a_409_naming_the_held_case(api_as: Callable[..., Api], history: History) -> None:
    manager, admin = api_as(Role.MANAGER), api_as(Role.ADMIN)
    held = manager.post(f"/api/v1/cases/{history.case.id}/legal-hold", json={"reason": "Court order 12/2026"})
    assert held.status_code == 200
    assert held.get_json()["on_hold"] is True

    response = _erase(admin, history.caller.id)

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "legal_hold"
    assert history.case.reference in error["message"]
    released = manager.post(f"/api/v1/cases/{history.case.id}/legal-hold/release", json={"reason": "Order lifted"})
    assert released.get_json()["on_hold"] is False
    assert _erase(admin, history.caller.id).status_code == 200


def test_advisors_cannot_place_legal_holds(api_as: Callable[..., Api], history: History) -> None:
    response = api_as(Role.ADVISOR).post(f"/api/v1/cases/{history.case.id}/legal-hold", json={"reason": "x"})

    assert response.status_code == 403


def test_after_erasure_no_search_finds_the_old_name_or_number(
    api_as: Callable[..., Api], history: History, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    admin = api_as(Role.ADMIN)
    surname = history.name.split()[-1]
    login_as(Role.MANAGER)  # a manager's search finds any case (an advisor's only those they work on)
    assert history.case.reference in client.get("/search", query_string={"q": surname}).get_data(as_text=True)

    _erase(admin, history.caller.id)

    assert admin.get("/api/v1/callers", query_string={"phone": history.phone_typed}).get_json()["items"] == []
    for query in (surname, history.phone_typed):
        response = client.get("/search", query_string={"q": query})
        page = response.get_data(as_text=True)
        assert history.case.reference not in page
        assert f"/cases/{history.case.id}" not in response.headers.get("Location", "")
    case_page = client.get(f"/cases/{history.case.id}").get_data(as_text=True)
    assert "Anonymised caller" in case_page
    assert all(text not in case_page for text in history.needles)


def test_the_case_page_controls_place_a_hold_and_erase(
    client: FlaskClient, login_as: Callable[..., User], page_csrf: Callable[[str], str], history: History
) -> None:
    login_as(Role.ADMIN)
    path = f"/cases/{history.case.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Place legal hold" in page
    assert "Erase caller" in page
    assert "Subject access export" in page

    client.post(f"{path}/legal-hold", data={"reason": "Inquest", "csrf_token": page_csrf(path)})
    refused = client.post(f"{path}/erase-caller", data={"reason": "Request", "csrf_token": page_csrf(path)})
    assert refused.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "Release legal hold" in page
    assert history.case.reference in page
    assert "legal hold" in page
    assert history.name in page

    client.post(f"{path}/legal-hold/release", data={"reason": "Done", "csrf_token": page_csrf(path)})
    client.post(f"{path}/erase-caller", data={"reason": "Request", "csrf_token": page_csrf(path)})
    page = client.get(path).get_data(as_text=True)
    assert "Anonymised caller" in page
    assert "<dt>Phone</dt><dd>Removed</dd>" in page
    assert history.name not in page


def test_managers_see_the_hold_control_but_not_erasure(
    client: FlaskClient, login_as: Callable[..., User], history: History
) -> None:
    login_as(Role.MANAGER)
    page = client.get(f"/cases/{history.case.id}").get_data(as_text=True)

    assert "Place legal hold" in page
    assert "Erase caller" not in page
    assert "Subject access export" not in page


def test_an_erased_caller_cannot_be_given_details_again(api_as: Callable[..., Api], history: History) -> None:
    manager = api_as(Role.MANAGER)
    _erase(api_as(Role.ADMIN), history.caller.id)

    response = manager.patch(f"/api/v1/callers/{history.caller.id}", json={"name": "Zebedee Quartermaine"})

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert manager.get(f"/api/v1/callers/{history.caller.id}").get_json()["name"] == "Anonymised caller"
