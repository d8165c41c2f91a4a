"""The stale cases in real Chromium: a manager goes from the home page to the list, which fits 1,280 px and passes
axe, and assigns a case to an advisor from its row, coming back to the list."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.timeutil import now_utc
from tests import factories
from tests.browser.accessibility import check_accessibility, serve_axe
from tests.browser.support import make_staff, sign_in


def test_a_manager_assigns_a_stale_case_from_the_list(live_app: Any, live_url: str, page: Any, screenshot_dir: Path):
    with live_app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR, full_name="Sam Stale-Advisor")
        case = factories.make_case(
            factories.make_caller(name="Robin Example"), created_at=now_utc() - timedelta(days=30)
        )
        case.assigned_advisor_id = None
        factories.make_call(case, actor=advisor, started_at=now_utc() - timedelta(days=21))
        db.session.commit()
        reference, advisor_id = case.reference, advisor.id
    serve_axe(page, live_url)
    sign_in(page, live_url, make_staff(live_app, Role.MANAGER, "Morgan Manager"))

    page.click("text=Stale cases")
    page.wait_for_url(f"{live_url}/cases/stale")
    row = page.locator("tr", has_text=reference)
    assert row.locator("td").nth(1).inner_text() == "Robin"
    assert row.locator("td").nth(5).inner_text() == "21"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(screenshot_dir / "stale-cases.png"), full_page=True)
    check_accessibility(page, "manager: stale cases")

    row.get_by_label(f"Advisor for {reference}").select_option(str(advisor_id))
    row.get_by_role("button", name="Assign").click()

    page.wait_for_url(f"{live_url}/cases/stale")
    assert "Case updated." in page.inner_text("body")
    assert page.locator("tr", has_text=reference).locator("td").nth(3).inner_text() == "Sam Stale-Advisor"
