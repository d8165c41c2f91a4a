"""The callbacks JSON API (every response checked against the OpenAPI document) and the managers' deliveries API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.callbacks import due
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reminders.models import OutboxMessage, OutboxStatus
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import Api, audit_events


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def soon(**delta: float) -> str:
    return iso(now_utc() + timedelta(**(delta or {"hours": 2})))


def book(api: Api, case: Case, **body: Any) -> dict[str, Any]:
    response = api.post("/api/v1/callbacks", json={"case_id": case.id, "due_at": soon(), **body})
    assert response.status_code == 201, response.get_json()
    data: dict[str, Any] = response.get_json()
    return data


def test_post_callback_returns_201_with_the_booking(api: Api, case: Case) -> None:
    due = now_utc().replace(microsecond=0) + timedelta(hours=3)

    response = api.post(
        "/api/v1/callbacks",
        json={
            "case_id": case.id,
            "due_at": iso(due),
            "window_minutes": 30,
            "assignee_id": api.user.id if api.user else None,
            "priority": "high",
            "reason": "check detox place",
        },
    )

    body = response.get_json()
    assert response.status_code == 201, body
    assert {k: body[k] for k in ("case_id", "status", "assignee_id", "priority", "window_minutes")} == {
        "case_id": case.id,
        "status": "scheduled",
        "assignee_id": api.user.id if api.user else None,
        "priority": "high",
        "window_minutes": 30,
    }
    assert datetime.fromisoformat(body["due_at"]) == due
    assert body["warnings"] == []
    assert [e.action for e in audit_events(entity_type="callback", entity_id=str(body["id"]))] == ["callback.booked"]


def test_post_callback_without_consent_is_refused_with_a_clear_message(api: Api) -> None:
    case = factories.make_case(factories.make_caller(consent_callback=False))

    response = api.post("/api/v1/callbacks", json={"case_id": case.id, "due_at": soon()})

    error = response.get_json()["error"]
    assert response.status_code == 422
    assert error["code"] == "no_callback_consent"
    assert error["message"].startswith("The caller has not agreed to be called back")


def test_post_callback_in_the_past_is_refused(api: Api, case: Case) -> None:
    response = api.post("/api/v1/callbacks", json={"case_id": case.id, "due_at": soon(minutes=-5)})

    assert response.status_code == 422
    assert "due_at" in response.get_json()["error"]["fields"]


def test_post_callback_outside_preferred_times_needs_override(api: Api) -> None:
    caller = factories.make_caller(consent_callback=True, preferred_from=time(18), preferred_to=time(20))
    case = factories.make_case(caller)
    body = {"case_id": case.id, "due_at": "2027-07-01T09:00:00+01:00"}

    refused = api.post("/api/v1/callbacks", json=body)
    booked = api.post("/api/v1/callbacks", json={**body, "override_preferred_times": True})

    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "outside_preferred_times"
    assert refused.get_json()["error"]["preferred_from"] == "18:00"
    assert booked.status_code == 201
    assert booked.get_json()["outside_preferred_times"] is True


def test_post_callback_naive_time_is_refused(api: Api, case: Case) -> None:
    response = api.post("/api/v1/callbacks", json={"case_id": case.id, "due_at": "2027-07-01T09:00:00"})

    assert response.status_code == 422
    assert "due_at" in response.get_json()["error"]["fields"]


def test_list_callbacks_filters_by_assignee_status_and_due_time(api: Api, case: Case) -> None:
    assert api.user is not None
    other = factories.make_user()
    mine = book(api, case, assignee_id=api.user.id, due_at=soon(hours=1))
    pooled = book(api, case, due_at=soon(hours=2))
    theirs = book(api, case, assignee_id=other.id, due_at=soon(hours=3))
    later = book(api, case, assignee_id=api.user.id, due_at=soon(hours=30))

    def ids(query: str) -> list[int]:
        response = api.get(f"/api/v1/callbacks?{query}")
        assert response.status_code == 200, response.get_json()
        return [c["id"] for c in response.get_json()["items"]]

    assert ids("assignee=me") == [mine["id"], later["id"]]
    assert ids("assignee=pool") == [pooled["id"]]
    assert ids(f"assignee={other.id}") == [theirs["id"]]
    assert ids(f"case={case.id}&due_before={soon(hours=24)}") == [mine["id"], pooled["id"], theirs["id"]]
    assert ids(f"case={case.id}&due_after={soon(hours=24)}") == [later["id"]]
    assert ids(f"case={case.id}&status=cancelled") == []
    assert api.get("/api/v1/callbacks?assignee=someone").status_code == 422


def test_list_callbacks_pages_by_due_time(api: Api, case: Case) -> None:
    booked = [book(api, case, due_at=soon(hours=h))["id"] for h in (3, 1, 2)]

    first = api.get(f"/api/v1/callbacks?case={case.id}&limit=2").get_json()
    second = api.get(f"/api/v1/callbacks?case={case.id}&limit=2&cursor={first['next']}").get_json()

    assert [c["id"] for c in first["items"] + second["items"]] == [booked[1], booked[2], booked[0]]
    assert second["next"] is None


def test_get_callback_shows_attempts_and_deliveries(api: Api, case: Case) -> None:
    booked = book(api, case)
    api.post(f"/api/v1/callbacks/{booked['id']}/attempts", json={"outcome": "no_answer"})

    body = api.get(f"/api/v1/callbacks/{booked['id']}").get_json()

    assert body["status"] == "no_answer"
    assert [a["outcome"] for a in body["attempts"]] == ["no_answer"]
    assert body["deliveries"] == []
    assert api.get("/api/v1/callbacks/999999").status_code == 404


def test_patch_reschedules_reassigns_and_cancels_with_optimistic_concurrency(
    api_as: Callable[..., Api], case: Case
) -> None:
    api = api_as(Role.MANAGER)  # it takes the callback back from a colleague: a manager's change
    other = factories.make_user()
    booked = book(api, case)
    new_time = now_utc().replace(microsecond=0) + timedelta(hours=5)
    path = f"/api/v1/callbacks/{booked['id']}"

    rescheduled = api.patch(path, json={"version": booked["version"], "due_at": iso(new_time)})
    stale = api.patch(path, json={"version": booked["version"], "assignee_id": other.id})
    reassigned = api.patch(path, json={"version": rescheduled.get_json()["version"], "assignee_id": other.id})
    to_pool = api.patch(path, json={"version": reassigned.get_json()["version"], "assignee_id": None})
    cancelled = api.patch(
        path, json={"version": to_pool.get_json()["version"], "status": "cancelled", "cancel_reason": "rang in"}
    )
    after = api.patch(path, json={"version": cancelled.get_json()["version"], "due_at": iso(new_time)})

    assert rescheduled.status_code == 200, rescheduled.get_json()
    assert datetime.fromisoformat(rescheduled.get_json()["due_at"]) == new_time
    assert stale.status_code == 409
    assert reassigned.get_json()["assignee_id"] == other.id
    assert to_pool.get_json()["assignee_id"] is None
    assert cancelled.get_json()["status"] == "cancelled"
    assert after.status_code == 409
    actions = [e.action for e in audit_events(entity_type="callback", entity_id=str(booked["id"]))]
    assert actions == [
        "callback.booked",
        "callback.rescheduled",
        "callback.reassigned",
        "callback.reassigned",
        "callback.cancelled",
    ]


def test_patch_refuses_status_completed(api: Api, case: Case) -> None:
    booked = book(api, case)

    response = api.patch(f"/api/v1/callbacks/{booked['id']}", json={"version": 1, "status": "completed"})

    assert response.status_code == 422


def test_claim_takes_a_pooled_callback_once(api_as: Callable[..., Api], case: Case) -> None:
    first, second = api_as(Role.ADVISOR), api_as(Role.ADVISOR)
    booked = book(api_as(Role.MANAGER), case)  # to the pool

    claimed = first.post(f"/api/v1/callbacks/{booked['id']}/claim")
    refused = second.post(f"/api/v1/callbacks/{booked['id']}/claim")

    assert claimed.status_code == 200
    assert first.user is not None
    assert claimed.get_json()["assignee_id"] == first.user.id
    assert refused.status_code == 409


def test_attempts_answered_completes_and_voicemail_needs_consent(api: Api, case: Case) -> None:
    booked = book(api, case)
    path = f"/api/v1/callbacks/{booked['id']}/attempts"

    voicemail = api.post(path, json={"outcome": "voicemail_left"})
    answered = api.post(path, json={"outcome": "answered", "notes": "spoke to caller"})

    assert voicemail.status_code == 422
    assert "voicemail" in voicemail.get_json()["error"]["fields"]["outcome"][0]
    assert answered.status_code == 201, answered.get_json()
    assert answered.get_json()["callback"]["status"] == "completed"
    assert answered.get_json()["needs_reschedule"] is False


def test_attempt_no_answer_with_next_due_at_reschedules(api: Api, case: Case) -> None:
    booked = book(api, case)

    response = api.post(
        f"/api/v1/callbacks/{booked['id']}/attempts", json={"outcome": "no_answer", "next_due_at": soon(hours=4)}
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["callback"]["status"] == "scheduled"
    assert response.get_json()["callback"]["failed_attempt_count"] == 1


def test_callbacks_appear_on_the_case_timeline(api: Api, case: Case) -> None:
    booked = book(api, case)
    api.post(f"/api/v1/callbacks/{booked['id']}/attempts", json={"outcome": "answered"})

    timeline = api.get(f"/api/v1/cases/{case.id}/timeline").get_json()["items"]

    assert {"callback", "callback_attempt"} <= {e["kind"] for e in timeline}


def test_failed_deliveries_are_visible_to_managers_only(api_as: Callable[..., Api], case: Case) -> None:
    manager, advisor = api_as(Role.MANAGER), api_as(Role.ADVISOR)
    booked = book(manager, case, assignee_id=advisor.user.id if advisor.user else None, due_at=soon(minutes=5))

    due.remind_due()
    rows = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.callback_id == booked["id"])))
    rows[0].status, rows[0].last_error, rows[0].failed_at = OutboxStatus.FAILED, "SMTP 451: try later", now_utc()
    db.session.commit()

    listing = manager.get("/api/v1/reminders?status=failed")
    summary = manager.get("/api/v1/reminders/summary")
    forbidden = advisor.get("/api/v1/reminders?status=failed")
    retried = manager.post(f"/api/v1/reminders/{rows[0].id}/retry")

    assert listing.status_code == 200
    assert [(d["id"], d["last_error"]) for d in listing.get_json()["items"]] == [(rows[0].id, "SMTP 451: try later")]
    assert summary.get_json()["counts"] == {"failed": 1, "pending": 1}
    assert forbidden.status_code == 403
    assert retried.status_code == 200
    assert retried.get_json()["status"] == "pending"
