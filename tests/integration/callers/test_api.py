"""GET /api/v1/callers?phone=, GET/PATCH /api/v1/callers/{id}: lookup in any format, every read audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseapp.callers.models import Caller
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import Api, audit_events, row_counts


@pytest.fixture
def known(db_session: object) -> Caller:
    caller = factories.make_caller(phone="07811 606 606", name="Jo")
    case = factories.make_case(caller)
    for minutes in (30, 20, 10):
        factories.make_call(case, started_at=now_utc() - timedelta(minutes=minutes))
    db.session.commit()
    return caller


@pytest.mark.parametrize(
    "typed",
    ["07811 606 606", "07811606606", "+44 7811 606606", "447811606606", "0044 7811 606606", "+44 (0)7811 606606"],
)
def test_lookup_finds_the_caller_whatever_the_number_format(api: Api, known: Caller, typed: str) -> None:
    response = api.get("/api/v1/callers", query_string={"phone": typed})

    assert response.status_code == 200
    [match] = response.get_json()["items"]
    assert match["id"] == known.id
    assert match["phone"] == "+447811606606"
    assert match["phone_display"] == "07811 606606"


def test_lookup_answers_the_open_case_and_recent_calls_newest_first(api: Api, known: Caller) -> None:
    [match] = api.get("/api/v1/callers", query_string={"phone": "07811606606"}).get_json()["items"]

    assert match["open_case"]["status"] == "new"
    started = [c["started_at"] for c in match["recent_calls"]]
    assert len(started) == 3
    assert started == sorted(started, reverse=True)


def test_lookup_answers_no_open_case_when_the_case_is_closed(api: Api) -> None:
    caller = factories.make_caller()
    factories.make_case(caller, status=CaseStatus.CLOSED, close_reason=CloseReason.DUPLICATE)
    db.session.commit()
    assert caller.phone_e164 is not None

    [match] = api.get("/api/v1/callers", query_string={"phone": caller.phone_e164}).get_json()["items"]

    assert match["open_case"] is None


def test_lookup_is_audited_with_the_match(api: Api, known: Caller) -> None:
    api.get("/api/v1/callers", query_string={"phone": "07811606606"})

    [event] = audit_events("caller.looked_up")
    assert event.entity_id == str(known.id)
    assert event.detail == {"matched": True}


@pytest.mark.parametrize("typed", ["07400 123456", "withheld"])
def test_lookup_without_a_match_answers_an_empty_page_and_is_still_audited(api: Api, typed: str) -> None:
    response = api.get("/api/v1/callers", query_string={"phone": typed})

    assert response.get_json() == {"items": [], "next": None, "flags": []}  # no caller, and no flag on the number
    [event] = audit_events("caller.looked_up")
    assert event.entity_id is None
    assert event.detail == {"matched": False}


@pytest.mark.parametrize(("query", "field"), [({"phone": "12345"}, "phone"), ({}, "phone"), ({"phone": ""}, "phone")])
def test_lookup_refuses_an_invalid_or_missing_number(api: Api, query: dict[str, str], field: str) -> None:
    response = api.get("/api/v1/callers", query_string=query)

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]


def test_get_caller_answers_details_and_audits_the_read(api: Api, known: Caller) -> None:
    response = api.get(f"/api/v1/callers/{known.id}")

    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Jo"
    assert body["relationship"] == "self"
    assert body["open_case"] is not None
    [event] = audit_events("caller.viewed")
    assert event.entity_id == str(known.id)
    assert event.actor_id == api.user_id


def test_get_caller_shows_a_withheld_number_as_withheld(api: Api) -> None:
    caller = factories.make_caller(phone=None)
    db.session.commit()

    body = api.get(f"/api/v1/callers/{caller.id}").get_json()

    assert body["phone"] is None
    assert body["phone_display"] == "Withheld"


def test_get_caller_answers_404_for_an_unknown_caller(api: Api) -> None:
    response = api.get("/api/v1/callers/987654321")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_patch_caller_updates_details_and_audits_the_field_names_only(api: Api, known: Caller) -> None:
    response = api.patch(
        f"/api/v1/callers/{known.id}",
        json={"consent_voicemail": True, "safe_to_call_notes": "Partner does not know", "name": "Jo"},
    )

    assert response.status_code == 200
    assert response.get_json()["consent_voicemail"] is True
    [event] = audit_events("caller.updated")
    assert event.detail == {"fields": ["consent_voicemail", "safe_to_call_notes"]}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"preferred_from": "18:00"}, "preferred_to"),
        ({"preferred_from": "six"}, "preferred_from"),
        ({"relationship": "cousin"}, "relationship"),
        ({"name": "n" * 121}, "name"),
        ({"phone": "07811 606 607"}, "phone"),  # not editable here
    ],
)
def test_patch_caller_refuses_bad_input_and_writes_nothing(
    api: Api, known: Caller, payload: dict[str, str], field: str
) -> None:
    before = row_counts()

    response = api.patch(f"/api/v1/callers/{known.id}", json=payload)

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]
    assert row_counts() == before
    db.session.refresh(known)
    assert known.preferred_from is None
