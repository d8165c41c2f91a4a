"""The pages of a shift as small page objects, for tests that walk through them as staff do.

A `Walk` is one person's tab: `walk.step(name)` saves the next numbered screenshot of the whole page
(`01-advisor-sign-in.png`, ...; the numbering runs on across everyone's tabs) and checks the page with axe-core.
The functions below each do one thing a person does on one page, by the page's own labels and ids, and call
`step` for every page they land on.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyotp

from caseapp.auth.mfa import RECOVERY_CODE_COUNT
from tests import factories
from tests.browser.accessibility import check_accessibility, serve_axe


@dataclass
class Walk:
    page: Any
    base_url: str
    #: who is walking, as the screenshots and the accessibility report name them
    role: str
    screenshots: Path
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    taken: list[Path] = field(default_factory=list)
    #: what the browser reported as going wrong: script errors, refused loads (a CSP violation is one)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        serve_axe(self.page, self.base_url)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(str(message.text))

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def step(self, name: str) -> Path:
        """Screenshot the page as it is now, then check it with axe (after the picture, so a failure has one)."""
        shot = self.screenshots / f"{next(self.numbers):02d}-{self.role}-{name}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        self.taken.append(shot)
        check_accessibility(self.page, f"{shot.stem} ({self.path})")
        return shot

    @property
    def path(self) -> str:
        return str(self.page.url).removeprefix(self.base_url).split("?")[0]

    def text(self, selector: str = "main") -> str:
        return str(self.page.inner_text(selector))

    def wait_for_path(self, pattern: str) -> re.Match[str]:
        """Wait until the tab is at base_url + a path matching `pattern` (a regex); returns the match."""
        regex = re.compile(re.escape(self.base_url) + pattern + r"(\?.*)?$")
        self.page.wait_for_url(regex)
        match = regex.match(self.page.url)
        assert match, self.page.url
        return match


# --- everyone ---------------------------------------------------------------------------------------------------


def sign_in(walk: Walk, email: str, first_name: str) -> None:
    """Password, then (production requires it of every role) setting up the second factor on first sign-in: the key
    the page shows goes into an authenticator (pyotp here), its code back into the page, the recovery codes seen."""
    walk.goto("/login")
    walk.step("sign-in")
    walk.page.fill("input[name=email]", email)
    walk.page.fill("input[name=password]", factories.DEFAULT_PASSWORD)
    walk.page.press("input[name=password]", "Enter")
    if walk.wait_for_path("(/|/login/enrol)").group(1) == "/login/enrol":
        walk.step("second-factor-set-up")
        key = walk.text("[data-testid=totp-key]").replace(" ", "")
        walk.page.fill("input[name=code]", pyotp.TOTP(key).now())
        walk.page.press("input[name=code]", "Enter")
        walk.page.wait_for_selector(".recovery-codes")  # shown once, in answer to the code
        assert walk.page.locator(".recovery-codes li").count() == RECOVERY_CODE_COUNT
        walk.step("recovery-codes")
        walk.page.get_by_role("link", name="I have saved them: continue").click()
        walk.wait_for_path("/")
    assert f"Hello, {first_name}" in walk.text("h1")
    walk.step("home")


def unread_count(walk: Walk) -> int:
    """The number on the top bar's bell (0 when it shows none)."""
    label = str(walk.page.get_attribute("a.bell", "aria-label"))
    match = re.fullmatch(r"Notifications: (\d+) unread", label)
    assert match, label
    shown = walk.page.locator("a.bell .count")
    assert (shown.inner_text() if shown.count() else "0") == match.group(1)
    return int(match.group(1))


def open_notifications(walk: Walk) -> list[str]:
    """Follow the bell; the notifications listed, unread ones marked "(unread)"."""
    walk.page.click("a.bell")
    walk.wait_for_path("/notifications/")
    walk.step("notifications")
    return [str(item) for item in walk.page.locator("ul.notifications li").all_inner_texts()]


# --- an advisor ---------------------------------------------------------------------------------------------------


def clock_on(walk: Walk) -> None:
    walk.goto("/shifts/")
    walk.page.get_by_role("button", name="Clock on").click()
    walk.page.wait_for_selector("text=You have been on shift since")
    walk.step("clocked-on")


def start_call(walk: Walk, phone: str, banner: str) -> None:
    """Log a call: type the number as given and wait for the caller banner (`new` or `known`)."""
    walk.page.get_by_role("link", name="Log a call").first.click()
    walk.wait_for_path("/calls/new")
    walk.page.fill("#f-phone", phone)
    walk.page.wait_for_selector(f"#caller-banner .banner-{banner}")


def consents_shown(walk: Walk) -> dict[str, bool]:
    return {name: walk.page.is_checked(f"#f-{name}") for name in CONSENTS}


CONSENTS = ("consent_callback", "consent_voicemail", "consent_sms")


