"""The risk-first assessment page: immediate danger asked first, then the essentials, the rest in sections to open;
the screenings' suggested pathway beside the pathway question; old form versions still shown by their own layout."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from caseapp.assessments.models import Assessment
from caseapp.auth.models import Role
from caseapp.emergencies import queries as emergency_queries
from caseapp.extensions import db
from caseapp.reference import FundingRoute, Pathway, RiskLevel, Substance
from caseapp.screenings.instruments import AUDIT, InstrumentCode
from caseapp.screenings.services import record_screening
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.api_support import audit_events
from tests.integration.page_support import check_error_summary
from tests.unit.screenings.support import answers_scoring

FORM = {
    "immediate_danger": "false",
    "primary_substance": "alcohol",
    "route": "oral",
    "risk_level": "high",
    "substances": ["alcohol"],
    "frequency": "every evening",
    "funding_route": "unknown",
    "recommended_pathway": "medical_detox",
    "consent_data_processing": "true",
    "notes": "Drinks alone since the redundancy",
}


def _audit_screening(case: Any, total: int) -> Any:
    screening = record_screening(case, InstrumentCode.AUDIT, answers_scoring(AUDIT, total), actor=factories.make_user())
    db.session.commit()
    return screening


def _post(client: FlaskClient, case: Any, **changes: Any) -> Any:
    page = client.get(f"/cases/{case.id}/assessments/new").get_data(as_text=True)
    data = {**FORM, **changes, "csrf_token": csrf_token_from(page)}
    return client.post(f"/cases/{case.id}/assessments/new", data={k: v for k, v in data.items() if v is not None})


def _form_html(page: str) -> str:
    return page[page.index('<form method="post" novalidate class="assessment"') :]


def test_immediate_danger_is_the_first_question_and_the_essentials_precede_the_sections(
    client: FlaskClient, login_as: Any
) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()

    form = _form_html(client.get(f"/cases/{case.id}/assessments/new").get_data(as_text=True))

    names = re.findall(r'<(?:input|select|textarea)[^>]*\bname="(\w+)"', form)
    questions = [n for n in names if n not in ("csrf_token",)]
    assert questions[:2] == ["immediate_danger", "immediate_danger"]
    assert form.index('id="emergency-guidance"') < form.index('id="essentials"')  # the guidance beside it
    essentials = form[form.index('id="essentials"') : form.index("<details")]
    for name in ("primary_substance", "last_use_at", "route", "risk_level"):
        assert f'name="{name}"' in essentials
    assert "About: the caller themselves" in essentials
    assert form.count('<details class="form-section">') == 5  # closed until opened
    assert form.index('name="notes"') > form.index("<details")


def test_a_different_pathway_without_a_reason_is_a_field_error_and_everything_typed_stays(
    client: FlaskClient, login_as: Any
) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()
    _audit_screening(case, 12)  # increasing risk: signposted

    response = _post(client, case)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    suggestion = page[page.index('id="pathway-suggestions"') :]
    assert "Signposted elsewhere" in suggestion[:400]
    assert "AUDIT 8 to 15" in suggestion[:600]
    field = page[page.index('id="f-pathway_override_reason"') - 200 :]
    assert "Say why you chose a different pathway." in field[:900]
    assert 'value="medical_detox" checked' in page
    assert "Drinks alone since the redundancy" in page
    assert 'value="every evening"' in page
    assert db.session.query(Assessment).filter_by(case_id=case.id).count() == 0


def test_a_different_pathway_with_a_reason_records_both(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()
    screening = _audit_screening(case, 12)

    response = _post(client, case, pathway_override_reason="Withdrawal fits last month: needs detox")

    assert response.status_code == 302
    assessment = db.session.query(Assessment).filter_by(case_id=case.id).one()
    assert assessment.recommended_pathway == Pathway.MEDICAL_DETOX
    assert assessment.answers["suggested_pathway"] == "signposted"
    assert assessment.answers["pathway_followed"] is False
    assert assessment.answers["pathway_override_reason"] == "Withdrawal fits last month: needs detox"
    assert assessment.answers["pathway_suggestions"][0]["screening_id"] == screening.id
    assert assessment.answers["pathway_suggestions"][0]["band"] == "increasing_risk"


def test_an_accepted_suggestion_is_recorded_and_shown(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()
    screening = _audit_screening(case, 22)  # possible dependence: outpatient

    response = _post(client, case, recommended_pathway="outpatient")

    assert response.status_code == 302
    assessment = db.session.query(Assessment).filter_by(case_id=case.id).one()
    assert assessment.form_version == 2
    assert assessment.answers["suggested_pathway"] == "outpatient"
    assert assessment.answers["pathway_followed"] is True
    assert assessment.answers["pathway_override_reason"] is None
    assert assessment.answers["pathway_suggestions"][0]["instrument"] == "audit"
    assert assessment.answers["pathway_suggestions"][0]["screening_id"] == screening.id
    (event,) = audit_events("assessment.recorded")
    assert event.detail["pathway_followed"] is True

    summary = client.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "Pathway the screenings suggested</th><td>Outpatient / community" in summary
    assert "Suggestion followed</th><td>Yes" in summary
    assert "Why it was suggested</th><td>AUDIT 20 or more (possible dependence)" in summary


def test_yes_to_immediate_danger_records_it_as_the_risk_level(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()

    response = _post(client, case, immediate_danger="true", risk_level=None)

    assert response.status_code == 302
    assessment = db.session.query(Assessment).filter_by(case_id=case.id).one()
    assert assessment.risk_level == RiskLevel.IMMEDIATE_DANGER
    assert assessment.answers["immediate_danger"] is True
    assert emergency_queries.find_latest_alert(case.id) is not None  # the managers were alerted


def test_no_risk_level_is_an_error_next_to_it_with_the_other_missing_answers(
    client: FlaskClient, login_as: Any
) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()

    response = _post(client, case, risk_level=None, primary_substance=None)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = page[page.index('id="f-risk_level"') :]
    assert "Choose an answer." in field[:200]
    links = [href for href, _ in check_error_summary(page).summary_links]
    assert "#f-risk_level" in links
    assert "#f-primary_substance" in links


def test_an_old_version_assessment_is_shown_by_its_own_layout(client: FlaskClient, login_as: Any) -> None:
    me = login_as(Role.ADVISOR)
    case = factories.make_case()
    old = Assessment(
        case_id=case.id,
        advisor_id=me.id,
        form_version=1,
        revision=1,
        primary_substance=Substance.HEROIN,
        recommended_pathway=Pathway.OUTPATIENT,
        risk_level=RiskLevel.MEDIUM,
        funding_route=FundingRoute.UNKNOWN,
        consent_data_processing=True,
        answers={"substances": ["heroin"], "route": "smoking", "notes": "Recorded on the first form"},
    )
    db.session.add(old)
    db.session.commit()

    response = client.get(f"/assessments/{old.id}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "form v1" in page
    assert "Recorded on the first form" in page
    assert "Pathway the screenings suggested" not in page
    assert "Anyone in immediate danger" not in page


def test_a_correction_starts_from_the_reason_given_and_asks_again_beside_the_suggestion(
    client: FlaskClient, login_as: Any
) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()
    _audit_screening(case, 12)
    assert _post(client, case, pathway_override_reason="Shakes every morning").status_code == 302
    first = db.session.query(Assessment).filter_by(case_id=case.id).one()

    page = client.get(f"/cases/{case.id}/assessments/new?corrects={first.id}").get_data(as_text=True)

    assert "Shakes every morning</textarea>" in page
    assert 'id="pathway-suggestions"' in page
    assert 'name="suggested_pathway"' not in page
    assert 'name="immediate_danger" value="false" checked' in page
