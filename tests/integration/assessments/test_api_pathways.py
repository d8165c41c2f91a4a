"""POST /api/v1/cases/{id}/assessments and the screenings' suggested pathway: answered with the suggestion and
whether it was followed; a different pathway needs `pathway_override_reason`; the immediate-danger answer."""

from __future__ import annotations

from typing import Any

from caseapp.assessments.models import Assessment
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.screenings.instruments import AUDIT, SADQ, InstrumentCode
from caseapp.screenings.services import record_screening
from tests import factories
from tests.integration.api_support import Api, row_counts
from tests.unit.screenings.support import answers_scoring


def _case_screened(code: InstrumentCode, answers: dict[str, int]) -> Case:
    case = factories.make_case()
    record_screening(case, code, answers, actor=factories.make_user())
    db.session.commit()
    return case


def _record(api: Api, case: Case, **overrides: Any) -> Any:
    return api.post(f"/api/v1/cases/{case.id}/assessments", json=factories.assessment_answers(**overrides))


def test_the_suggested_pathway_followed_is_answered_and_recorded(api: Api) -> None:
    case = _case_screened(InstrumentCode.SADQ, answers_scoring(SADQ, 31))  # severe: medical detox

    response = _record(api, case, recommended_pathway="medical_detox")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["suggested_pathway"] == "medical_detox"
    assert body["pathway_followed"] is True
    assert body["answers"]["pathway_suggestions"][0]["instrument"] == "sadq"


def test_a_different_pathway_without_a_reason_is_a_field_error(api: Api) -> None:
    case = _case_screened(InstrumentCode.AUDIT, answers_scoring(AUDIT, 3))  # lower risk: no further action
    before = row_counts()

    response = _record(api, case, recommended_pathway="residential_rehab")

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert list(error["fields"]) == ["pathway_override_reason"]
    assert "No further action" in error["fields"]["pathway_override_reason"][0]
    assert row_counts() == before


def test_a_different_pathway_with_a_reason_is_recorded_encrypted(api: Api) -> None:
    case = _case_screened(InstrumentCode.AUDIT, answers_scoring(AUDIT, 3))

    response = _record(
        api, case, recommended_pathway="residential_rehab", pathway_override_reason="Relapsed after two detoxes"
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["suggested_pathway"] == "no_further_action"
    assert body["pathway_followed"] is False
    assert body["answers"]["pathway_override_reason"] == "Relapsed after two detoxes"
    raw = db.session.execute(db.text("SELECT answers FROM assessments WHERE id = :id"), {"id": body["id"]}).scalar_one()
    assert "Relapsed" not in str(raw)  # in the encrypted answers


def test_without_screenings_nothing_is_suggested_and_no_reason_is_needed(api: Api) -> None:
    case = factories.make_case()
    db.session.commit()

    response = _record(api, case, recommended_pathway="residential_rehab")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["suggested_pathway"] is None
    assert body["pathway_followed"] is None


def test_yes_to_immediate_danger_cannot_come_with_a_lower_risk_level(api: Api) -> None:
    case = factories.make_case()
    db.session.commit()

    response = _record(api, case, immediate_danger=True, risk_level="low")

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["risk_level"]
    assert db.session.query(Assessment).filter_by(case_id=case.id).count() == 0


def test_immediate_danger_as_the_risk_level_is_recorded_as_the_first_answer(api: Api) -> None:
    case = factories.make_case()
    db.session.commit()

    response = _record(api, case, risk_level="immediate_danger")

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["answers"]["immediate_danger"] is True
