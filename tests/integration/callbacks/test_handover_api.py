"""The handover API (every response checked against the OpenAPI document): clocking off with handovers
(POST /api/v1/shifts/current/end), the handovers offered to me, made by me and to the pool (GET /api/v1/handovers),
accepting one (POST /api/v1/handovers/{id}/accept), and the error envelope for every bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.callbacks import due
from caseapp.callbacks.models import Callback, Handover
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import HandoverStatus
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import Api, audit_events, row_counts

END = "/api/v1/shifts/current/end"


@pytest.fixture
def giver(api_as: Callable[..., Api]) -> Api:
    """An advisor on shift (clocked on through the API)."""
    client = api_as(Role.ADVISOR, full_name="Alex Advisor")
    assert client.post("/api/v1/shifts/start").status_code == 201
    return client


@pytest.fixture
def colleague(api_as: Callable[..., Api]) -> Api:
    client = api_as(Role.ADVISOR, full_name="Sam Colleague")
    assert client.post("/api/v1/shifts/start").status_code == 201
    return client


def held_by(api: Api, case: Case, hours: float = 2) -> Callback:
    callback = factories.make_callback(
        case, actor=api.account, assignee_id=api.user_id, due_at=now_utc() + timedelta(hours=hours)
    )
    db.session.commit()
    return callback


def error_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.get_json()["error"]
    return body


def test_clock_off_with_handovers_answers_the_ended_shift_and_each_handover(
    giver: Api, colleague: Api, case: Case
) -> None:
    to_colleague, to_pool = held_by(giver, case, 1), held_by(giver, case, 2)

    response = giver.post(
        END,
        json={
            "handovers": [
                {"callback_id": to_colleague.id, "to_user_id": colleague.user_id, "note": "Ask for Jo; Dad may answer"},
                {"callback_id": to_pool.id, "to_user_id": None},
            ]
        },
    )

    body = response.get_json()
    assert response.status_code == 200, body
    assert body["shift"]["ended_at"] is not None
    first, second = body["handovers"]
    assert {k: first[k] for k in ("callback_id", "to_user_id", "to_name", "from_name", "note", "status")} == {
        "callback_id": to_colleague.id,
        "to_user_id": colleague.user_id,
        "to_name": "Sam Colleague",
        "from_name": "Alex Advisor",
        "note": "Ask for Jo; Dad may answer",
        "status": "offered",
    }
    assert first["case_reference"] == case.reference
    assert datetime.fromisoformat(first["accept_by"]) - datetime.fromisoformat(first["created_at"]) == timedelta(
        minutes=15
    )
    assert (second["to_user_id"], second["to_name"], second["note"], second["accept_by"]) == (None, None, None, None)
    assert giver.get("/api/v1/shifts/me").get_json()["on_shift"] is False


def test_clock_off_with_rest_to_pool_hands_every_callback_not_listed_to_the_pool(giver: Api, case: Case) -> None:
    held_by(giver, case, 1), held_by(giver, case, 2)

    response = giver.post(END, json={"rest_to_pool": True})

    assert response.status_code == 200, response.get_json()
    assert [h["to_user_id"] for h in response.get_json()["handovers"]] == [None, None]


def test_clock_off_leaving_a_callback_without_a_destination_is_409_and_names_it(
    giver: Api, colleague: Api, case: Case
) -> None:
    listed, forgotten = held_by(giver, case, 1), held_by(giver, case, 2)
    before = row_counts()

    response = giver.post(END, json={"handovers": [{"callback_id": listed.id, "to_user_id": colleague.user_id}]})
    plain = giver.post("/api/v1/shifts/end")  # the old way, holding open callbacks

    error = error_of(response)
    assert response.status_code == 409
    assert error["code"] == "handover_required"
    assert error["message"].startswith("You still hold 1 open callback. Before you clock off, hand each one")
    assert error["open_callback_ids"] == [forgotten.id]
    assert error["fields"]["handovers"][0].startswith(f"Not handed over yet: {case.reference} (due ")
    assert plain.status_code == 409
    assert error_of(plain)["open_callback_ids"] == [listed.id, forgotten.id]
    assert row_counts() == before
    assert giver.get("/api/v1/shifts/me").get_json()["on_shift"] is True


def test_every_wrong_handover_is_422_with_the_entry_named(
    giver: Api, colleague: Api, api_as: Callable[..., Api], case: Case
) -> None:
    mine, theirs = held_by(giver, case), held_by(colleague, case)
    off_shift = factories.make_user(full_name="Olu Offshift")
    db.session.commit()

    response = giver.post(
        END,
        json={
            "handovers": [
                {"callback_id": 2_000_000_000, "to_user_id": None},
                {"callback_id": theirs.id, "to_user_id": None},
                {"callback_id": mine.id, "to_user_id": off_shift.id},
            ]
        },
    )

    error = error_of(response)
    assert response.status_code == 422
    assert error["code"] == "validation_error"
    assert error["fields"] == {
        "handovers.0.callback_id": ["There is no such callback."],
        "handovers.1.callback_id": ["This callback is not yours to hand over: Sam Colleague holds it."],
        "handovers.2.to_user_id": ["Olu Offshift is not on shift. Choose a colleague who is on shift, or the pool."],
    }


@pytest.mark.parametrize(
    ("body", "status", "fields"),
    [
        ({"handovers": [{"to_user_id": None}]}, 422, {"handovers.0.callback_id": ["This is required."]}),
        ({"handovers": [{"callback_id": "x"}]}, 422, {"handovers.0.callback_id": None}),
        ({"handovers": [{"callback_id": 1, "note": "x" * 1001}]}, 422, {"handovers.0.note": None}),
        ({"handovers": [{"callback_id": 1, "note": "line\x00break"}]}, 422, {"handovers.0.note": None}),
        ({"handovers": {"callback_id": 1}}, 422, {"handovers": ["Give a list."]}),
        ({"handovers": [], "rest_to_pool": "yes"}, 422, {"rest_to_pool": None}),
        ({"handovers": [], "surprise": 1}, 422, {"surprise": None}),
        ({"handovers": [{"callback_id": 1}] * 501}, 422, {"handovers": None}),
    ],
    ids=["no-callback", "not-an-id", "note-too-long", "nul-in-note", "not-a-list", "not-a-boolean", "unknown", "501"],
)
def test_a_malformed_clock_off_body_is_refused_with_the_field_named(
    giver: Api, body: dict[str, Any], status: int, fields: dict[str, Any]
) -> None:
    response = giver.post(END, json=body)

    error = error_of(response)
    assert response.status_code == status, error
    assert set(error["fields"]) == set(fields)
    for name, messages in fields.items():
        if messages is not None:
            assert error["fields"][name] == messages
    assert giver.get("/api/v1/shifts/me").get_json()["on_shift"] is True


def test_a_body_that_is_not_json_is_400(giver: Api) -> None:
    response = giver.post(END, data="handovers", headers={"Content-Type": "text/plain"})

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_clock_off_when_not_on_shift_is_409(api: Api) -> None:
    response = api.post(END, json={"rest_to_pool": True})

    assert response.status_code == 409
    assert error_of(response)["message"] == "You are not on shift."


# --- listing and accepting ---------------------------------------------------------------------------------------


def _hand(giver: Api, case: Case, to: Api | None, note: str | None = None) -> dict[str, Any]:
    callback = held_by(giver, case)
    item = {"callback_id": callback.id, "to_user_id": to.user_id if to else None, "note": note}
    response = giver.post(END, json={"handovers": [item]})
    assert response.status_code == 200, response.get_json()
    assert giver.post("/api/v1/shifts/start").status_code == 201  # back on, for the next one
    handover: dict[str, Any] = response.get_json()["handovers"][0]
    return handover


def test_list_handovers_offered_to_me_made_by_me_and_to_the_pool(giver: Api, colleague: Api, case: Case) -> None:
    to_me = _hand(giver, case, colleague, "first")
    pooled = _hand(giver, case, None, "second")

    def ids(query: str, client: Api = colleague) -> list[int]:
        response = client.get(f"/api/v1/handovers{query}")
        assert response.status_code == 200, response.get_json()
        return [h["id"] for h in response.get_json()["items"]]

    assert ids("") == [to_me["id"]]
    assert ids("?which=pool") == [pooled["id"]]
    assert ids("?which=from_me", giver) == [to_me["id"], pooled["id"]]
    assert ids("?which=from_me") == []
    assert ids("?status=accepted") == []
    listed = audit_events("callback.listed", actor_id=colleague.user_id)
    assert listed[0].detail == {"ids": [to_me["callback_id"]]}


def test_list_handovers_refuses_an_unknown_which_or_status(colleague: Api) -> None:
    for query in ("which=everyone", "status=lost"):
        response = colleague.get(f"/api/v1/handovers?{query}")
        assert response.status_code == 422
        assert set(error_of(response)["fields"]) <= {"which", "status", "status.0"}


def test_accept_a_handover_then_again_is_409(giver: Api, colleague: Api, case: Case) -> None:
    offered = _hand(giver, case, colleague, "ring after six")

    accepted = colleague.post(f"/api/v1/handovers/{offered['id']}/accept")
    again = colleague.post(f"/api/v1/handovers/{offered['id']}/accept")

    assert accepted.status_code == 200, accepted.get_json()
    assert {k: accepted.get_json()[k] for k in ("status", "accepted_by_id", "accept_by")} == {
        "status": "accepted",
        "accepted_by_id": colleague.user_id,
        "accept_by": None,
    }
    assert again.status_code == 409
    assert error_of(again)["code"] == "conflict"
    assert error_of(again)["handover_status"] == "accepted"
    assert error_of(again)["message"].startswith("You have already accepted this handover")


def test_accepting_someone_elses_handover_is_403_and_an_unknown_one_404(
    giver: Api, colleague: Api, api_as: Callable[..., Api], case: Case
) -> None:
    offered = _hand(giver, case, colleague)
    stranger = api_as(Role.MANAGER)

    refused = stranger.post(f"/api/v1/handovers/{offered['id']}/accept")
    unknown = stranger.post("/api/v1/handovers/2000000000/accept")

    assert refused.status_code == 403
    assert error_of(refused)["message"] == "This handover was offered to Sam Colleague; only they can accept it."
    assert unknown.status_code == 404
    assert db.session.get_one(Handover, offered["id"]).status == HandoverStatus.OFFERED


def test_accepting_a_handover_to_the_pool_claims_the_callback(
    giver: Api, colleague: Api, api_as: Callable[..., Api], case: Case
) -> None:
    offered = _hand(giver, case, None)
    other = api_as(Role.ADVISOR, full_name="Ola Other")

    first = colleague.post(f"/api/v1/handovers/{offered['id']}/accept")
    second = other.post(f"/api/v1/handovers/{offered['id']}/accept")

    assert first.status_code == 200
    assert db.session.get_one(Callback, offered["callback_id"]).assignee_id == colleague.user_id
    assert second.status_code == 409
    assert error_of(second)["message"].startswith("This handover was already accepted by Sam Colleague")


def test_a_handover_returned_to_the_pool_is_409_to_accept(giver: Api, colleague: Api, case: Case) -> None:
    offered = _hand(giver, case, colleague)
    created = db.session.get_one(Handover, offered["id"]).created_at
    due.run_clocks(now=created + timedelta(minutes=15))
    db.session.commit()

    response = colleague.post(f"/api/v1/handovers/{offered['id']}/accept")

    assert response.status_code == 409
    assert error_of(response)["handover_status"] == "returned"
    assert db.session.get_one(Callback, offered["callback_id"]).assignee_id is None


def test_the_case_timeline_shows_the_handover_note(giver: Api, colleague: Api, case: Case) -> None:
    _hand(giver, case, colleague, "Safe to call after 6pm only")

    response = colleague.get(f"/api/v1/cases/{case.id}/timeline")

    steps = [e for e in response.get_json()["items"] if e["kind"] == "callback_step"]
    assert [(e["summary"], e["note"]) for e in steps] == [
        ("Callback handed over to Sam Colleague", "Safe to call after 6pm only")
    ]


def test_the_openapi_document_describes_the_handover_endpoints(openapi_spec: dict[str, Any]) -> None:
    paths = openapi_spec["paths"]

    assert paths[END]["post"]["requestBody"]["required"] is True
    assert "/api/v1/handovers" in paths
    assert "post" in paths["/api/v1/handovers/{handover_id}/accept"]
    error = openapi_spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    assert {"open_callback_ids", "handover_status"} <= set(error)


def test_no_handover_row_is_written_for_a_refused_clock_off(giver: Api, case: Case) -> None:
    held_by(giver, case)

    giver.post(END, json={"handovers": []})

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Handover)) == 0
