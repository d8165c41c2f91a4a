"""In Chromium: an advisor raises a flag on a caller from the case page, sees it there in UK time with the time left,
and sees the same banner when the caller's number is typed on the log-a-call page; the page passes axe."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from caseapp.auth.models import Role
from caseapp.caller_flags import queries
from caseapp.caller_flags.models import FlagKind
from caseapp.extensions import db
from tests import factories
from tests.browser.accessibility import check_accessibility, serve_axe
from tests.browser.support import sign_in


def test_an_advisor_raises_a_flag_and_sees_it_on_the_case_and_when_the_number_is_typed(
    live_app: Any, live_url: str, page: Any, screenshot_dir: Path
) -> None:
    with live_app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR)
        caller = factories.make_caller(phone="07811 404 404", name="Sam")
        case = factories.make_case(caller, actor=advisor)
        db.session.commit()
        email, case_id, caller_id = advisor.email, case.id, caller.id
    serve_axe(page, live_url)
    sign_in(page, live_url, email)

    page.goto(f"{live_url}/cases/{case_id}")
    assert "No flags in force." in page.locator("#flags").inner_text()
    page.locator("#flags summary", has_text="Raise a flag").click()
    page.select_option("#flag-kind", "abusive")
    page.fill("#flag-reason", "Threatened the advisor on 2 December")
    page.fill("#flag-duration", "3")
    page.select_option("#flag-unit", "days")
    page.get_by_role("button", name="Raise flag").click()
    page.wait_for_url(re.compile(rf".*/cases/{case_id}#flags$"))

    banner = page.get_by_role("region", name="Flags in force on this caller or number")
    text = banner.inner_text()
    assert "Abusive" in text
    assert "Threatened the advisor on 2 December" in text
    assert re.search(r"until \w{3} \d{2} \w{3} \d{4} \d{2}:\d{2} (GMT|BST)", text), text
    assert "2 days 23 h left" in text or "3 days 0 h left" in text
    page.screenshot(path=str(screenshot_dir / "caller-flag-case-page.png"), full_page=True)
    check_accessibility(page, "case page with a flag")

    page.goto(f"{live_url}/calls/new")
    page.fill("#f-phone", "07811404404")
    page.wait_for_selector("#caller-banner .flag-banner")
    assert "Abusive" in page.locator("#caller-banner .flag-banner").inner_text()
    check_accessibility(page, "log a call with a flagged caller")

    with live_app.app_context():
        [flag] = queries.active_flags(caller_id, None)
        assert (flag.kind, flag.reason) == (FlagKind.ABUSIVE, "Threatened the advisor on 2 December")
