"""An advisor, keyboard only: sign in → log a call from a new number → the case page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories
from tests.browser.support import tab_to

SCRIPT_NOTE = "<script>window.__pwned = 1; alert('x')</script> Worried about her son"


def test_advisor_logs_a_call_from_a_new_number_with_the_keyboard_only(live_app, live_url, page, screenshot_dir: Path):
    with live_app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR, full_name="Kim Keyboard")
        email = advisor.email
        db.session.commit()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)

    page.goto(f"{live_url}/login")
    page.screenshot(path=str(screenshot_dir / "01-login.png"), full_page=True)
    page.keyboard.type(email)  # the email field has autofocus
    page.keyboard.press("Tab")
    page.keyboard.type(factories.DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/")
    assert "Hello, Kim" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir / "02-home.png"), full_page=True)

    tab_to(page, "el.tagName === 'A' && el.textContent.trim().startsWith('Log a call')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/calls/new")
    page.keyboard.type("07811 606 606")  # the phone field has autofocus
    page.wait_for_selector("#caller-banner .banner-new")
    page.keyboard.press("Tab")
    page.keyboard.type("Jo")
    tab_to(page, "el.name === 'consent_callback'")
    page.keyboard.press("Space")
    tab_to(page, "el.name === 'notes'")
    page.keyboard.type(SCRIPT_NOTE)
    tab_to(page, "el.name === 'outcome_summary'")
    page.keyboard.type("Advised on detox options")
    page.screenshot(path=str(screenshot_dir / "03-log-call.png"), full_page=True)
    page.keyboard.press("Enter")  # implicit submission: the first submit button, "Log call"

    page.wait_for_url(re.compile(rf"{re.escape(live_url)}/cases/\d+$"))
    page.screenshot(path=str(screenshot_dir / "04-case.png"), full_page=True)
    assert re.search(r"CA-\d{4}-\d{6}", page.inner_text("h1"))
    assert SCRIPT_NOTE in page.inner_text(".entry-call .notes")  # shown as text…
    assert page.evaluate("window.__pwned") is None  # …never run
    assert dialogs == []
    assert "Callback yes" in page.inner_text(".facts")

    # the same number typed differently finds the same caller and case at once
    case_url = page.url
    page.goto(f"{live_url}/calls/new")
    page.keyboard.type("+44 7811 606606")
    banner = page.wait_for_selector("#caller-banner .banner-known")
    assert page.inner_text("h1") == "Log a call"
    assert case_url.rsplit("/", 1)[1] in (banner.inner_html())
    page.screenshot(path=str(screenshot_dir / "05-repeat-caller.png"), full_page=True)
