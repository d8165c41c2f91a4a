"""A shift in a real browser, against caseapp as production runs it: gunicorn, PostgreSQL, Redis, a Celery worker
and beat, and an SMTP sink on loopback.

An advisor signs in, clocks on, logs a call from a new number, records an assessment and books a callback a few
minutes ahead (inside the short reminder lead, so its reminder is due at once). The reminder shows on the bell and
arrives by email; the advisor opens the email's link and completes the callback. The same number rings again, typed
another way: the caller is recognised and every consent stays as it was. A manager sees the day's calls on the
dashboard and downloads them as CSV; an admin finds both people's work in the audit trail.

Every page is screenshot (test-artifacts/browser/shift/NN-<role>-<step>.png) and checked with axe-core: no serious
or critical violation (counts per page in test-artifacts/accessibility.txt).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.callbacks.models import Callback
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.extensions import db
from caseapp.reminders.models import DeliveryChannel, OutboxMessage, OutboxStatus
from caseapp.timeutil import now_utc, to_local
from tests import factories, servers
from tests.browser import steps
from tests.browser.steps import Walk
from tests.live import LiveStack, Proc, SmtpSink, start_smtp_sink, wait_for

#: a callback booked this far ahead (to the minute) is inside the reminder lead as soon as it is booked
BOOK_AHEAD = timedelta(minutes=3)
SETTINGS: dict[str, Any] = {
    "REMINDER_LEAD_SECONDS": 240,
    "SCAN_INTERVAL_SECONDS": 2,
    "SWEEP_INTERVAL_SECONDS": 2,
    "LOGIN_RATE_LIMIT": "1000 per minute",
}
PHONE, PHONE_AGAIN = "07811 606 606", "+44 7811 606606"
#: the caller's number as every format contains it (the national number, without spaces)
PHONE_DIGITS = "7811606606"
CALLER_NAME = "Morwenna"
STAFF = {
    Role.ADVISOR: ("alex.advisor@helpline.test", "Alex Advisor"),
    Role.MANAGER: ("morgan.manager@helpline.test", "Morgan Manager"),
    Role.ADMIN: ("ada.admin@helpline.test", "Ada Admin"),
}


@dataclass
class Helpline:
    stack: LiveStack
    web: Proc
    smtp: SmtpSink

    @property
    def url(self) -> str:
        assert self.web.url is not None
        return self.web.url


@pytest.fixture
def helpline(pg_server_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Helpline]:
    """caseapp under gunicorn on its own port (also its BASE_URL, for the links in emails), a worker and beat on a
    Redis of their own, an SMTP sink, and the three staff members, on a fresh database."""
    redis = servers.start_redis()
    sink, controller, smtp_url = start_smtp_sink()
    port = servers.free_port()
    settings = {**SETTINGS, "SMTP_URL": smtp_url, "BASE_URL": f"http://127.0.0.1:{port}"}
    try:
        stack = LiveStack.create(pg_server_url, redis.url, tmp_path, prefix="caseapp_shift", settings=settings)
        try:
            stack.query(_make_staff)
            web = stack.start_web(port=port)
            stack.start_worker()
            stack.start_beat()
            failed = request.session.testsfailed
            yield Helpline(stack, web, sink)
            if request.session.testsfailed > failed or not all(proc.alive for proc in stack.processes):
                stack.print_logs_on_failure()
        finally:
            stack.close()
    finally:
        controller.stop()
        redis.stop()


def _make_staff() -> None:
    for role, (email, name) in STAFF.items():
        factories.make_user(role=role, email=email, full_name=name)
    db.session.commit()


@pytest.fixture
def shots(screenshot_dir: Path) -> Path:
    folder = screenshot_dir / "shift"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


@pytest.fixture
def open_tab(browser: Any, helpline: Helpline, shots: Path) -> Iterator[Callable[[Role], Walk]]:
    """open_tab(role) -> a Walk in a browser context of its own (its own cookies), closed after the test; the
    screenshots of every tab are numbered in one sequence."""
    numbers = itertools.count(1)
    contexts: list[Any] = []

    def open_(role: Role) -> Walk:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London", accept_downloads=True
        )
        contexts.append(context)
        return Walk(context.new_page(), helpline.url, role.value, shots, numbers)

    yield open_
    for context in contexts:
        context.close()


# --- what the database says ------------------------------------------------------------------------------------------


def _reminder_rows(helpline: Helpline, callback_id: int) -> list[tuple[str, str, str]]:
    """(channel, status, message_id) of the callback's reminder rows."""

    def rows() -> list[tuple[str, str, str]]:
        query = sa.select(OutboxMessage.channel, OutboxMessage.status, OutboxMessage.message_id).where(
            OutboxMessage.callback_id == callback_id
        )
        return [(str(channel), str(status), str(mid)) for channel, status, mid in db.session.execute(query)]

    result: list[tuple[str, str, str]] = helpline.stack.query(rows)
    return result


