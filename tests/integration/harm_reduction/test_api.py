"""The prompts an assessment raises, recording the response to each (API and the assessment page's buttons), and
the managers' report of them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.assessments.models import Assessment
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.harm_reduction.models import HarmReductionPrompt, PromptResponse
from caseapp.harm_reduction.services import record_response
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.api_support import Api, audit_events

#: heroin and alcohol, smoked, no naloxone, released from prison: every rule applies
RISKY = {"naloxone_held": False, "recent_release": "prison"}


def _assessment(**answers: Any) -> Assessment:
    assessment = factories.make_assessment(factories.make_case(), **answers)
    db.session.commit()
    return assessment


def _prompts(api: Api, assessment: Assessment) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/assessments/{assessment.id}/harm-reduction")
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["items"])


def test_an_assessment_lists_the_prompts_its_answers_raise(api: Api) -> None:
    assessment = _assessment(**RISKY)

    items = _prompts(api, assessment)

    assert [item["rule_code"] for item in items] == ["naloxone", "lowered_tolerance", "mixing_depressants"]
    assert all(item["response"] is None for item in items)
    assert "take-home naloxone" in items[0]["where_to_get_help"]
    [viewed] = audit_events("assessment.viewed", entity_id=str(assessment.id))
    assert viewed.actor_id == api.user_id


def test_no_prompt_is_shown_when_naloxone_is_held_and_nothing_else_applies(api: Api) -> None:
    assessment = _assessment(substances=["heroin"], primary_substance="heroin", naloxone_held=True)

    assert _prompts(api, assessment) == []


def test_an_old_assessment_without_the_new_question_still_reads(api: Api) -> None:
    assessment = _assessment(substances=["heroin"], primary_substance="heroin", naloxone_held=True)
    db.session.execute(sa.update(Assessment).where(Assessment.id == assessment.id).values(answers={"route": "oral"}))
    db.session.commit()

    assert [item["rule_code"] for item in _prompts(api, assessment)] == ["naloxone"]


@pytest.mark.parametrize("response", ["given", "declined", "not_relevant"])
def test_recording_a_response_stores_it_with_the_rule_version_and_audits_it(api: Api, response: str) -> None:
    assessment = _assessment(**RISKY)

    reply = api.post(
        f"/api/v1/assessments/{assessment.id}/harm-reduction", json={"rule_code": "naloxone", "response": response}
    )

    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    assert (body["rule_code"], body["rule_version"], body["response"]) == ("naloxone", 1, response)
    assert (body["case_id"], body["recorded_by_id"]) == (assessment.case_id, api.user_id)
    [item] = [i for i in _prompts(api, assessment) if i["rule_code"] == "naloxone"]
    assert item["response"] == response
    [event] = audit_events("harm_reduction.prompt_recorded", entity_id=str(assessment.id))
    assert event.detail == {
        "case_id": assessment.case_id,
        "rule_code": "naloxone",
        "rule_version": 1,
        "response": response,
    }


def test_recording_again_changes_the_response_and_keeps_one_row(api: Api) -> None:
    assessment = _assessment(**RISKY)
    path = f"/api/v1/assessments/{assessment.id}/harm-reduction"
    api.post(path, json={"rule_code": "naloxone", "response": "declined"})

    assert api.post(path, json={"rule_code": "naloxone", "response": "given"}).status_code == 201

    rows = db.session.scalars(sa.select(HarmReductionPrompt).where(HarmReductionPrompt.assessment_id == assessment.id))
    assert [row.response for row in rows] == [PromptResponse.GIVEN]
    assert len(audit_events("harm_reduction.prompt_recorded", entity_id=str(assessment.id))) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rule_code": "naloxone", "response": "maybe"}, "response"),
        ({"rule_code": "naloxone"}, "response"),
        ({"rule_code": "no_such_rule", "response": "given"}, "rule_code"),
    ],
)
def test_an_invalid_response_is_422_and_writes_nothing(api: Api, body: dict[str, Any], field: str) -> None:
    assessment = _assessment(**RISKY)

    reply = api.post(f"/api/v1/assessments/{assessment.id}/harm-reduction", json=body)

    assert reply.status_code == 422
    assert field in reply.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HarmReductionPrompt)) == 0


def test_a_prompt_the_assessment_did_not_raise_is_422(api: Api) -> None:
    assessment = _assessment(substances=["cocaine"], primary_substance="cocaine", route="snorting")

    reply = api.post(
        f"/api/v1/assessments/{assessment.id}/harm-reduction", json={"rule_code": "naloxone", "response": "given"}
    )

    assert reply.status_code == 422
    assert "rule_code" in reply.get_json()["error"]["fields"]


def test_an_advisor_without_a_relationship_gets_403(api_as: Callable[..., Api]) -> None:
    owner = factories.make_user(role=Role.ADVISOR)
    assessment = factories.make_assessment(factories.make_case(actor=owner), actor=owner, **RISKY)
    db.session.commit()
    stranger = api_as(Role.ADVISOR)
    path = f"/api/v1/assessments/{assessment.id}/harm-reduction"

    assert stranger.get(path).status_code == 403
    assert stranger.post(path, json={"rule_code": "naloxone", "response": "given"}).status_code == 403


# --- pages -------------------------------------------------------------------------------------------------------


def _first_case_and_token(client: FlaskClient) -> tuple[Case, str]:
    case = factories.make_case()
    db.session.commit()
    token = csrf_token_from(client.get(f"/cases/{case.id}/assessments/new").get_data(as_text=True))
    return case, token


def _form(token: str, **answers: Any) -> dict[str, Any]:
    data = {
        "csrf_token": token,
        "primary_substance": "heroin",
        "funding_route": "unknown",
        "recommended_pathway": "medical_detox",
        "risk_level": "medium",
        "consent_data_processing": "true",
    }
    data.update(answers)
    return data


def test_saving_an_assessment_that_raises_prompts_shows_them_with_buttons(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case, token = _first_case_and_token(client)

    saved = client.post(
        f"/cases/{case.id}/assessments/new",
        data=_form(token, substances=["heroin", "benzodiazepines"], naloxone_held="false", recent_release="detox"),
    )

    assert saved.status_code == 302
    assert "/assessments/" in saved.headers["Location"]
    assert saved.headers["Location"].endswith("#harm-reduction")
    page = client.get(saved.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert "Harm-reduction advice to offer" in page
    for code in ("naloxone", "lowered_tolerance", "mixing_depressants"):
        assert f'data-rule="{code}"' in page
    assert 'value="declined"' in page
    assert "Left prison, detox or rehab in the last 4 weeks" in page
    assert "Finished a detox" in page


def test_saving_an_assessment_that_raises_none_goes_back_to_the_case(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case, token = _first_case_and_token(client)

    saved = client.post(
        f"/cases/{case.id}/assessments/new",
        data=_form(token, substances=["cannabis"], primary_substance="cannabis"),
    )

    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/cases/{case.id}")


def test_the_buttons_record_the_response(client: FlaskClient, login_as: Any) -> None:
    user = login_as(Role.ADVISOR)
    assessment = factories.make_assessment(factories.make_case(), actor=user, **RISKY)
    db.session.commit()
    token = csrf_token_from(client.get(f"/assessments/{assessment.id}").get_data(as_text=True))

    reply = client.post(
        f"/assessments/{assessment.id}/harm-reduction",
        data={"csrf_token": token, "rule_code": "mixing_depressants", "response": "not_relevant"},
    )

    assert reply.status_code == 302
    row = db.session.scalars(sa.select(HarmReductionPrompt)).one()
    assert (row.rule_code, row.response, row.recorded_by_id) == ("mixing_depressants", "not_relevant", user.id)
    assert "Recorded: not relevant" in client.get(f"/assessments/{assessment.id}").get_data(as_text=True)


def test_a_button_with_an_invalid_response_is_422(client: FlaskClient, login_as: Any) -> None:
    user = login_as(Role.ADVISOR)
    assessment = factories.make_assessment(factories.make_case(), actor=user, **RISKY)
    db.session.commit()
    token = csrf_token_from(client.get(f"/assessments/{assessment.id}").get_data(as_text=True))

    reply = client.post(
        f"/assessments/{assessment.id}/harm-reduction",
        data={"csrf_token": token, "rule_code": "naloxone", "response": "perhaps"},
    )

    assert reply.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HarmReductionPrompt)) == 0


# --- the report --------------------------------------------------------------------------------------------------


def _recorded(advisor: User, at: datetime, code: str, response: PromptResponse) -> None:
    assessment = factories.make_assessment(factories.make_case(actor=advisor), actor=advisor, **RISKY)
    prompt = record_response(assessment, code, response, actor=advisor)
    prompt.recorded_at = at
    db.session.commit()


def test_the_report_counts_responses_per_rule_and_per_london_day(api_as: Callable[..., Api]) -> None:
    advisor = factories.make_user(role=Role.ADVISOR)
    given, declined, not_relevant = PromptResponse.GIVEN, PromptResponse.DECLINED, PromptResponse.NOT_RELEVANT
    # the clocks go forward at 01:00 UTC on 29 March 2026
    _recorded(advisor, datetime(2026, 3, 28, 23, 30, tzinfo=UTC), "naloxone", given)  # 28th, GMT
    _recorded(advisor, datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "naloxone", given)  # 29th, GMT
    _recorded(advisor, datetime(2026, 3, 29, 23, 30, tzinfo=UTC), "naloxone", declined)  # 30th 00:30 BST
    _recorded(advisor, datetime(2026, 3, 29, 12, 0, tzinfo=UTC), "mixing_depressants", not_relevant)
    _recorded(advisor, datetime(2026, 3, 30, 9, 0, tzinfo=UTC), "lowered_tolerance", given)
    _recorded(advisor, datetime(2026, 3, 31, 0, 0, tzinfo=UTC), "lowered_tolerance", given)  # 31st 01:00 BST: after
    _recorded(advisor, datetime(2026, 3, 27, 23, 59, tzinfo=UTC), "naloxone", declined)  # before
    manager = api_as(Role.MANAGER)

    reply = manager.get("/api/v1/reports/harm-reduction?from=2026-03-28&to=2026-03-31")

    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    assert body["timezone"] == "Europe/London"
    assert body["rules"] == [
        {"rule_code": "naloxone", "title": "Naloxone", "given": 2, "declined": 1, "not_relevant": 0, "total": 3},
        {
            "rule_code": "lowered_tolerance",
            "title": "Lowered tolerance",
            "given": 1,
            "declined": 0,
            "not_relevant": 0,
            "total": 1,
        },
        {
            "rule_code": "mixing_depressants",
            "title": "Mixing depressants",
            "given": 0,
            "declined": 0,
            "not_relevant": 1,
            "total": 1,
        },
    ]
    assert body["days"] == [
        {"day": "2026-03-28", "rule_code": "naloxone", "response": "given", "count": 1},
        {"day": "2026-03-29", "rule_code": "mixing_depressants", "response": "not_relevant", "count": 1},
        {"day": "2026-03-29", "rule_code": "naloxone", "response": "given", "count": 1},
        {"day": "2026-03-30", "rule_code": "lowered_tolerance", "response": "given", "count": 1},
        {"day": "2026-03-30", "rule_code": "naloxone", "response": "declined", "count": 1},
    ]


def test_the_report_is_for_managers_only_and_checks_its_period(api_as: Callable[..., Api]) -> None:
    assert api_as(Role.ADVISOR).get("/api/v1/reports/harm-reduction").status_code == 403
    manager = api_as(Role.MANAGER)
    assert manager.get("/api/v1/reports/harm-reduction").status_code == 200
    bad = manager.get("/api/v1/reports/harm-reduction?from=2026-03-10&to=2026-03-01")
    assert bad.status_code == 422
    assert "to" in bad.get_json()["error"]["fields"]


def test_the_reports_page_shows_the_counts_per_prompt(client: FlaskClient, login_as: Any) -> None:
    advisor = factories.make_user(role=Role.ADVISOR)
    _recorded(advisor, datetime(2026, 3, 30, 9, 0, tzinfo=UTC), "naloxone", PromptResponse.DECLINED)
    _recorded(advisor, datetime(2026, 3, 30, 10, 0, tzinfo=UTC), "naloxone", PromptResponse.DECLINED)
    login_as(Role.MANAGER)

    page = client.get("/reports/?from=2026-03-29&to=2026-03-31").get_data(as_text=True)

    assert "Harm-reduction advice" in page
    assert '<tr><th scope="row">Naloxone</th><td>0</td><td>2</td><td>0</td><td>2</td></tr>' in page
