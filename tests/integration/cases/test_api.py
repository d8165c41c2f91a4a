"""GET/PATCH /api/v1/cases/{id}, the timeline and the case list: the status workflow, optimistic concurrency,
assignment, audit of every read and change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason, RiskLevel
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import Api, audit_events, row_counts

S = CaseStatus

#: the workflow of issue 3, written out here (not read from the code) so a change to the rules fails a test
ALLOWED = [
    (S.NEW, S.ASSESSING),
    (S.NEW, S.ASSESSED),
    (S.NEW, S.CLOSED),
    (S.ASSESSING, S.ASSESSED),
    (S.ASSESSING, S.CLOSED),
    (S.ASSESSED, S.ASSESSING),
    (S.ASSESSED, S.REFERRED),
    (S.ASSESSED, S.CLOSED),
    (S.REFERRED, S.ADMITTED),
    (S.REFERRED, S.ASSESSED),
    (S.REFERRED, S.CLOSED),
    (S.ADMITTED, S.CLOSED),
    (S.CLOSED, S.ASSESSING),
]
REFUSED = [
    (S.NEW, S.REFERRED),
    (S.NEW, S.ADMITTED),
    (S.ASSESSING, S.REFERRED),
    (S.ASSESSING, S.NEW),
    (S.ASSESSED, S.ADMITTED),
    (S.REFERRED, S.NEW),
    (S.ADMITTED, S.ASSESSED),
    (S.ADMITTED, S.REFERRED),
    (S.CLOSED, S.NEW),
    (S.CLOSED, S.ADMITTED),
]


def _case_in(status: CaseStatus, **overrides: Any) -> Case:
    if status == S.CLOSED:
        overrides.setdefault("close_reason", CloseReason.SIGNPOSTED)
        overrides.setdefault("closed_at", now_utc())
    case = factories.make_case(status=status, **overrides)
    db.session.commit()
    return case


def _patch(api: Api, case: Case, **changes: Any) -> Any:
    db.session.refresh(case)
    return api.patch(f"/api/v1/cases/{case.id}", json={"version": case.version, **changes})


# --- reading ------------------------------------------------------------------------------------------------------


def test_get_case_answers_the_case_with_its_version_and_audits_the_read(api: Api) -> None:
    case = _case_in(S.NEW)

    response = api.get(f"/api/v1/cases/{case.id}")

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == case.id
    assert body["reference"] == case.reference
    assert body["version"] == case.version
    assert body["status"] == "new"
    assert body["caller"]["id"] == case.caller_id
    [event] = audit_events("case.viewed", entity_id=str(case.id))
    assert event.actor_id == api.user_id


def test_get_case_answers_404_envelope_for_an_unknown_case(api: Api) -> None:
    response = api.get("/api/v1/cases/987654321")

    assert response.status_code == 404
    assert response.get_json()["error"] == {"code": "not_found", "message": "No such case.", "fields": {}}


def test_timeline_lists_calls_assessments_and_notes_newest_first_and_audits_the_read(api: Api) -> None:
    case = factories.make_case()
    advisor = factories.make_user()
    call = factories.make_call(case, advisor, started_at=now_utc() - timedelta(hours=2))
    assessment = factories.make_assessment(case, advisor)
    db.session.commit()
    note = api.post(f"/api/v1/cases/{case.id}/notes", json={"body": "Called back, no answer"}).get_json()

    response = api.get(f"/api/v1/cases/{case.id}/timeline")

    items = response.get_json()["items"]
    assert [(e["kind"], e["id"]) for e in items] == [
        ("note", note["id"]),
        ("assessment", assessment.id),
        ("call", call.id),
    ]
    assert response.get_json()["next"] is None
    assert len(audit_events("case.viewed", entity_id=str(case.id))) == 1
    assert "Called back" not in str([e["summary"] for e in items])


# --- the status workflow ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end"), ALLOWED, ids=lambda s: s.value)
def test_patch_case_allows_the_workflow_transition(api: Api, start: CaseStatus, end: CaseStatus) -> None:
    case = _case_in(start)
    version = case.version
    changes: dict[str, Any] = {"status": end.value}
    if end == S.CLOSED:
        changes["close_reason"] = "treatment_started"

    response = _patch(api, case, **changes)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == end.value
    assert body["version"] == version + 1
    [event] = audit_events("case.updated", entity_id=str(case.id))
    assert event.detail["status"] == [start.value, end.value]


@pytest.mark.parametrize(("start", "end"), REFUSED, ids=lambda s: s.value)
def test_patch_case_refuses_a_transition_outside_the_workflow(api: Api, start: CaseStatus, end: CaseStatus) -> None:
    case = _case_in(start)
    version = case.version
    before = row_counts()

    response = _patch(api, case, status=end.value)

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["status"]
    db.session.refresh(case)
    assert case.status == start
    assert case.version == version
    assert row_counts() == before


def test_patch_case_to_the_same_status_changes_nothing(api: Api) -> None:
    case = _case_in(S.ASSESSED)
    version = case.version

    response = _patch(api, case, status="assessed")

    assert response.status_code == 200
    assert response.get_json()["version"] == version
    assert audit_events("case.updated", entity_id=str(case.id)) == []


def test_patch_case_closing_needs_a_close_reason(api: Api) -> None:
    case = _case_in(S.ASSESSED)

    missing = _patch(api, case, status="closed")
    null = _patch(api, case, status="closed", close_reason=None)

    for response in (missing, null):
        assert response.status_code == 422
        assert list(response.get_json()["error"]["fields"]) == ["close_reason"]
    db.session.refresh(case)
    assert case.status == S.ASSESSED


def test_patch_case_closing_records_reason_and_time(api: Api) -> None:
    case = _case_in(S.REFERRED)

    body = _patch(api, case, status="closed", close_reason="declined").get_json()

    assert body["status"] == "closed"
    assert body["close_reason"] == "declined"
    assert body["closed_at"] is not None


def test_patch_case_refuses_a_close_reason_without_closing(api: Api) -> None:
    case = _case_in(S.NEW)

    response = _patch(api, case, close_reason="declined")

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["close_reason"]


def test_patch_case_reopening_clears_the_close_reason(api: Api) -> None:
    case = _case_in(S.CLOSED)

    body = _patch(api, case, status="assessing").get_json()

    assert body["status"] == "assessing"
    assert body["close_reason"] is None
    assert body["closed_at"] is None


# --- optimistic concurrency ---------------------------------------------------------------------------------------


def test_patch_case_with_a_stale_version_answers_409_with_the_current_version_and_overwrites_nothing(
    api_as: Callable[..., Api],
) -> None:
    first, second = api_as(), api_as()
    case = _case_in(S.NEW, assigned_advisor_id=None)  # in the pool: both advisors may work on it
    read = first.get(f"/api/v1/cases/{case.id}").get_json()
    second.get(f"/api/v1/cases/{case.id}")
    won = second.patch(f"/api/v1/cases/{case.id}", json={"version": read["version"], "risk_level": "high"})
    before = row_counts()

    stale = first.patch(
        f"/api/v1/cases/{case.id}", json={"version": read["version"], "risk_level": "low", "status": "assessing"}
    )

    assert won.status_code == 200
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "conflict"
    assert error["current_version"] == won.get_json()["version"] == read["version"] + 1
    db.session.refresh(case)
    assert case.risk_level == RiskLevel.HIGH
    assert case.status == S.NEW
    assert row_counts() == before


def test_patch_case_with_a_newer_version_than_exists_answers_409(api: Api) -> None:
    case = _case_in(S.NEW)

    response = api.patch(f"/api/v1/cases/{case.id}", json={"version": case.version + 5, "risk_level": "low"})

    assert response.status_code == 409
    assert response.get_json()["error"]["current_version"] == case.version


# --- assignment and risk ------------------------------------------------------------------------------------------


def test_open_case_assigns_the_advisor_who_took_the_call(api: Api) -> None:
    body = api.post("/api/v1/calls", json={"phone": factories.unique_phone()}).get_json()

    case = api.get(f"/api/v1/cases/{body['case_id']}").get_json()

    assert case["assigned_advisor_id"] == body["advisor_id"]


def test_patch_case_assigns_and_unassigns_an_active_member_of_staff(api_as: Callable[..., Api]) -> None:
    api = api_as(Role.MANAGER)  # an advisor who gives the case away no longer has it to take back
    case = _case_in(S.NEW)
    opener = case.assigned_advisor_id
    manager = factories.make_user(role=Role.MANAGER)
    db.session.commit()

    assigned = _patch(api, case, assigned_advisor_id=manager.id)
    unassigned = _patch(api, case, assigned_advisor_id=None)

    assert assigned.get_json()["assigned_advisor_id"] == manager.id
    assert unassigned.get_json()["assigned_advisor_id"] is None
    events = audit_events("case.updated", entity_id=str(case.id))
    assert [e.detail["assigned_advisor_id"] for e in events] == [
        [str(opener), str(manager.id)],
        [str(manager.id), None],
    ]


def test_patch_case_refuses_assignment_to_an_inactive_user(api: Api) -> None:
    case = _case_in(S.NEW)
    opener = case.assigned_advisor_id
    gone = factories.make_user(is_active=False)
    db.session.commit()

    response = _patch(api, case, assigned_advisor_id=gone.id)

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["assigned_advisor_id"]
    db.session.refresh(case)
    assert case.assigned_advisor_id == opener


def test_patch_case_refuses_assignment_to_an_unknown_user(api: Api) -> None:
    case = _case_in(S.NEW)

    response = _patch(api, case, assigned_advisor_id=987654321)

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["assigned_advisor_id"]


def test_patch_case_refused_in_part_writes_none_of_it(api: Api) -> None:
    """A valid status change with an invalid assignment: the status must not be saved either."""
    case = _case_in(S.NEW)
    version, opener = case.version, case.assigned_advisor_id
    gone = factories.make_user(is_active=False)
    db.session.commit()
    before = row_counts()

    response = _patch(api, case, status="assessing", risk_level="high", assigned_advisor_id=gone.id)

    assert response.status_code == 422
    db.session.refresh(case)
    assert case.status == S.NEW
    assert case.risk_level is None
    assert case.assigned_advisor_id == opener
    assert case.version == version
    assert row_counts() == before


def test_patch_case_sets_the_risk_level(api: Api) -> None:
    case = _case_in(S.ASSESSED)

    body = _patch(api, case, risk_level="immediate_danger").get_json()

    assert body["risk_level"] == "immediate_danger"
    [event] = audit_events("case.updated", entity_id=str(case.id))
    assert event.detail == {"risk_level": [None, "immediate_danger"]}


# --- validation -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "assessing"}, "version"),  # missing required
        ({"version": "one"}, "version"),  # wrong type
        ({"version": None}, "version"),
        ({"version": 1, "assigned_advisor_id": "bob"}, "assigned_advisor_id"),
        ({"version": 1, "status": 3}, "status"),
        ({"version": 1, "status": "escalated"}, "status"),  # unknown enum
        ({"version": 1, "status": None}, "status"),
        ({"version": 1, "risk_level": "extreme"}, "risk_level"),
        ({"version": 1, "risk_level": None}, "risk_level"),
        ({"version": 1, "status": "closed", "close_reason": "bored"}, "close_reason"),
        ({"version": 1, "reference": "CA-2026-000001"}, "reference"),  # unknown field
        ({"version": 1, "caller_id": 1}, "caller_id"),
    ],
)
def test_patch_case_refuses_bad_input_with_the_field(api: Api, payload: dict[str, Any], field: str) -> None:
    case = _case_in(S.NEW)
    before = row_counts()

    response = api.patch(f"/api/v1/cases/{case.id}", json=payload)

    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["error"]["fields"]) == [field]
    db.session.refresh(case)
    assert (case.status, case.version) == (S.NEW, 1)
    assert row_counts() == before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "version=1&status=assessing", "content_type": "application/x-www-form-urlencoded"},
        {"data": "{", "content_type": "application/json"},
        {"data": "null", "content_type": "application/json"},
    ],
)
def test_patch_case_refuses_a_body_that_is_not_a_json_object(api: Api, kwargs: dict[str, Any]) -> None:
    case = _case_in(S.NEW)

    response = api.patch(f"/api/v1/cases/{case.id}", **kwargs)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_patch_case_answers_404_for_an_unknown_case(api: Api) -> None:
    response = api.patch("/api/v1/cases/987654321", json={"version": 1, "status": "assessing"})

    assert response.status_code == 404


# --- notes --------------------------------------------------------------------------------------------------------


def test_add_note_refuses_an_empty_note(api: Api) -> None:
    case = _case_in(S.NEW)
    before = row_counts()

    blank = api.post(f"/api/v1/cases/{case.id}/notes", json={"body": "   "})
    missing = api.post(f"/api/v1/cases/{case.id}/notes", json={})

    assert blank.status_code == missing.status_code == 422
    assert list(blank.get_json()["error"]["fields"]) == list(missing.get_json()["error"]["fields"]) == ["body"]
    assert row_counts() == before


def test_add_note_audits_the_note_id_not_its_text(api: Api) -> None:
    case = _case_in(S.NEW)

    note = api.post(f"/api/v1/cases/{case.id}/notes", json={"body": "Partner must not know"}).get_json()

    [event] = audit_events("case.note_added", entity_id=str(case.id))
    assert event.detail == {"note_id": note["id"]}


# --- the list -----------------------------------------------------------------------------------------------------


def _ids(api: Api, **query: Any) -> list[int]:
    response = api.get("/api/v1/cases", query_string=query)
    assert response.status_code == 200, response.get_json()
    return [c["id"] for c in response.get_json()["items"]]


def test_list_cases_cursor_walks_every_case_once_most_recently_updated_first(api_as: Callable[..., Api]) -> None:
    api = api_as(Role.MANAGER)  # another advisor's cases: a manager's list (an advisor's: tests/integration/access)
    advisor = factories.make_user()
    tie = now_utc() - timedelta(hours=1)
    # six cases updated at the same instant (the cursor must fall back to the id), one updated later
    cases = [factories.make_case(assigned_advisor_id=advisor.id, updated_at=tie) for _ in range(7)]
    cases[2].updated_at = tie + timedelta(minutes=5)
    db.session.commit()

    seen: list[int] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"advisor": str(advisor.id), "limit": 2}
        if cursor:
            query["cursor"] = cursor
        body = api.get("/api/v1/cases", query_string=query).get_json()
        assert set(body) == {"items", "next"}
        seen += [c["id"] for c in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen)) == 7
    assert seen[0] == cases[2].id
    assert seen[1:] == sorted((c.id for c in cases if c is not cases[2]), reverse=True)


def test_list_cases_filters_by_status_risk_and_advisor(api_as: Callable[..., Api]) -> None:
    me = api_as(Role.MANAGER)  # filtering by another advisor is a manager's list
    other = factories.make_user()
    mine_new = _case_in(S.NEW, assigned_advisor_id=me.user_id, risk_level=RiskLevel.HIGH)
    mine_referred = _case_in(S.REFERRED, assigned_advisor_id=me.user_id, risk_level=RiskLevel.LOW)
    theirs_closed = _case_in(S.CLOSED, assigned_advisor_id=other.id, risk_level=RiskLevel.HIGH)

    assert _ids(me, advisor="me") == [mine_referred.id, mine_new.id]
    assert _ids(me, advisor=str(other.id)) == [theirs_closed.id]
    assert _ids(me, advisor="me", status="referred") == [mine_referred.id]
    assert set(_ids(me, status=["new", "closed"], risk="high")) >= {mine_new.id, theirs_closed.id}
    assert mine_referred.id not in _ids(me, status=["new", "closed"], risk="high")
    assert _ids(me, advisor=str(other.id), open="true") == []
    assert _ids(me, advisor="me", risk=["low", "medium"]) == [mine_referred.id]


def test_list_cases_audits_the_ids_it_showed(api_as: Callable[..., Api]) -> None:
    api = api_as(Role.MANAGER)
    case = _case_in(S.NEW, assigned_advisor_id=factories.make_user().id)

    api.get("/api/v1/cases", query_string={"advisor": str(case.assigned_advisor_id)})

    [event] = audit_events("case.listed", actor_id=api.user_id)
    assert event.detail == {"ids": [case.id]}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJ4IiwgMV0"}, "cursor"),
        ({"status": "escalated"}, "status.0"),
        ({"risk": "extreme"}, "risk.0"),
        ({"advisor": "you"}, "advisor"),
        ({"open": "perhaps"}, "open"),
        ({"limit": 1000}, "limit"),
    ],
)
def test_list_cases_refuses_bad_filters(api: Api, query: dict[str, Any], field: str) -> None:
    response = api.get("/api/v1/cases", query_string=query)

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]
