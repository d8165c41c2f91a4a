"""POST/GET /api/v1/calls: logging a call from a phone number (find or create caller and case), validation, listing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.callers.models import Caller
from caseapp.calls.models import Call, CallDraft
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import Api, audit_events, row_counts

# --- logging a call from a number -------------------------------------------------------------------------------


def test_log_call_creates_caller_and_case_for_a_new_number(api: Api) -> None:
    response = api.post("/api/v1/calls", json={"phone": "07811 606 606", "caller_name": "Jo", "consent_sms": True})

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["created_caller"] is True
    assert body["created_case"] is True
    assert body["case_reference"] == f"CA-{datetime.now(UTC).year}-{body['case_id']:06d}"
    assert body["advisor_id"] == api.user_id
    caller = db.session.get(Caller, body["caller_id"])
    assert caller is not None
    assert caller.phone_e164 == "+447811606606"
    assert caller.name == "Jo"
    assert caller.consent_sms is True
    case = db.session.get(Case, body["case_id"])
    assert case is not None
    assert case.caller_id == caller.id
    assert case.status == CaseStatus.NEW


@pytest.mark.parametrize(
    "typed", ["07811 606 606", "+44 7811 606606", "447811606606", "0044 7811 606606", "+44 (0)7811-606-606"]
)
def test_log_call_finds_the_same_caller_and_case_whatever_the_number_format(api: Api, typed: str) -> None:
    first = api.post("/api/v1/calls", json={"phone": "07811606606"}).get_json()

    second = api.post("/api/v1/calls", json={"phone": typed})

    assert second.status_code == 201, second.get_json()
    assert second.get_json()["caller_id"] == first["caller_id"]
    assert second.get_json()["case_id"] == first["case_id"]
    assert second.get_json()["created_caller"] is False
    assert second.get_json()["created_case"] is False
    assert db.session.scalar(sa.select(sa.func.count()).where(Caller.phone_e164 == "+447811606606")) == 1


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+33 1 42 68 53 00", "+33142685300"),
        ("0033 1 42 68 53 00", "+33142685300"),
        ("33142685300", "+33142685300"),
        ("+1 202 456 1111", "+12024561111"),
        ("+353 1 234 5678", "+35312345678"),
    ],
)
def test_log_call_stores_international_numbers_in_e164(api: Api, typed: str, e164: str) -> None:
    response = api.post("/api/v1/calls", json={"phone": typed})

    assert response.status_code == 201, response.get_json()
    caller = db.session.get(Caller, response.get_json()["caller_id"])
    assert caller is not None
    assert caller.phone_e164 == e164


@pytest.mark.parametrize("invalid", ["12345", "07811 60660", "not a number", "+999 123", "078116066061234"])
def test_log_call_refuses_an_invalid_number_and_writes_nothing(api: Api, invalid: str) -> None:
    before = row_counts()

    response = api.post("/api/v1/calls", json={"phone": invalid, "caller_name": "Jo"})

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["phone"]
    assert "not a valid phone number" in error["fields"]["phone"][0]
    assert row_counts() == before


@pytest.mark.parametrize("withheld", [None, "", "   ", "withheld", "Withheld", "private"])
def test_log_call_from_a_withheld_number_creates_a_new_anonymous_caller_and_case_each_time(
    api: Api, withheld: str | None
) -> None:
    first = api.post("/api/v1/calls", json={"phone": withheld}).get_json()
    second = api.post("/api/v1/calls", json={"phone": withheld}).get_json()

    assert first["caller_id"] != second["caller_id"]
    assert first["case_id"] != second["case_id"]
    for body in (first, second):
        assert body["created_caller"] is True
        assert body["created_case"] is True
        caller = db.session.get(Caller, body["caller_id"])
        assert caller is not None
        assert caller.phone_e164 is None
        assert caller.name is None


def test_log_call_with_an_empty_body_logs_a_withheld_data_call(api: Api) -> None:
    response = api.post("/api/v1/calls", json={})

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["call_type"] == "data"
    assert body["direction"] == "inbound"
    assert body["channel"] == "phone"
    assert body["case_id"] is not None


def test_log_call_opens_a_new_case_when_the_callers_case_is_closed(api: Api) -> None:
    caller = factories.make_caller(phone="07400 555000")
    closed = factories.make_case(caller, status=CaseStatus.CLOSED, close_reason=CloseReason.SIGNPOSTED)
    db.session.commit()

    body = api.post("/api/v1/calls", json={"phone": "+447400555000"}).get_json()

    assert body["caller_id"] == caller.id
    assert body["created_caller"] is False
    assert body["created_case"] is True
    assert body["case_id"] != closed.id


def test_log_call_attaches_to_the_given_case(api: Api) -> None:
    case = factories.make_case()
    db.session.commit()

    response = api.post("/api/v1/calls", json={"case_id": case.id, "direction": "outbound", "channel": "sms"})

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["case_id"] == case.id
    assert body["caller_id"] == case.caller_id
    assert body["case_reference"] == case.reference
    assert body["created_case"] is False


def test_log_call_refuses_a_case_id_that_does_not_exist_and_writes_nothing(api: Api) -> None:
    before = row_counts()

    response = api.post("/api/v1/calls", json={"case_id": 987654321, "phone": "07811 606 606"})

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["case_id"]
    assert row_counts() == before


def test_log_call_refuses_a_number_that_belongs_to_another_callers_case(api: Api) -> None:
    case = factories.make_case(factories.make_caller(phone="07400 555001"))
    db.session.commit()
    before = row_counts()

    response = api.post("/api/v1/calls", json={"case_id": case.id, "phone": "07400 555002"})

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["phone"]
    assert row_counts() == before


@pytest.mark.parametrize("call_type", ["silent", "hang_up", "wrong_number", "prank", "abusive", "professional_enquiry"])
def test_log_call_of_a_non_data_type_creates_no_caller_or_case(api: Api, call_type: str) -> None:
    before = row_counts()

    response = api.post("/api/v1/calls", json={"call_type": call_type, "phone": "07811 606 606"})

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["call_type"] == call_type
    assert body["case_id"] is None
    assert body["case_reference"] is None
    assert body["caller_id"] is None
    after = row_counts()
    assert after["callers"] == before["callers"]
    assert after["cases"] == before["cases"]
    assert after["calls"] == before["calls"] + 1


def test_log_call_of_a_non_data_type_links_a_known_caller_without_changing_them(api: Api) -> None:
    caller = factories.make_caller(phone="07400 555003", name="Sam")
    db.session.commit()

    body = api.post(
        "/api/v1/calls", json={"call_type": "silent", "phone": "07400555003", "caller_name": "X"}
    ).get_json()

    assert body["caller_id"] == caller.id
    db.session.refresh(caller)
    assert caller.name == "Sam"


def test_log_call_records_caller_details_and_call_fields(api: Api) -> None:
    started = now_utc().replace(microsecond=0) - timedelta(minutes=20)
    payload = {
        "phone": "07400 555004",
        "caller_name": "  Alex  ",
        "relationship": "parent",
        "consent_callback": True,
        "consent_voicemail": False,
        "preferred_from": "18:00",
        "preferred_to": "20:30",
        "safe_to_call_notes": "Not at work",
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=12, seconds=5)).isoformat(),
        "reason": "Son using heroin",
        "referral_source": "gp",
        "outcome_summary": "Assessment booked",
        "tags": ["Heroin", " heroin ", "family"],
    }

    body = api.post("/api/v1/calls", json=payload).get_json()

    assert body["duration_seconds"] == 12 * 60 + 5
    assert datetime.fromisoformat(body["started_at"]) == started
    assert body["referral_source"] == "gp"
    assert body["tags"] == ["family", "heroin"]
    caller = db.session.get(Caller, body["caller_id"])
    assert caller is not None
    assert caller.name == "Alex"
    assert caller.relationship.value == "parent"
    assert caller.consent_callback is True
    assert caller.preferred_from is not None
    assert caller.preferred_from.isoformat() == "18:00:00"
    assert caller.safe_to_call_notes == "Not at work"


def test_log_call_answers_times_in_rfc3339_with_the_london_offset(api: Api) -> None:
    body = api.post("/api/v1/calls", json={"started_at": "2026-07-01T12:00:00Z"}).get_json()

    assert body["started_at"] == "2026-07-01T13:00:00+01:00"


def test_log_call_discards_the_draft_it_was_typed_in(api: Api) -> None:
    draft = api.post("/api/v1/calls/drafts", json={"data": {"phone": "0781", "notes": "typing"}}).get_json()

    response = api.post("/api/v1/calls", json={"phone": "07811 606 606", "draft_id": draft["id"]})

    assert response.status_code == 201
    assert db.session.get(CallDraft, draft["id"]) is None


# --- validation: every kind of bad input, each refused whole ------------------------------------------------------

_LONG = "x" * 121


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        # wrong type
        ({"phone": 7811606606}, "phone"),
        ({"consent_callback": "maybe"}, "consent_callback"),
        ({"case_id": "abc"}, "case_id"),
        ({"tags": "heroin"}, "tags"),
        ({"tags": [1]}, "tags.0"),
        ({"started_at": 1732550400}, "started_at"),
        ({"caller_name": ["Jo"]}, "caller_name"),
        # too long
        ({"caller_name": _LONG}, "caller_name"),
        ({"phone": "0" * 41}, "phone"),
        ({"reason": "r" * 501}, "reason"),
        ({"outcome_summary": "o" * 1001}, "outcome_summary"),
        ({"notes": "n" * 20001}, "notes"),
        ({"safe_to_call_notes": "s" * 2001}, "safe_to_call_notes"),
        ({"tags": ["t" * 41]}, "tags.0"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
        # unknown enum value
        ({"direction": "sideways"}, "direction"),
        ({"channel": "fax"}, "channel"),
        ({"call_type": "chat"}, "call_type"),
        ({"relationship": "cousin"}, "relationship"),
        ({"referral_source": "radio"}, "referral_source"),
        # null where a value is needed
        ({"direction": None}, "direction"),
        # bad and naive timestamps
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": "2026-02-30T10:00:00Z"}, "started_at"),
        ({"ended_at": "2026-11-25 25:00"}, "ended_at"),
        ({"started_at": "2026-11-20T10:00:00"}, "started_at"),
        ({"started_at": "2026-11-20"}, "started_at"),
        ({"preferred_from": "7pm", "preferred_to": "20:00"}, "preferred_from"),
        # unknown fields (including the caller's `name`, which the API calls caller_name)
        ({"colour": "red"}, "colour"),
        ({"name": "Jo"}, "name"),
        # the call cannot end before it started, nor start in the future
        ({"started_at": "2026-11-20T10:00:00Z", "ended_at": "2026-11-20T09:59:59Z"}, "ended_at"),
        ({"ended_at": "2000-01-01T00:00:00Z"}, "ended_at"),
        ({"started_at": "2099-01-01T00:00:00Z"}, "started_at"),
        # half a preferred window
        ({"phone": "07400 555099", "preferred_from": "18:00"}, "preferred_to"),
    ],
)
def test_log_call_refuses_bad_input_with_the_field_and_writes_nothing(
    api: Api, payload: dict[str, Any], field: str
) -> None:
    before = row_counts()

    response = api.post("/api/v1/calls", json={"phone": "07811 606 606", **payload})

    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [field]
    assert all(isinstance(m, str) and m for m in error["fields"][field])
    assert row_counts() == before


def test_log_call_reports_every_bad_field_at_once(api: Api) -> None:
    response = api.post("/api/v1/calls", json={"direction": "sideways", "channel": "fax", "started_at": "soon"})

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"direction", "channel", "started_at"}


@pytest.mark.parametrize(
    ("kwargs", "description"),
    [
        ({"data": "phone=07811606606", "content_type": "application/x-www-form-urlencoded"}, "a form"),
        ({"data": "{not json", "content_type": "application/json"}, "malformed JSON"),
        ({"data": "[1, 2]", "content_type": "application/json"}, "a JSON array"),
        ({"data": '"07811606606"', "content_type": "application/json"}, "a JSON string"),
        ({}, "no body"),
    ],
)
def test_log_call_refuses_a_body_that_is_not_a_json_object(api: Api, kwargs: dict[str, Any], description: str) -> None:
    before = row_counts()

    response = api.post("/api/v1/calls", **kwargs)

    assert response.status_code == 400, description
    assert response.get_json()["error"]["code"] == "invalid_json"
    assert row_counts() == before


# --- listing ------------------------------------------------------------------------------------------------------


def _log_calls(n: int, **overrides: Any) -> list[Call]:
    advisor = overrides.pop("actor", None) or factories.make_user()
    case = overrides.pop("case", None) or factories.make_case()
    start = overrides.pop("started_at", now_utc() - timedelta(hours=1))
    calls = [factories.make_call(case, advisor, started_at=start + timedelta(minutes=i), **overrides) for i in range(n)]
    db.session.commit()
    return calls


def test_list_calls_answers_items_and_next(api: Api) -> None:
    calls = _log_calls(2)

    response = api.get("/api/v1/calls")

    body = response.get_json()
    assert set(body) == {"items", "next"}
    assert body["next"] is None
    assert [c["id"] for c in body["items"][:2]] == [calls[1].id, calls[0].id]


def test_list_calls_cursor_walks_every_call_once_newest_first(api: Api) -> None:
    same_instant = now_utc().replace(microsecond=0) - timedelta(hours=2)
    case = factories.make_case()
    advisor = factories.make_user()
    # ties on started_at: the cursor must fall back to the id
    calls = [factories.make_call(case, advisor, started_at=same_instant) for _ in range(4)]
    calls += [factories.make_call(case, advisor, started_at=same_instant + timedelta(seconds=i)) for i in range(1, 4)]
    db.session.commit()

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query: dict[str, Any] = {"case": case.id, "limit": 3}
        if cursor:
            query["cursor"] = cursor
        body = api.get("/api/v1/calls", query_string=query).get_json()
        seen += [c["id"] for c in body["items"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break

    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    expected = sorted(calls, key=lambda c: (c.started_at, c.id), reverse=True)
    assert seen == [c.id for c in expected]


@pytest.mark.parametrize(
    "cursor", ["nonsense", "W10", "WyJ4IiwgMV0", "WzEsIDIsIDNd", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgMV0"]
)
def test_list_calls_refuses_an_invalid_cursor(api: Api, cursor: str) -> None:
    # W10 = [], WyJ4IiwgMV0 = ["x", 1], WzEsIDIsIDNd = [1, 2, 3], the last = a naive time ["2026-01-01T00:00:00", 1]
    response = api.get("/api/v1/calls", query_string={"cursor": cursor})

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["cursor"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"from": "last week"}, "from"),
        ({"to": "2026-11-20T10:00:00"}, "to"),
        ({"advisor": "someone"}, "advisor"),
        ({"case": "abc"}, "case"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_list_calls_refuses_bad_filters(api: Api, query: dict[str, Any], field: str) -> None:
    response = api.get("/api/v1/calls", query_string=query)

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]


def test_list_calls_filters_by_advisor_me_and_by_id(api_as: Callable[..., Api]) -> None:
    me = api_as(Role.ADVISOR)
    other = api_as(Role.ADVISOR)
    case = factories.make_case()
    mine = factories.make_call(case, me.account)
    theirs = factories.make_call(case, other.account)
    db.session.commit()

    by_me = me.get("/api/v1/calls", query_string={"advisor": "me"}).get_json()["items"]
    by_id = me.get("/api/v1/calls", query_string={"advisor": str(other.user_id)}).get_json()["items"]

    assert [c["id"] for c in by_me] == [mine.id]
    assert [c["id"] for c in by_id] == [theirs.id]


def test_list_calls_filters_by_case(api: Api) -> None:
    wanted = _log_calls(2)
    _log_calls(1)

    items = api.get("/api/v1/calls", query_string={"case": wanted[0].case_id}).get_json()["items"]

    assert {c["id"] for c in items} == {c.id for c in wanted}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def clock_change_calls(db_session: Any) -> dict[str, Call]:
    """Calls around Sunday 25 October 2026, when London's clocks go back at 02:00 BST (a 25-hour local day)."""
    case = factories.make_case()
    advisor = factories.make_user()
    instants = {
        "sat_late": "2026-10-24T23:59:00+01:00",
        "sun_00_30_bst": "2026-10-25T00:30:00+01:00",
        "sun_01_30_bst": "2026-10-25T01:30:00+01:00",
        "sun_01_30_gmt": "2026-10-25T01:30:00+00:00",
        "sun_23_59_gmt": "2026-10-25T23:59:00+00:00",
        "mon_00_00": "2026-10-26T00:00:00+00:00",
    }
    calls = {name: factories.make_call(case, advisor, started_at=_utc(at)) for name, at in instants.items()}
    db.session.commit()
    return calls