def finish_call(walk: Walk, *, reason: str, notes: str, outcome: str) -> int:
    """Fill in what the call was about, log it, and land on the case page; returns the case id."""
    walk.page.fill("#f-reason", reason)
    walk.page.fill("#f-notes", notes)
    walk.page.fill("#f-outcome_summary", outcome)
    walk.page.click("#log-call-submit")
    case_id = int(walk.wait_for_path(r"/cases/(\d+)").group(1))
    return case_id


def record_assessment(walk: Walk, *, substance: str, pathway: str, risk: str) -> None:
    """From the case page: the assessment form, the essentials filled in, saved, back on the case page."""
    walk.page.get_by_role("link", name="Record an assessment").click()
    walk.wait_for_path(r"/cases/\d+/assessments/new")
    form = walk.page.locator("#assessment-form")
    form.locator("summary", has_text="Substances and use").click()  # a section opened as the call goes on
    form.locator(f"input[name=substances][value={substance}]").check()
    walk.page.select_option("#f-primary_substance", substance)
    form.locator("input[name=funding_route][value=unknown]").check()
    form.locator(f"input[name=recommended_pathway][value={pathway}]").check()
    form.locator(f"input[name=risk_level][value={risk}]").check()
    form.locator("input[name=consent_data_processing][value=true]").check()
    walk.step("assessment")
    form.get_by_role("button", name="Save assessment").click()
    walk.wait_for_path(r"/cases/\d+")
    assert "Assessment recorded" in walk.text(".flash")


def book_callback(walk: Walk, due: datetime, reason: str) -> int:
    """From the case page: book a callback for `due` (UK time, to the minute) for oneself; returns its id."""
    walk.page.get_by_role("link", name="Book a callback").first.click()
    walk.wait_for_path(r"/cases/\d+/callbacks/new")
    walk.page.fill("#f-due_date", due.date().isoformat())
    walk.page.fill("#f-due_time", due.strftime("%H:%M"))
    walk.page.fill("#f-window_minutes", "15")
    walk.page.fill("#f-reason", reason)
    walk.step("book-callback")
    walk.page.get_by_role("button", name="Book callback").click()
    walk.wait_for_path(r"/cases/\d+")
    assert f"Callback booked for {due:%a %d %b %H:%M}" in walk.text(".flash")
    link = walk.page.locator("section[aria-labelledby=callbacks-h] a[href^='/callbacks/']")
    return int(str(link.get_attribute("href")).rsplit("/", 1)[1])


def complete_callback(walk: Walk, notes: str) -> None:
    """On the callback page: "I'm ringing now", then record an answered attempt."""
    walk.page.get_by_role("button", name="I'm ringing now").click()
    walk.page.wait_for_selector(".case-meta .status:text-is('In progress')")
    walk.page.check("input[name=outcome][value=answered]")
    walk.page.fill("#f-attempt-notes", notes)
    walk.step("callback-answered")
    walk.page.get_by_role("button", name="Record attempt").click()
    walk.page.wait_for_selector("text=Attempt recorded: answered.")


# --- a manager ---------------------------------------------------------------------------------------------------


def live_strip(walk: Walk) -> dict[str, str]:
    """The dashboard's live strip: {label: figure}."""
    return {
        str(item.locator("dt").inner_text()): str(item.locator("dd").inner_text())
        for item in walk.page.locator(".today-strip .strip > div").all()
    }


def download_csv(walk: Walk, section: str, downloads: Path) -> list[dict[str, str]]:
    """Click the plain "CSV" link of the dashboard section headed `section`; the downloaded rows."""
    link = walk.page.locator("section.report", has=walk.page.get_by_role("heading", name=section)).get_by_role(
        "link", name="CSV", exact=True
    )
    with walk.page.expect_download() as info:
        link.first.click()
    download = info.value
    target = downloads / download.suggested_filename
    download.save_as(target)
    return list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))


# --- an admin ------------------------------------------------------------------------------------------------------


def audit_trail_of(walk: Walk, full_name: str) -> list[dict[str, str]]:
    """The audit trail filtered to one staff member, reached from the Admin menu: each row's columns."""
    walk.page.locator(".nav-menu summary", has_text="Admin").click()
    walk.page.get_by_role("link", name="Audit trail").click()
    walk.wait_for_path("/admin/audit/")
    walk.page.select_option("#filter-actor", label=full_name)
    walk.page.locator("form.filters").get_by_role("button", name="Filter").click()
    walk.page.wait_for_url(re.compile(r".*[?&]actor=\d+"))
    heads = ["when", "who", "what", "about", "detail", "from"]
    rows = []
    for row in walk.page.locator("table.audit tbody tr").all():
        cells = [str(text) for text in row.locator("td").all_inner_texts()]
        rows.append(dict(zip(heads, cells, strict=False)))
    return rows
