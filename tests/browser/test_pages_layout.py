"""Pages at 1,280 x 800 in real Chromium: the filter bars, the top bar, the audit trail, long notes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role
from caseapp.cases.services import add_note
from caseapp.extensions import db
from tests import factories
from tests.browser.support import CHOICE_BOXES, make_staff, sign_in, tab_to


@pytest.fixture
def wide_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id="Europe/London")
    tab = context.new_page()
    yield tab
    context.close()


@pytest.mark.parametrize(("path", "name"), [("/cases/", "all-open-cases"), ("/callbacks/all", "all-callbacks")])
def test_filter_bar_is_a_short_row_of_checkboxes(live_app, live_url, wide_page, screenshot_dir: Path, path, name):
    page = wide_page
    sign_in(page, live_url, make_staff(live_app, Role.MANAGER, "Fran Filter"))
    page.goto(live_url + path)
    form = page.locator("form.filters")
    form.screenshot(path=str(screenshot_dir / f"filters-{name}.png"))

    assert form.bounding_box()["height"] <= 130  # was ~400 px: a column per checkbox list
    choices = page.evaluate(CHOICE_BOXES, "form.filters")
    assert len(choices) >= 4
    for choice in choices:
        box_left, box_right, box_top, box_bottom = choice["box"]
        text_left, _, text_top, text_bottom = choice["text"]
        assert box_right <= text_left, choice  # the box is left of its label
        assert abs((box_top + box_bottom) / 2 - (text_top + text_bottom) / 2) < 8, choice  # on the same line
    for legend in page.locator("form.filters legend").all():
        assert legend.evaluate("el => getComputedStyle(el).textAlign") in ("start", "left")

    # keyboard: tick the first status with Space, reach the button with Tab, submit with Enter
    first = page.locator("form.filters input[type=checkbox]").first
    first.focus()
    page.keyboard.press("Space")
    tab_to(page, "el.tagName === 'BUTTON' && el.closest('form.filters')")
    with page.expect_navigation():  # the page already loaded counts as "load": wait for the new one
        page.keyboard.press("Enter")
    assert f"status={first.get_attribute('value')}" in page.url
    assert page.locator("form.filters input[type=checkbox]").first.is_checked()


def test_audit_trail_fits_1280_with_timestamps_on_one_line(live_app, live_url, wide_page, screenshot_dir: Path):
    page = wide_page
    email = make_staff(live_app, Role.ADMIN, "Ada Audit")
    with live_app.app_context():
        actor = factories.make_user(role=Role.MANAGER, full_name="Maximilian Montgomery-Fotheringham")
        case = factories.make_case(factories.make_caller(consent_callback=True), actor=actor)
        factories.make_call(case, actor=actor)
        factories.make_callback(case, actor=actor)
        wide = {"ip": "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "request_id": "0f3c2a9e6b7d4c1a8e5f2b3c4d5e6f70"}
        db.session.add_all(
            [
                AuditEvent(
                    action="case.listed",
                    actor_id=actor.id,
                    entity_type="case",
                    detail={"ids": list(range(1, 201))},
                    **wide,
                ),
                AuditEvent(
                    action="assessment.immediate_danger_alerted",
                    entity_type="case",
                    entity_id=str(case.id),
                    detail={"assessment_id": 123456789012, "recipients": 12},
                    **wide,
                ),
                AuditEvent(
                    action="reminder.failed",
                    entity_type="callback",
                    entity_id="123456789012345678",
                    detail={"outbox_id": 987654321, "kind": "due_soon", "channel": "email", "error": "x" * 120},
                    **wide,
                ),
            ]
        )
        db.session.commit()
    sign_in(page, live_url, email)

    page.goto(f"{live_url}/admin/audit/")
    page.screenshot(path=str(screenshot_dir / "audit-trail.png"))

    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    times = page.evaluate(
        """[...document.querySelectorAll('table.audit td.when')].map((cell) => {
             const time = cell.querySelector('time').getBoundingClientRect();
             const box = cell.getBoundingClientRect();
             return {lines: time.height / parseFloat(getComputedStyle(cell).lineHeight), right: time.right,
                     cellRight: box.right - parseFloat(getComputedStyle(cell).paddingRight)};
           })"""
    )
    assert len(times) >= 5
    for time in times:
        assert time["lines"] < 1.5, time  # one line each (was four)
        assert time["right"] <= time["cellRight"] + 0.5, time  # and inside its column


TOP_BAR_ITEMS = "nav > a, nav > details > summary, .quick-search input, .bell, .who a, .who button, .brand"
NAV_LINE = """(selector) => {
  const bar = document.querySelector('.topbar');
  const tops = [...bar.querySelectorAll(selector)].map((el) => Math.round(el.getBoundingClientRect().top));
  return {height: bar.getBoundingClientRect().height, tops, scrollWidth: document.documentElement.scrollWidth};
}"""


def test_top_bar_is_one_line_at_1280_for_every_role(live_app, live_url, browser, screenshot_dir: Path):
    heights = {}
    for role in (Role.ADVISOR, Role.MANAGER, Role.ADMIN):
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
        page = context.new_page()
        sign_in(page, live_url, make_staff(live_app, role, "Maximilian Montgomery-Fotheringham"))
        page.goto(f"{live_url}/cases/mine")
        page.locator(".topbar").screenshot(path=str(screenshot_dir / f"topbar-{role.value}.png"))
        line = page.evaluate(NAV_LINE, TOP_BAR_ITEMS)
        context.close()
        heights[role] = line["height"]
        assert line["scrollWidth"] <= 1280, role
        assert max(line["tops"]) - min(line["tops"]) <= 12, (role, line)  # everything on the same line
    assert heights[Role.ADMIN] == heights[Role.MANAGER] == heights[Role.ADVISOR]  # the advisor's bar is one line
    assert heights[Role.ADMIN] < 60


def test_admin_menu_opens_and_is_followed_with_the_keyboard(live_app, live_url, wide_page):
    page = wide_page
    sign_in(page, live_url, make_staff(live_app, Role.ADMIN, "Kim Keys"))
    menu = page.locator("details.nav-menu")
    assert not page.locator(".nav-menu .menu a", has_text="Audit trail").is_visible()

    tab_to(page, "el.tagName === 'SUMMARY'")
    page.keyboard.press("Enter")
    assert page.locator(".nav-menu .menu a", has_text="Audit trail").is_visible()
    page.keyboard.press("Escape")
    assert menu.get_attribute("open") is None
    page.keyboard.press("Enter")
    tab_to(page, "el.textContent.trim() === 'Audit trail'")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_url}/admin/audit/")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_20000_character_note_is_collapsed_until_asked_for(
    live_app, live_url, browser, screenshot_dir: Path, javascript: bool
):
    with live_app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR, full_name="Nell Notes")
        email = advisor.email
        case = factories.make_case(actor=advisor)
        add_note(case, ("Long note about the week. " * 800)[:20_000], actor=advisor)
        case_id = case.id
        db.session.commit()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=javascript)
    page = context.new_page()
    sign_in(page, live_url, email)
    page.goto(f"{live_url}/cases/{case_id}#timeline")
    entry = page.locator(".entry-note").first

    collapsed = entry.bounding_box()["height"]
    entry.screenshot(path=str(screenshot_dir / f"long-note-collapsed-{'js' if javascript else 'nojs'}.png"))
    assert collapsed < 260  # the whole note is about 7,000 px tall at this width
    entry.get_by_text("Show all (20,000 characters)").click()
    expanded = entry.bounding_box()["height"]
    assert expanded > 2000
    assert not entry.locator(".preview").is_visible()  # the preview gives way to the whole text
    entry.get_by_text("Show less").click()
    assert entry.bounding_box()["height"] == collapsed
    context.close()
