"""In Chromium: the log-a-call form fills in a known caller's details as the number is typed and spells out a consent
change before it is saved; choosing "immediate danger" alerts the managers at once and says so only once it has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.callers.models import Caller
from caseapp.emergencies.models import EmergencyAlert
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.reference import Relationship
from tests import factories
from tests.browser.support import sign_in


def test_known_caller_details_fill_in_and_a_consent_change_is_spelled_out(
    live_app: Any, live_url: str, page: Any, screenshot_dir: Path
) -> None:
    with live_app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR)
        caller = factories.make_caller(
            phone="07811 505 505",
            name="Jo",
            relationship=Relationship.PARENT,
            consent_callback=True,
            consent_voicemail=True,
        )
        factories.make_case(caller)
        db.session.commit()
        email, caller_id = advisor.email, caller.id
    sign_in(page, live_url, email)

    page.goto(f"{live_url}/calls/new")
    page.fill("#f-phone", "+44 7811 505505")
    page.wait_for_selector("#caller-banner .banner-known")
    assert page.is_checked("#f-consent_callback")
    assert page.is_checked("#f-consent_voicemail")
    assert not page.is_checked("#f-consent_sms")
    assert page.input_value("#f-caller_name") == "Jo"
    assert page.input_value("#f-relationship") == "parent"
    assert page.is_hidden("#consent-changes")

    page.uncheck("#f-consent_voicemail")
    notice = page.wait_for_selector("#consent-changes:not([hidden])")
    assert "a voicemail being left: agreed → not agreed" in notice.inner_text()
    page.screenshot(path=str(screenshot_dir / "consent-change.png"), full_page=True)
    page.click("#log-call-submit")
    page.wait_for_url(re.compile(r".*/cases/\d+$"))

    with live_app.app_context():
        consents = db.session.execute(
            sa.select(Caller.consent_callback, Caller.consent_voicemail).where(Caller.id == caller_id)
        ).one()
    assert tuple(consents) == (True, False)


def test_typing_a_new_number_after_a_known_one_puts_the_details_back(live_app: Any, live_url: str, page: Any) -> None:
    with live_app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR)
        factories.make_case(factories.make_caller(phone="07811 505 506", name="Kim", consent_sms=True))
        db.session.commit()
        email = advisor.email
    sign_in(page, live_url, email)

    page.goto(f"{live_url}/calls/new")
    page.fill("#f-phone", "07811 505 506")
    page.wait_for_selector("#caller-banner .banner-known")
    assert page.is_checked("#f-consent_sms")
    page.fill("#f-phone", "07811 505 999")  # a typo corrected: another, new number
    page.wait_for_selector("#caller-banner .banner-new")

    assert not page.is_checked("#f-consent_sms")  # not carried over to a stranger
    assert page.input_value("#f-caller_name") == ""


def test_choosing_immediate_danger_alerts_the_managers_at_once(
    live_app: Any, live_url: str, page: Any, screenshot_dir: Path
) -> None:
    with live_app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR)
        manager = factories.make_user(role=Role.MANAGER)
        factories.make_shift(manager)
        case = factories.make_case(actor=advisor)  # the advisor's own case
        db.session.commit()
        email, case_id, manager_id = advisor.email, case.id, manager.id
    sign_in(page, live_url, email)

    page.goto(f"{live_url}/cases/{case_id}/assessments/new")
    assert page.is_hidden("#emergency-slot")
    page.check('input[name="risk_level"][value="immediate_danger"]')
    status = page.wait_for_selector("#alert-status:has-text('Alert sent at')")
    assert "1 manager told" in status.inner_text()
    page.screenshot(path=str(screenshot_dir / "emergency-alerted.png"), full_page=True)

    with live_app.app_context():
        alerts = db.session.scalar(sa.select(sa.func.count()).where(EmergencyAlert.case_id == case_id))
        told = list(db.session.scalars(sa.select(Notification.user_id).where(Notification.case_id == case_id)))
    assert alerts == 1  # sent before the assessment was saved (it still is not)
    assert told == [manager_id]
