"""A manager looks at the reports dashboard in real headless Chromium: charts drawn, tables under them, no errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.reports.seed import SeedPlan, seed
from tests import factories


def test_manager_sees_the_dashboard_with_charts_and_tables(live_app, live_url, page, screenshot_dir: Path):
    with live_app.app_context():
        manager = factories.make_user(role=Role.MANAGER, full_name="Morgan Manager")
        email = manager.email
        seed(SeedPlan(calls=3000, days=30, seed=7, end=None))
        db.session.commit()
    errors: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", factories.DEFAULT_PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{live_url}/")

    page.goto(f"{live_url}/reports/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)
    page.screenshot(path=str(screenshot_dir / "dashboard-top.png"))  # the README's picture (docs/dashboard.png)

    assert page.locator("svg").count() >= 3  # charts are drawn (server-side SVG)
    assert page.locator("table").count() >= 3  # with the numbers underneath
    assert errors == []