def test_list_calls_filters_a_clock_change_day_by_local_dates(api: Api, clock_change_calls: dict[str, Call]) -> None:
    case_id = clock_change_calls["sat_late"].case_id

    items = api.get("/api/v1/calls", query_string={"from": "2026-10-25", "to": "2026-10-26", "case": case_id})

    names = {c.id: n for n, c in clock_change_calls.items()}
    assert sorted(names[c["id"]] for c in items.get_json()["items"]) == [
        "sun_00_30_bst",
        "sun_01_30_bst",
        "sun_01_30_gmt",
        "sun_23_59_gmt",
    ]


def test_list_calls_filters_by_instants_with_offsets(api: Api, clock_change_calls: dict[str, Call]) -> None:
    case_id = clock_change_calls["sat_late"].case_id

    # the hour between the two 01:00s: from the first (BST) 01:00 up to the second (GMT) 01:00, exclusive
    response = api.get(
        "/api/v1/calls",
        query_string={"from": "2026-10-25T01:00:00+01:00", "to": "2026-10-25T01:00:00Z", "case": case_id},
    )

    assert [c["id"] for c in response.get_json()["items"]] == [clock_change_calls["sun_01_30_bst"].id]


def test_list_calls_shows_clock_change_times_with_their_own_offsets(
    api: Api, clock_change_calls: dict[str, Call]
) -> None:
    bst, gmt = clock_change_calls["sun_01_30_bst"], clock_change_calls["sun_01_30_gmt"]

    shown = {
        c["id"]: c["started_at"]
        for c in api.get("/api/v1/calls", query_string={"case": bst.case_id}).get_json()["items"]
    }

    assert shown[bst.id] == "2026-10-25T01:30:00+01:00"
    assert shown[gmt.id] == "2026-10-25T01:30:00+00:00"
    assert (bst.local_date.isoformat(), bst.local_hour) == ("2026-10-25", 1)
    assert (gmt.local_date.isoformat(), gmt.local_hour) == ("2026-10-25", 1)


