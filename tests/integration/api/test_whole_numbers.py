"""Integer fields of JSON bodies take whole numbers only: 1.5 is refused with a 422 naming the field, where
marshmallow's Integer would have read it as 1 (and acted on another row, version or duration than the one sent).
The document says `integer`; Schemathesis found the API taking 2.6e-42 as 0."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.notifications.services import notify
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import Api, row_counts


def _soon() -> str:
    return (now_utc() + timedelta(hours=1)).isoformat()


#: (operation, field, a request made of fresh rows: (method, path, body)) for every integer field of a JSON body
Request = tuple[str, str, dict[str, Any]]
CASES: list[tuple[str, str, Callable[[Api], Request]]] = []


def case_for(field: str) -> Callable[[Callable[[Api], Request]], Callable[[Api], Request]]:
    def register(make: Callable[[Api], Request]) -> Callable[[Api], Request]:
        CASES.append((make.__name__.removeprefix("_"), field, make))
        return make

    return register


@case_for("ids.0")
def _mark_read(api: Api) -> Request:
    notify([api.user_id], kind="callback_reminder", title="A callback is due soon")
    notification_id: int = db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
    return "POST", "/api/v1/notifications/read", {"ids": [notification_id + 0.5]}


def _case(api: Api) -> Any:
    return factories.make_case(factories.make_caller(consent_callback=True), actor=api.account)


@case_for("version")
def _patch_case_version(api: Api) -> Request:
    case = _case(api)
    return "PATCH", f"/api/v1/cases/{case.id}", {"version": case.version + 0.5, "risk_level": "high"}


@case_for("assigned_advisor_id")
def _patch_case_advisor(api: Api) -> Request:
    case = _case(api)
    return "PATCH", f"/api/v1/cases/{case.id}", {"version": case.version, "assigned_advisor_id": api.user_id + 0.5}


@case_for("case_id")
def _book_case(api: Api) -> Request:
    return "POST", "/api/v1/callbacks", {"case_id": _case(api).id + 0.5, "due_at": _soon()}


@case_for("window_minutes")
def _book_window(api: Api) -> Request:
    return "POST", "/api/v1/callbacks", {"case_id": _case(api).id, "due_at": _soon(), "window_minutes": 30.5}


@case_for("assignee_id")
def _book_assignee(api: Api) -> Request:
    return "POST", "/api/v1/callbacks", {"case_id": _case(api).id, "due_at": _soon(), "assignee_id": api.user_id + 0.5}


@case_for("version")
def _patch_callback_version(api: Api) -> Request:
    callback = factories.make_callback(_case(api), actor=api.account)
    return "PATCH", f"/api/v1/callbacks/{callback.id}", {"version": callback.version + 0.5, "priority": "high"}


@case_for("assignee_id")
def _patch_callback_assignee(api: Api) -> Request:
    callback = factories.make_callback(_case(api), actor=api.account)
    return "PATCH", f"/api/v1/callbacks/{callback.id}", {"version": callback.version, "assignee_id": api.user_id + 0.5}


@case_for("call_id")
def _attempt_call(api: Api) -> Request:
    case = _case(api)
    callback = factories.make_callback(case, actor=api.account)
    call = factories.make_call(case, actor=api.account)
    return "POST", f"/api/v1/callbacks/{callback.id}/attempts", {"outcome": "no_answer", "call_id": call.id + 0.5}


@case_for("years_of_use")
def _assess_years(api: Api) -> Request:
    return "POST", f"/api/v1/cases/{_case(api).id}/assessments", factories.assessment_answers(years_of_use=4.5)


@case_for("supersedes_id")
def _assess_supersedes(api: Api) -> Request:
    case = _case(api)
    first = factories.make_assessment(case, actor=api.account)
    body = factories.assessment_answers(supersedes_id=first.id + 0.5)
    return "POST", f"/api/v1/cases/{case.id}/assessments", body


@pytest.mark.parametrize(("operation", "field", "make"), CASES, ids=[f"{op}-{field}" for op, field, _ in CASES])
def test_json_integer_fields_refuse_a_fraction(
    api_as: Callable[..., Api], operation: str, field: str, make: Callable[[Api], Request]
) -> None:
    api = api_as(Role.MANAGER)
    method, path, body = make(api)
    db.session.commit()
    before = row_counts()

    response = api.request(method, path, json=body)

    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"], response.get_json()
    assert row_counts() == before


def test_json_integer_fields_take_whole_numbers_written_any_way(api: Api) -> None:
    """4 and 4.0 are the same JSON number (and an `integer` to JSON Schema): both are taken."""
    case = factories.make_case(factories.make_caller(), actor=api.account)
    db.session.commit()

    as_int = api.post(f"/api/v1/cases/{case.id}/assessments", json=factories.assessment_answers(years_of_use=4))
    as_float = api.post(f"/api/v1/cases/{case.id}/assessments", json=factories.assessment_answers(years_of_use=4.0))

    assert (as_int.status_code, as_float.status_code) == (201, 201)
    assert as_int.get_json()["answers"]["years_of_use"] == as_float.get_json()["answers"]["years_of_use"] == 4
