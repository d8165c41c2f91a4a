"""Merging a duplicate caller record in real Chromium: a manager goes from the kept caller's page to the merge
screen, finds the duplicate by its number, compares the two, confirms, and undoes it; each page fits 1,280 px and
passes axe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.reference import Relationship
from tests import factories
from tests.browser.accessibility import check_accessibility, serve_axe
from tests.browser.support import make_staff, sign_in


def test_a_manager_merges_a_duplicate_and_undoes_it(live_app: Any, live_url: str, page: Any, screenshot_dir: Path):
    with live_app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR)
        kept = factories.make_caller(name="Robin Merge-Kept", consent_callback=True)
        factories.make_call(factories.make_case(kept, actor=advisor), actor=advisor)
        duplicate = factories.make_caller(name="Robin M", relationship=Relationship.PARENT)
        dup_case = factories.make_case(duplicate, actor=advisor)
        for _ in range(2):
            factories.make_call(dup_case, actor=advisor)
        db.session.commit()
        kept_id, duplicate_id, duplicate_phone = kept.id, duplicate.id, duplicate.phone_e164
    serve_axe(page, live_url)
    sign_in(page, live_url, make_staff(live_app, Role.MANAGER, "Morgan Manager"))

    page.goto(f"{live_url}/callers/{kept_id}")
    page.get_by_role("link", name="Merge a duplicate into this record").click()
    page.get_by_label("Find the duplicate by number or name").fill(duplicate_phone or "")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=f"Record {duplicate_id}").click()

    assert page.locator("[data-count=calls]").inner_text() == "2"
    assert page.locator("[data-count=cases]").inner_text() == "1"
    assert "relationship" in page.locator("#differing").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(screenshot_dir / "caller-merge-compare.png"), full_page=True)
    check_accessibility(page, "manager: compare two caller records")

    page.get_by_role("button", name=f"Merge record {duplicate_id} into record {kept_id}").click()
    page.wait_for_url(f"{live_url}/callers/{kept_id}")
    assert "Records merged." in page.inner_text("body")
    assert page.locator("#numbers tbody tr").count() == 1  # the duplicate's number is one of the kept record's now
    page.screenshot(path=str(screenshot_dir / "caller-merged.png"), full_page=True)
    check_accessibility(page, "manager: caller record after a merge")

    page.goto(f"{live_url}/callers/{duplicate_id}")
    assert f"record {kept_id}" in page.locator("#merged-note").inner_text()

    page.goto(f"{live_url}/callers/{kept_id}")
    page.get_by_role("button", name="Undo this merge").click()
    page.wait_for_url(f"{live_url}/callers/{kept_id}")
    assert "Merge undone" in page.inner_text("body")
    assert "No other numbers." in page.inner_text("#numbers")
