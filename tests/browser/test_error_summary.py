"""Pages that render their error summary without a label map (the assessment form): in Chromium, app.js names each
field by the label the page shows, and a link to a field the page does not have becomes plain text."""

from __future__ import annotations

from pathlib import Path

from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories
from tests.browser.support import sign_in

SUMMARY = """() => [...document.querySelectorAll('.error-summary li')].map((li) => {
  const link = li.querySelector('a');
  if (!link) return {text: li.textContent.trim()};
  const target = document.getElementById(link.getAttribute('href').slice(1));
  const label = target && (document.querySelector(`label[for="${target.id}"]`) || target.querySelector('legend'));
  return {link: link.textContent.trim(), target: !!target, label: label ? label.textContent.trim() : null};
})"""


def test_assessment_error_summary_names_fields_by_their_labels(live_app, live_url, page, screenshot_dir: Path):
    with live_app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR, full_name="Erin Errors")
        email = advisor.email
        case_id = factories.make_case(actor=advisor).id
        db.session.commit()
    sign_in(page, live_url, email)

    page.goto(f"{live_url}/cases/{case_id}/assessments/new")
    page.locator("#assessment-form button[type=submit]").last.click()
    page.wait_for_selector(".error-summary")
    page.locator(".error-summary").screenshot(path=str(screenshot_dir / "assessment-error-summary.png"))

    items = page.evaluate(SUMMARY)
    links = [item for item in items if "link" in item]
    assert len(links) >= 4
    for item in links:
        assert item["target"], item
        assert item["link"] == item["label"], item  # "Risk level", not "Risk level" guessed from risk_level
    texts = [item["link"] for item in links]
    assert "Has the caller consented to us keeping this information?" in texts
    assert "Missing data" not in page.inner_text(".error-summary")
