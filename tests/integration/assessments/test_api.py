"""POST/GET /api/v1/cases/{id}/assessments: immutable revisions, the case's status and risk, the immediate-danger
alert, and validation of every kind of bad answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.assessments.models import Assessment
from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.reference import CaseStatus, CloseReason, RiskLevel
from tests import factories
from tests.integration.api_support import Api, audit_events, row_counts


def _case(**overrides: Any) -> Case:
    case = factories.make_case(**overrides)
    db.session.commit()
    return case


def _record(api: Api, case: Case, **overrides: Any) -> Any:
    return api.post(f"/api/v1/cases/{case.id}/assessments", json=factories.assessment_answers(**overrides))


def test_record_assessment_stores_it_and_moves_the_case_to_assessed_with_its_risk(api: Api) -> None:
    case = _case()
    call = factories.make_call(case)
    db.session.commit()

    response = _record(api, case, risk_level="high", call_id=call.id, notes="Lives with two children")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["revision"] == 1
    assert body["supersedes_id"] is None
    assert body["superseded"] is False
    assert body["form_version"] == 2
    assert body["call_id"] == call.id
    assert body["advisor_id"] == api.user_id
    assert body["consent_recorded_at"] is not None
    assert body["answers"]["substances"] == ["heroin", "alcohol"]
    assert body["answers"]["withdrawal_symptoms"] == ["nausea", "cravings"]
    db.session.refresh(case)
    assert case.status == CaseStatus.ASSESSED
    assert case.risk_level == RiskLevel.HIGH
    [event] = audit_events("assessment.recorded", entity_id=str(body["id"]))
    assert event.detail == {"case_id": case.id, "revision": 1, "risk_level": "high"}


def test_record_assessment_takes_the_primary_substance_as_the_only_substance_when_none_ticked(api: Api) -> None:
    case = _case()

    body = _record(api, case, substances=[], primary_substance="alcohol").get_json()

    assert body["answers"]["substances"] == ["alcohol"]
    assert body["primary_substance"] == "alcohol"


@pytest.mark.parametrize("status", [CaseStatus.REFERRED, CaseStatus.ADMITTED])
def test_record_assessment_leaves_a_later_stage_alone_but_updates_risk(api: Api, status: CaseStatus) -> None:
    case = _case(status=status)

    _record(api, case, risk_level="low")

    db.session.refresh(case)
    assert case.status == status
    assert case.risk_level == RiskLevel.LOW


def test_record_assessment_bumps_the_case_version(api: Api) -> None:
    case = _case()
    version = case.version

    _record(api, case)

    assert api.get(f"/api/v1/cases/{case.id}").get_json()["version"] == version + 1


# --- revisions ----------------------------------------------------------------------------------------------------


def test_correction_links_the_revision_it_supersedes_and_counts_up(api: Api) -> None:
    case = _case()
    first = _record(api, case, risk_level="low").get_json()

    second = _record(api, case, supersedes_id=first["id"], risk_level="high").get_json()
    third = _record(api, case, supersedes_id=second["id"], risk_level="medium").get_json()

    assert (second["revision"], second["supersedes_id"]) == (2, first["id"])
    assert (third["revision"], third["supersedes_id"]) == (3, second["id"])
    listed = api.get(f"/api/v1/cases/{case.id}/assessments").get_json()["items"]
    assert [(a["id"], a["superseded"]) for a in listed] == [
        (third["id"], False),
        (second["id"], True),
        (first["id"], True),
    ]
    db.session.refresh(case)
    assert case.risk_level == RiskLevel.MEDIUM
    original = db.session.get(Assessment, first["id"])
    assert original is not None
    assert original.risk_level == RiskLevel.LOW  # immutable: the correction is a new row


def test_correcting_an_already_corrected_revision_answers_409_and_writes_nothing(api: Api) -> None:
    case = _case()
    first = _record(api, case).get_json()
    _record(api, case, supersedes_id=first["id"])
    before = row_counts()

    response = _record(api, case, supersedes_id=first["id"], risk_level="immediate_danger")

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert row_counts() == before


@pytest.mark.parametrize("field", ["call_id", "supersedes_id"])
def test_record_assessment_refuses_a_call_or_revision_of_another_case(api: Api, field: str) -> None:
    case, other = _case(), _case()
    other_call = factories.make_call(other)
    other_assessment = factories.make_assessment(other)
    db.session.commit()
    before = row_counts()

    response = _record(api, case, **{field: other_call.id if field == "call_id" else other_assessment.id})

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]
    assert row_counts() == before


@pytest.mark.parametrize("field", ["call_id", "supersedes_id"])
def test_record_assessment_refuses_a_call_or_revision_that_does_not_exist(api: Api, field: str) -> None:
    case = _case()
    before = row_counts()

    response = _record(api, case, **{field: 987654321})

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [field]
    assert row_counts() == before


def test_record_assessment_answers_404_for_an_unknown_case(api: Api) -> None:
    response = api.post("/api/v1/cases/987654321/assessments", json=factories.assessment_answers())

    assert response.status_code == 404


def test_list_assessments_audits_the_read(api: Api) -> None:
    case = _case()
    assessment = factories.make_assessment(case)
    db.session.commit()

    api.get(f"/api/v1/cases/{case.id}/assessments")

    [event] = audit_events("assessment.listed", entity_id=str(case.id))
    assert event.detail == {"ids": [assessment.id]}


# --- immediate danger -----------------------------------------------------------------------------------------------


def test_immediate_danger_alerts_every_active_manager_and_admin_but_no_advisor(api_as: Callable[..., Api]) -> None:
    advisor = api_as(Role.ADVISOR)
    manager = api_as(Role.MANAGER)
    admin = api_as(Role.ADMIN)
    away = factories.make_user(role=Role.MANAGER, is_active=False)
    colleague = api_as(Role.ADVISOR)
    case = _case()

    recorded = _record(advisor, case, risk_level="immediate_danger").get_json()

    recipients = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.case_id == case.id)))
    assert {manager.user_id, admin.user_id} <= recipients
    assert not recipients & {advisor.user_id, colleague.user_id, away.id}
    [event] = audit_events("case.emergency_alerted", entity_id=str(case.id))
    assert event.detail["assessment_id"] == recorded["id"]
    assert event.detail["recipients"] == len(recipients)

    inbox = manager.get("/api/v1/notifications").get_json()["items"]
    [alert] = [n for n in inbox if n["case_id"] == case.id]
    assert alert["kind"] == "immediate_danger"
    assert case.reference in alert["title"]
    assert alert["read_at"] is None
    assert [n for n in advisor.get("/api/v1/notifications").get_json()["items"] if n["case_id"] == case.id] == []

    marked = manager.post("/api/v1/notifications/read", json={"ids": [alert["id"]]}).get_json()
    assert marked["marked"] == 1
    unread = manager.get("/api/v1/notifications", query_string={"unread": "true"}).get_json()["items"]
    assert alert["id"] not in [n["id"] for n in unread]


@pytest.mark.parametrize("risk", ["low", "medium", "high"])
def test_assessment_below_immediate_danger_alerts_nobody(api_as: Callable[..., Api], risk: str) -> None:
    api_as(Role.MANAGER)
    advisor = api_as(Role.ADVISOR)
    case = _case()

    _record(advisor, case, risk_level=risk)

    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.case_id == case.id)) == 0
    assert audit_events("case.emergency_alerted", entity_id=str(case.id)) == []


def test_record_assessment_on_a_closed_case_keeps_it_closed(api: Api) -> None:
    case = _case(status=CaseStatus.CLOSED, close_reason=CloseReason.UNREACHABLE)

    response = _record(api, case)

    assert response.status_code == 201
    db.session.refresh(case)
    assert case.status == CaseStatus.CLOSED


# --- validation -----------------------------------------------------------------------------------------------------

_REQUIRED = ["primary_substance", "funding_route", "recommended_pathway", "risk_level", "consent_data_processing"]


@pytest.mark.parametrize("missing", _REQUIRED)
def test_record_assessment_refuses_a_missing_required_answer(api: Api, missing: str) -> None:
    case = _case()
    answers = factories.assessment_answers()
    del answers[missing]
    before = row_counts()

    response = api.post(f"/api/v1/cases/{case.id}/assessments", json=answers)

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == [missing]
    assert row_counts() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        # wrong type
        ({"years_of_use": "many"}, "years_of_use"),
        ({"consent_data_processing": "perhaps"}, "consent_data_processing"),
        ({"substances": "heroin"}, "substances"),
        ({"overdose_history": [True]}, "overdose_history"),
        ({"call_id": "first"}, "call_id"),
        ({"frequency": 3}, "frequency"),
        # out of range / too long
        ({"years_of_use": -1}, "years_of_use"),
        ({"years_of_use": 91}, "years_of_use"),
        ({"withdrawal_onset_hours": 24 * 15}, "withdrawal_onset_hours"),
        ({"frequency": "f" * 201}, "frequency"),
        ({"notes": "n" * 5001}, "notes"),
        ({"safeguarding_notes": "s" * 2001}, "safeguarding_notes"),
        # unknown enum values
        ({"primary_substance": "tea"}, "primary_substance"),
        ({"substances": ["heroin", "tea"], "primary_substance": "heroin"}, "substances.1"),
        ({"route": "osmosis"}, "route"),
        ({"withdrawal_symptoms": ["hiccups"]}, "withdrawal_symptoms.0"),
        ({"funding_route": "lottery"}, "funding_route"),
        ({"recommended_pathway": "holiday"}, "recommended_pathway"),
        ({"risk_level": "extreme"}, "risk_level"),
        ({"risk_level": None}, "risk_level"),
        # bad and naive timestamps
        ({"last_use_at": "last night"}, "last_use_at"),
        ({"last_use_at": "2026-11-24T23:00:00"}, "last_use_at"),
        # unknown fields
        ({"mood": "low"}, "mood"),
        ({"revision": 5}, "revision"),
        # cross-field: the primary substance must be one of those ticked
        ({"substances": ["alcohol"], "primary_substance": "heroin"}, "primary_substance"),
    ],
)
def test_record_assessment_refuses_bad_input_with_the_field_and_writes_nothing(
    api: Api, overrides: dict[str, Any], field: str
) -> None:
    case = _case()
    before = row_counts()

    response = _record(api, case, **overrides)

    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["code"] == "validation_error"
    assert list(response.get_json()["error"]["fields"]) == [field]
    assert row_counts() == before
    db.session.refresh(case)
    assert case.status == CaseStatus.NEW


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "risk_level=high", "content_type": "application/x-www-form-urlencoded"},
        {"data": "{", "content_type": "application/json"},
    ],
)
def test_record_assessment_refuses_a_body_that_is_not_a_json_object(api: Api, kwargs: dict[str, Any]) -> None:
    case = _case()

    response = api.post(f"/api/v1/cases/{case.id}/assessments", **kwargs)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"
