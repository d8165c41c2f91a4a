"""Handover in a real browser: an advisor clocking off with open callbacks fills in the clock-off form (one to a
colleague with a note, one left to the pool), is shown it again with what they typed when a callback became theirs
meanwhile, and clocks off; the colleague finds it under "Handed to you" on My callbacks, accepts it, and sees the note
on the callback and on the case's timeline. Every page is screenshot (test-artifacts/browser/handover/) and checked
with axe-core."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.auth.models import Role, User
from caseapp.callbacks.models import Callback, Handover
from caseapp.extensions import db
from caseapp.reference import HandoverStatus
from caseapp.timeutil import now_utc, to_local
from tests import factories
from tests.browser import steps
from tests.browser.steps import Walk

NOTE = "Mum answers the landline; ask for Jo by name and say it is the helpline"


@pytest.fixture
def shots(screenshot_dir: Path) -> Path:
    folder = screenshot_dir / "handover"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


@pytest.fixture
def tabs(browser: Any, live_url: str, shots: Path) -> Any:
    numbers = itertools.count(1)
    contexts: list[Any] = []

    def open_(role: str) -> Walk:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London"
        )
        contexts.append(context)
        return Walk(context.new_page(), live_url, role, shots, numbers)

    yield open_
    for context in contexts:
        context.close()


def test_clocking_off_hands_a_callback_to_a_colleague_who_accepts_it(live_app: Any, tabs: Any) -> None:
    with live_app.app_context():
        giver = factories.make_shift(
            factories.make_user(role=Role.ADVISOR, full_name="Alex Giver", email="alex.giver@helpline.test")
        ).user
        colleague = factories.make_shift(
            factories.make_user(role=Role.ADVISOR, full_name="Sam Colleague", email="sam.colleague@helpline.test")
        ).user
        case = factories.make_case(factories.make_caller(consent_callback=True, name="Jo Bloggs"), actor=giver)
        to_colleague, to_pool = (
            factories.make_callback(case, actor=giver, assignee_id=giver.id, due_at=now_utc() + timedelta(hours=h))
            for h in (1, 3)
        )
        db.session.commit()
        ids = {"giver": giver.id, "colleague": colleague.id, "first": to_colleague.id, "second": to_pool.id}
        reference = case.reference
        which = f"{reference}, due {to_local(to_colleague.due_at):%a %H:%M}"
        db.session.remove()

    advisor = tabs("advisor")
    steps.sign_in(advisor, "alex.giver@helpline.test", "Alex")
    advisor.goto("/shifts/")
    form = advisor.page.get_by_role("region", name="Clock off: hand over your callbacks")
    assert "You hold 2 open callbacks" in form.inner_text()
    assert advisor.page.input_value("#f-handovers-1-to_user_id") == ""  # the pool, unless told otherwise
    advisor.page.get_by_label(f"Hand {which}, to").select_option(label="Sam Colleague (advisor)")
    advisor.page.get_by_label(f"Note on {which}, for whoever takes it").fill(NOTE)
    advisor.step("clock-off-form")

    # meanwhile a third callback becomes the advisor's: the form comes back with it, keeping what was typed
    with live_app.app_context():
        late = factories.make_callback(
            factories.make_case(factories.make_caller(consent_callback=True)),
            actor=db.session.get_one(User, ids["giver"]),
            assignee_id=ids["giver"],
            due_at=now_utc() + timedelta(hours=5),
        )
        db.session.commit()
        late_id = late.id
        db.session.remove()
    advisor.page.get_by_role("button", name="Hand over and clock off").click()
    advisor.page.wait_for_selector(".error-summary")
    assert "You still hold 1 open callback" in advisor.text(".error-summary")
    assert advisor.page.input_value("#f-handovers-0-to_user_id") == str(ids["colleague"])
    assert advisor.page.input_value("#f-handovers-0-note") == NOTE
    assert advisor.page.locator("input[name=handovers-2-callback_id]").get_attribute("value") == str(late_id)
    advisor.step("clock-off-again")

    advisor.page.get_by_role("button", name="Hand over and clock off").click()
    advisor.page.wait_for_selector("text=Shift ended. 3 callbacks handed over.")
    assert "You are not on shift" in advisor.text()
    advisor.step("clocked-off")

    colleague_tab = tabs("colleague")
    steps.sign_in(colleague_tab, "sam.colleague@helpline.test", "Sam")
    assert steps.unread_count(colleague_tab) == 3  # one handed to them, two to the pool
    colleague_tab.page.get_by_role("link", name="My callbacks").first.click()
    colleague_tab.wait_for_path("/callbacks/")
    handed = colleague_tab.page.get_by_role("region", name="Handed to you")
    assert reference in handed.inner_text()
    assert "From Alex Giver" in handed.inner_text()
    assert NOTE in handed.inner_text()
    colleague_tab.step("handed-to-you")

    handed.get_by_role("button", name=f"Accept the callback on {reference}").click()
    colleague_tab.wait_for_path(f"/callbacks/{ids['first']}")
    assert f"Handover accepted: the callback on case {reference} is yours." in colleague_tab.text()
    assert NOTE in colleague_tab.text("main")
    assert "Alex Giver → Sam Colleague · Accepted" in colleague_tab.text()
    colleague_tab.step("accepted")

    colleague_tab.page.get_by_role("link", name=reference).first.click()
    colleague_tab.wait_for_path(r"/cases/\d+")
    timeline = colleague_tab.text("#timeline")
    assert "Callback handed over to Sam Colleague" in timeline
    assert NOTE in timeline
    colleague_tab.step("case-timeline")

    with live_app.app_context():
        first = db.session.scalars(sa.select(Handover).where(Handover.callback_id == ids["first"])).one()
        second = db.session.scalars(sa.select(Handover).where(Handover.callback_id == ids["second"])).one()
        held = {c.id: c.assignee_id for c in db.session.scalars(sa.select(Callback))}
        db.session.remove()
    assert (first.status, first.accepted_by_id, held[ids["first"]]) == (
        HandoverStatus.ACCEPTED,
        ids["colleague"],
        ids["colleague"],
    )
    assert (second.status, second.to_user_id, held[ids["second"]]) == (HandoverStatus.OFFERED, None, None)
    # the one refusal (the form shown again, 409) is all the browser reports: no script error, nothing the CSP blocked
    assert advisor.errors == ["Failed to load resource: the server responded with a status of 409 (CONFLICT)"]
    assert colleague_tab.errors == []
