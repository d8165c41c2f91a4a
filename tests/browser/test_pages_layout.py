"""Managers' and admins' pages at 1,280 x 800 in real Chromium: the filter bars, the top bar, the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caseapp.auth.models import Role
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
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert f"status={first.get_attribute('value')}" in page.url
    assert page.locator("form.filters input[type=checkbox]").first.is_checked()