def _callers(helpline: Helpline) -> list[tuple[int, str, bool, bool, bool]]:
    def rows() -> list[tuple[int, str, bool, bool, bool]]:
        query = sa.select(
            Caller.id, Caller.phone_e164, Caller.consent_callback, Caller.consent_voicemail, Caller.consent_sms
        )
        return [tuple(row) for row in db.session.execute(query)]  # type: ignore[misc]

    result: list[tuple[int, str, bool, bool, bool]] = helpline.stack.query(rows)
    return result


def _calls(helpline: Helpline) -> list[tuple[int, Any]]:
    """(case id, started_at) of every call."""
    result: list[tuple[int, Any]] = helpline.stack.query(
        lambda: [tuple(row) for row in db.session.execute(sa.select(Call.case_id, Call.started_at))]
    )
    return result


def _callback_status(helpline: Helpline, callback_id: int) -> str:
    return str(helpline.stack.query(lambda: db.session.get_one(Callback, callback_id).status))


# --- the shift -------------------------------------------------------------------------------------------------------


def test_a_shift_from_clocking_on_to_the_audit_trail(
    helpline: Helpline, open_tab: Callable[[Role], Walk], tmp_path: Path
) -> None:
    advisor_email, advisor_name = STAFF[Role.ADVISOR]
    advisor = open_tab(Role.ADVISOR)

    # the advisor signs in and clocks on
    steps.sign_in(advisor, advisor_email, "Alex")
    steps.clock_on(advisor)

    # a call from a new number: the caller agrees to be called back and to a voicemail, not to texts
    steps.start_call(advisor, PHONE, "new")
    advisor.page.fill("#f-caller_name", CALLER_NAME)
    advisor.page.select_option("#f-relationship", "parent")
    advisor.page.check("#f-consent_callback")
    advisor.page.check("#f-consent_voicemail")
    advisor.step("new-caller")
    case_id = steps.finish_call(
        advisor, reason="Son drinking heavily", notes="Wants to know about detox", outcome="Call back to talk options"
    )
    reference = advisor.text("h1")
    assert re.fullmatch(r"CA-\d{4}-\d{6}", reference)
    assert "Callback yes · voicemail yes · SMS no" in advisor.text(".facts")
    advisor.step("case")

    steps.record_assessment(advisor, substance="alcohol", pathway="medical_detox", risk="medium")
    assert "Risk: Medium" in advisor.text(".case-meta")
    advisor.step("case-assessed")

    # a callback a few minutes ahead: its reminder is due as soon as it is booked
    due = to_local(now_utc() + BOOK_AHEAD).replace(second=0, microsecond=0)
    callback_id = steps.book_callback(advisor, due, reason="Talk through detox options")
    advisor.step("callback-booked")
    advisor.page.get_by_role("link", name="My callbacks").first.click()
    advisor.wait_for_path("/callbacks/")
    assert reference in advisor.text("table.callbacks")
    advisor.step("my-callbacks")

    # the reminder: on the bell and by email (beat's scan queues it, the worker delivers it)
    wait_for(
        lambda: sorted(status for _, status, _ in _reminder_rows(helpline, callback_id)) == ["sent", "sent"],
        60,
        "the reminder to be delivered in the app and by email",
    )
    rows = _reminder_rows(helpline, callback_id)
    assert sorted(channel for channel, _, _ in rows) == [DeliveryChannel.EMAIL, DeliveryChannel.IN_APP]
    assert {status for _, status, _ in rows} == {OutboxStatus.SENT}
    advisor.page.reload()
    assert steps.unread_count(advisor) == 1
    advisor.step("reminder-on-the-bell")
    listed = steps.open_notifications(advisor)
    assert len(listed) == 1
    assert f"Callback due {due:%H:%M}" in listed[0]
    assert reference in listed[0]
    assert "(unread)" in listed[0]

    (message_id,) = [mid for channel, _, mid in rows if channel == DeliveryChannel.EMAIL]
    assert helpline.smtp.deliveries() == [(message_id, advisor_email)]  # once, to the advisor, as recorded
    (mail,) = helpline.smtp.messages()
    assert mail["To"] == advisor_email
    body = mail.get_content()
    words = f"{mail['Subject']}\n{body}"
    assert reference in words
    assert PHONE_DIGITS not in re.sub(r"[\s().-]", "", words)  # no caller number in any format…
    assert CALLER_NAME not in words  # …nor the caller's name
    link = f"{helpline.url}/callbacks/{callback_id}"
    assert link in body

    # the advisor follows the email's link and completes the callback
    advisor.page.goto(link)
    assert advisor.page.locator(".case-meta .countdown").count() == 1
    advisor.step("callback")
    steps.complete_callback(advisor, notes="Talked through detox options; will ring us back")
    advisor.step("callback-completed")
    assert "Answered" in advisor.text("ul.timeline")
    assert advisor.page.locator(".case-meta .countdown").count() == 0  # no "in 2 min" or "5 min overdue" once done
    assert _callback_status(helpline, callback_id) == "completed"

    # the same number again, typed another way: the caller is known and their consents come filled in
    (before,) = _callers(helpline)
    assert before[2:] == (True, True, False)
    steps.start_call(advisor, PHONE_AGAIN, "known")
    assert f"Known caller: {CALLER_NAME}" in advisor.text("#caller-banner")
    assert reference in advisor.text("#caller-banner")
    assert steps.consents_shown(advisor) == {"consent_callback": True, "consent_voicemail": True, "consent_sms": False}
    assert advisor.page.is_hidden("#consent-changes")
    advisor.step("repeat-caller")
    again = steps.finish_call(advisor, reason="Ringing back", notes="Booked a detox assessment", outcome="Booked")
    assert again == case_id
    advisor.step("case-repeat-call")
    assert _callers(helpline) == [before]  # one caller, every consent as it was
    calls = _calls(helpline)
    assert [case for case, _ in calls] == [case_id, case_id]

    # the manager: the day's calls on the dashboard's live strip, and in the CSV
    manager_email, manager_name = STAFF[Role.MANAGER]
    manager = open_tab(Role.MANAGER)
    steps.sign_in(manager, manager_email, "Morgan")
    manager.page.get_by_role("link", name="Reports").click()
    manager.wait_for_path("/reports/")
    today = to_local(now_utc()).date()
    calls_today = sum(1 for _, started in calls if to_local(started).date() == today)
    strip = steps.live_strip(manager)
    assert strip["Calls so far today"] == str(calls_today)
    assert strip["On shift now"] == "1"
    assert "1 due in the period: 1 made on time" in manager.text("section[aria-labelledby=callbacks-h]")
    manager.step("dashboard")
    rows_csv = steps.download_csv(manager, "Calls per day", tmp_path)
    today_rows = [row for row in rows_csv if row["period"] == "current" and row["start"][:10] == today.isoformat()]
    assert [row["calls"] for row in today_rows] == [str(calls_today)]

    # the admin: each of them in the audit trail
    admin = open_tab(Role.ADMIN)
    steps.sign_in(admin, STAFF[Role.ADMIN][0], "Ada")
    trail = steps.audit_trail_of(admin, advisor_name)
    admin.step("audit-advisor")
    assert {row["who"] for row in trail} == {advisor_name}
    done = {row["what"].splitlines()[0] for row in trail}
    assert {"Signed in", "Shift started", "Call logged", "Viewed a case", "Callback attempt recorded"} <= done
    assert any(row["what"].startswith("Viewed a case") and reference in row["about"] for row in trail)
    assert [row["what"].splitlines()[0] for row in trail].count("Call logged") == 2
    assert [row["what"].splitlines()[0] for row in trail].count("Caller consent changed") == 1  # the first call only
    trail = steps.audit_trail_of(admin, manager_name)
    admin.step("audit-manager")
    assert {row["who"] for row in trail} == {manager_name}
    assert {"Signed in", "Report downloaded"} <= {row["what"].splitlines()[0] for row in trail}

    for walk in (advisor, manager, admin):
        assert walk.errors == [], walk.role
