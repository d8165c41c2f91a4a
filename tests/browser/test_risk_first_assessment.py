"""An advisor at 1,280 x 800 in real Chromium: an AUDIT-C that leads into the full AUDIT, then the risk-first
assessment: immediate danger and the essentials above the fold, the rest in sections opened as the call goes on,
and the screenings' suggested pathway beside the pathway question (choosing another needs a reason)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from caseapp.assessments.models import Assessment
from caseapp.auth.models import Role
from caseapp.emergencies import queries as emergency_queries
from caseapp.extensions import db
from tests import factories
from tests.browser.accessibility import check_accessibility, serve_axe
from tests.browser.support import sign_in


@pytest.fixture
def wide_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id="Europe/London")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    # script errors and refused loads (a CSP violation is one); the form sent back with errors is a 422 on purpose
    tab.on(
        "console",
        lambda message: (
            errors.append(message.text) if message.type == "error" and "status of 422" not in message.text else None
        ),
    )
    tab.script_errors = errors
    yield tab
    context.close()


def _answer_every_question_with_its_last_option(page: Any) -> None:
    for fieldset in page.locator("#screening-form fieldset").all():
        fieldset.locator("input[type=radio]").last.check()


def test_audit_then_a_risk_first_assessment_with_the_suggestion_beside_the_pathway(
    live_app, live_url, wide_page, screenshot_dir: Path
) -> None:
    page = wide_page
    with live_app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR, full_name="Ravi Riskfirst")
        email = advisor.email
        case_id = factories.make_case(actor=advisor).id  # the advisor's own case
        db.session.commit()
    serve_axe(page, live_url)
    sign_in(page, live_url, email)

    # AUDIT-C, positive: it offers the full AUDIT with questions 1-3 carried over
    page.goto(f"{live_url}/cases/{case_id}/screenings/new?instrument=audit_c")
    _answer_every_question_with_its_last_option(page)
    page.get_by_role("button", name="Score and save").click()
    page.wait_for_url("**/screenings/*")
    page.screenshot(path=str(screenshot_dir / "riskfirst-01-audit-c-result.png"), full_page=True)
    page.locator("#continue-audit").click()
    page.wait_for_url("**/screenings/new?*instrument=audit*")
    assert page.locator("#screening-form input[name=q1]:checked").count() == 1  # carried over
    _answer_every_question_with_its_last_option(page)
    page.get_by_role("button", name="Score and save").click()
    page.wait_for_url("**/screenings/*")
    page.screenshot(path=str(screenshot_dir / "riskfirst-02-audit-result.png"), full_page=True)
    assert "Outpatient / community" in page.locator("main").inner_text()

    # the assessment: immediate danger first, then the essentials, all within the first 800 px
    page.goto(f"{live_url}/cases/{case_id}/assessments/new")
    page.screenshot(path=str(screenshot_dir / "riskfirst-03-assessment-above-the-fold.png"))
    danger = page.locator("#f-immediate_danger").bounding_box()
    essentials = page.locator("#essentials").bounding_box()
    first_section = page.locator("details.form-section").first.bounding_box()
    assert danger["y"] < essentials["y"] < first_section["y"]
    assert essentials["y"] + essentials["height"] <= 800, essentials
    assert page.locator("#emergency-slot").is_hidden()
    check_accessibility(page, "risk-first assessment")

    # yes: the emergency guidance right below the question, and the managers alerted at once
    page.check("input[name=immediate_danger][value=true]")
    guidance = page.locator("#emergency-guidance")
    guidance.wait_for(state="visible")
    assert "call 999" in guidance.inner_text()
    assert guidance.bounding_box()["y"] < page.locator("#essentials").bounding_box()["y"]
    status = page.locator("#alert-status")
    expect(status).not_to_contain_text("Alerting")
    assert "could not be sent" not in status.inner_text()
    with live_app.app_context():
        assert emergency_queries.find_latest_alert(case_id) is not None
    page.screenshot(path=str(screenshot_dir / "riskfirst-03b-immediate-danger-yes.png"))
    page.check("input[name=immediate_danger][value=false]")  # the caller was mistaken
    assert page.locator("#emergency-slot").is_hidden()
    page.select_option("#f-primary_substance", "alcohol")
    page.check("input[name=route][value=oral]")
    page.check("input[name=risk_level][value=high]")
    # a section opened as the call goes on
    page.locator("summary", has_text="Substances and use").click()
    page.fill("#f-frequency", "every evening")

    # the suggestion sits beside the pathway question
    suggestion = page.locator("#pathway-suggestions")
    assert "Outpatient / community" in suggestion.inner_text()
    assert "AUDIT 20 or more" in suggestion.inner_text()
    box, question = suggestion.bounding_box(), page.locator("#f-recommended_pathway").bounding_box()
    assert 0 <= question["y"] - (box["y"] + box["height"]) < 40  # directly above the question
    page.check("input[name=recommended_pathway][value=medical_detox]")
    page.check("input[name=consent_data_processing][value=true]")
    page.get_by_role("button", name="Save assessment").click()

    # a different pathway without a reason: the message beside the reason field, everything typed kept
    page.wait_for_load_state()
    reason = page.locator("#f-pathway_override_reason").locator("xpath=..")
    reason.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "riskfirst-04-reason-needed.png"), full_page=True)
    assert "Say why you chose a different pathway." in reason.inner_text()
    check_accessibility(page, "risk-first assessment with a reason needed")
    assert page.locator("input[name=recommended_pathway][value=medical_detox]").is_checked()
    assert page.locator("#f-frequency").input_value() == "every evening"
    assert page.locator("details.form-section", has_text="Substances and use").count() == 1
    page.fill("#f-pathway_override_reason", "Drinking round the clock and shakes in the morning")
    page.get_by_role("button", name="Save assessment").click()
    page.wait_for_url(f"{live_url}/**")
    assert "Assessment recorded" in page.locator(".flash").first.inner_text()
    page.screenshot(path=str(screenshot_dir / "riskfirst-05-recorded.png"), full_page=True)
    assert page.script_errors == []

    with live_app.app_context():
        assessment = db.session.query(Assessment).filter_by(case_id=case_id).one()
        assert assessment.answers["suggested_pathway"] == "outpatient"
        assert assessment.answers["pathway_followed"] is False
        assert assessment.answers["frequency"] == "every evening"
