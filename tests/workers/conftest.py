"""Worker tests: real worker and beat processes, a real PostgreSQL database committed to for real, a Redis of their
own (so a test may stop or flush it), and an SMTP server on loopback that records every message it accepts by
Message-ID and recipient. The stack itself is tests/live.py's; waits are on conditions with deadlines; figures are
printed (run with -s to see them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from caseapp.auth.models import Role, User
from caseapp.callbacks.booking import book_callback
from caseapp.extensions import db
from caseapp.reminders.models import DeliveryChannel, OutboxMessage, OutboxStatus
from caseapp.timeutil import now_utc
from tests import factories, servers
from tests.live import LiveStack, SmtpSink, record_figures, start_smtp_sink, wait_for

#: settings every worker test runs with (CASEAPP_<name> in the processes, the same in the test's own app)
FAST_SETTINGS: dict[str, Any] = {
    "SCAN_INTERVAL_SECONDS": 2,
    "SWEEP_INTERVAL_SECONDS": 2,
    "OUTBOX_DISPATCH_GRACE_SECONDS": 2,
    "OUTBOX_LOST_SECONDS": 8,
    "SMTP_TIMEOUT_SECONDS": 3,
    "DELIVERY_LEASE_SECONDS": 8,
    # callbacks due in 30 minutes are inside the reminder window at once, and never reach their due time
    "REMINDER_LEAD_SECONDS": 3600,
    "DELIVERY_RETRY_BACKOFF_SECONDS": 1,
    "DELIVERY_RETRY_BACKOFF_MAX_SECONDS": 4,
    "OUTBOX_MAX_ATTEMPTS": 3,
}


@dataclass(kw_only=True)
class Stack(LiveStack):
    """A live stack with a Redis of its own and an SMTP sink, and readers of the reminder outbox."""

    redis: servers.RedisServer
    smtp: SmtpSink

    # --- reading the database (each read in its own short transaction) ---

    def outbox_counts(self, channel: DeliveryChannel | None = None) -> dict[str, int]:
        def count() -> dict[str, int]:
            query = sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
            if channel is not None:
                query = query.where(OutboxMessage.channel == channel)
            return {str(status): int(n) for status, n in db.session.execute(query)}

        result: dict[str, int] = self.query(count)
        return result

    def email_rows(self) -> list[tuple[int, str, str, str]]:
        """(callback_id, message_id, status, recipient email) of every email row."""

        def rows() -> list[tuple[int, str, str, str]]:
            query = (
                sa.select(OutboxMessage.callback_id, OutboxMessage.message_id, OutboxMessage.status, User.email)
                .join(User, User.id == OutboxMessage.recipient_id)
                .where(OutboxMessage.channel == DeliveryChannel.EMAIL)
            )
            return [(c, m, str(s), e) for c, m, s, e in db.session.execute(query)]

        result: list[tuple[int, str, str, str]] = self.query(rows)
        return result


def seed_callbacks(
    app: Flask, count: int, *, advisors: int = 20, due_in: timedelta = timedelta(minutes=30), prefix: str = "a"
) -> dict[int, str]:
    """`count` callbacks all due at the same instant, spread over `advisors` advisors, committed for real.
    Returns {callback id: the assignee's email}."""
    with app.app_context():
        users = [
            factories.make_user(role=Role.ADVISOR, email=f"{prefix}{i}@helpline.test", full_name=f"Adv{i} Test")
            for i in range(advisors)
        ]
        cases = [
            factories.make_case(factories.make_caller(consent_callback=True), actor=users[0])
            for _ in range(min(count, 50))
        ]
        due = now_utc() + due_in
        expected: dict[int, str] = {}
        for i in range(count):
            user = users[i % advisors]
            callback = book_callback(cases[i % len(cases)], due_at=due, actor=user, assignee_id=user.id).callback
            expected[callback.id] = user.email
        db.session.commit()
        db.session.remove()
    return expected


@pytest.fixture
def make_stack(pg_server_url: str, tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    """make_stack(**settings) -> a fresh database (upgrade head), Redis, SMTP sink, and the env for processes."""
    made: list[tuple[Stack, Controller]] = []

    def _make(**settings: Any) -> Stack:
        redis = servers.start_redis()
        sink, controller, smtp_url = start_smtp_sink()
        values = {**FAST_SETTINGS, **settings, "SMTP_URL": smtp_url}
        stack = Stack.create(
            pg_server_url, redis.url, tmp_path, prefix="caseapp_worker", settings=values, redis=redis, smtp=sink
        )
        made.append((stack, controller))
        return stack

    yield _make

    for stack, controller in made:
        stack.stop_all()
        controller.stop()
        stack.redis.stop()
        stack.close()


@pytest.fixture
def stack(make_stack: Callable[..., Stack], request: pytest.FixtureRequest) -> Iterator[Stack]:
    built = make_stack()
    yield built
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        built.print_logs_on_failure()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report


def figures(line: str) -> None:
    """The figures a worker test proves, printed (pytest -s) and kept in test-artifacts/worker-figures.txt."""
    record_figures(line, "worker-figures.txt")


__all__ = ["OutboxStatus", "Stack", "figures", "seed_callbacks", "wait_for"]