def test_get_call_answers_the_call_and_audits_the_read(api: Api) -> None:
    call = _log_calls(1)[0]

    response = api.get(f"/api/v1/calls/{call.id}")

    assert response.status_code == 200
    assert response.get_json()["id"] == call.id
    assert len(audit_events("call.viewed", entity_id=str(call.id))) == 1


def test_get_call_answers_404_for_an_unknown_call(api: Api) -> None:
    response = api.get("/api/v1/calls/987654321")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


# --- drafts (autosave) --------------------------------------------------------------------------------------------


def test_drafts_are_saved_replaced_and_discarded_by_their_advisor_only(api_as: Callable[..., Api]) -> None:
    mine, other = api_as(), api_as()

    created = mine.post("/api/v1/calls/drafts", json={"data": {"phone": "0781", "consent_sms": True}})
    draft_id = created.get_json()["id"]
    replaced = mine.put(f"/api/v1/calls/drafts/{draft_id}", json={"data": {"phone": "07811 606 606"}})
    stolen = other.put(f"/api/v1/calls/drafts/{draft_id}", json={"data": {"phone": "x"}})
    deleted = mine.delete(f"/api/v1/calls/drafts/{draft_id}")

    assert created.status_code == 201
    assert replaced.get_json()["data"] == {"phone": "07811 606 606"}
    assert stolen.status_code == 404
    assert deleted.status_code == 204
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CallDraft).where(CallDraft.id == draft_id)) == 0
