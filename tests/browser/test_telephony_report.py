"""A manager opens the telephony report in real headless Chromium: both charts drawn, the tables under them, the
figures the rows make, no console errors and no serious accessibility violations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.reference import CallbackStatus
from caseapp.telephony.models import CallOutcome
from tests.browser.accessibility import check_accessibility, serve_axe
from tests.browser.support import make_staff, sign_in
from tests.integration.reports.telephony_support import Written, utc


def _a_day_of_calls(live_app: Any) -> None:
    with live_app.app_context():
        written = Written()
        for hour in range(7, 23):
            for n in range(hour % 4 + 1):
                written.call(
                    utc(2026, 6, 2, hour, 5 * n), CallOutcome.ANSWERED, answered_after=timedelta(seconds=8 * n)
                )
        for hour in (8, 12, 21, 22):
            callback = written.callback(CallbackStatus.COMPLETED)
            written.call(utc(2026, 6, 2, hour, 40), CallOutcome.MISSED, callback=callback)
            written.attempt(callback, utc(2026, 6, 2, hour + 1, 10))
        written.call(utc(2026, 6, 2, 20, 10), CallOutcome.VOICEMAIL, callback=written.callback())
        written.call(utc(2026, 6, 2, 3, 0), CallOutcome.MISSED, withheld=True)
        db.session.commit()


def test_manager_sees_the_telephony_report_with_charts_and_tables(live_app, live_url, page, screenshot_dir: Path):
    email = make_staff(live_app, Role.MANAGER, "Morgan Manager")
    _a_day_of_calls(live_app)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    serve_axe(page, live_url)
    sign_in(page, live_url, email)

    page.goto(f"{live_url}/reports/?from=2026-06-02&to=2026-06-02")
    page.get_by_role("link", name="Telephony report").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(screenshot_dir / "telephony-report.png"), full_page=True)

    assert page.get_by_role("heading", level=1).inner_text() == "Telephony"
    assert page.locator("svg[role=img]").count() == 2
    assert page.locator("table").count() == 3
    assert page.locator(".strip dd").first.inner_text() == "46"  # 40 answered, 4 missed, 1 voicemail, 1 withheld
    assert page.get_by_role("row", name="Rung back within 1 hour 4").count() == 1
    check_accessibility(page, "manager: telephony report")
    assert errors == []
