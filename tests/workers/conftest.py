"""Worker tests: real worker and beat processes, a real PostgreSQL database committed to for real, a Redis of their
own (so a test may stop or flush it), and an SMTP server on loopback that records every message it accepts by
Message-ID and recipient. Waits are on conditions with deadlines; figures are printed (run with -s to see them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask_migrate import upgrade

from caseapp.auth.models import Role, User
from caseapp.callbacks.services import book_callback
from caseapp.extensions import db
from caseapp.reminders.models import DeliveryChannel, OutboxMessage, OutboxStatus
from caseapp.timeutil import now_utc
from tests import factories, servers
from tests.conftest import TEST_SECRET, create_database, drop_database, make_app

ROOT = Path(__file__).resolve().parents[2]

#: settings every worker test runs with (CASEAPP_<name> in the processes, the same in the test's own app)
FAST_SETTINGS: dict[str, Any] = {
    "SCAN_INTERVAL_SECONDS": 2,
    "SWEEP_INTERVAL_SECONDS": 2,
    "OUTBOX_STALE_SECONDS": 8,
    # callbacks due in 30 minutes are inside the reminder window at once, and never reach their due time
    "REMINDER_LEAD_SECONDS": 3600,
    "DELIVERY_RETRY_BACKOFF_SECONDS": 1,
    "DELIVERY_RETRY_BACKOFF_MAX_SECONDS": 4,
    "OUTBOX_MAX_ATTEMPTS": 3,
}


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> float:
    """Poll `condition` until it is truthy; returns the seconds it took, or fails after `timeout`."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


class SmtpSink:
    """An aiosmtpd handler: accepts mail and records (Message-ID, recipient); 451s the addresses in `refuse`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deliveries: list[tuple[str, str]] = []
        self.refuse: set[str] = set()
        self.refusals = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address.lower() in self.refuse:
            with self._lock:
                self.refusals += 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message_id = str(message_from_bytes(envelope.content)["Message-ID"])
        with self._lock:
            self._deliveries += [(message_id, rcpt.lower()) for rcpt in envelope.rcpt_tos]
        return "250 Message accepted for delivery"

    def deliveries(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._deliveries)

    def count(self) -> int:
        with self._lock:
            return len(self._deliveries)

    def unique(self) -> int:
        with self._lock:
            return len(set(self._deliveries))

    def duplicates(self) -> int:
        return sum(n - 1 for n in Counter(self.deliveries()).values())


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def count(self, text: str) -> int:
        return self.log().count(text)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Stack:
    app: Flask
    env: dict[str, str]
    redis: servers.RedisServer
    smtp: SmtpSink
    directory: Path
    processes: list[Proc] = field(default_factory=list)

    def _spawn(self, name: str, args: list[str]) -> Proc:
        log_path = self.directory / f"{name}.log"
        handle = log_path.open("ab")
        popen = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.app", *args],
            cwd=self.directory,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a SIGKILL takes the pool children too
        )
        handle.close()
        proc = Proc(name, popen, log_path)
        self.processes.append(proc)
        return proc

    def start_worker(self, name: str = "worker") -> Proc:
        proc = self._spawn(
            name,
            [
                "worker",
                "--pool=prefork",
                "--concurrency=2",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                f"--hostname={name}@%h",
            ],
        )
        wait_for(lambda: " ready." in proc.log() or not proc.alive, 60, f"{name} to be ready")
        assert proc.alive, proc.log()[-3000:]
        return proc

    def start_beat(self, name: str = "beat", wait_for_lock: bool = True) -> Proc:
        proc = self._spawn(name, ["beat", "--loglevel=INFO", "--pidfile=", f"--schedule={self.directory / name}"])
        wait_for(lambda: "beat: Starting..." in proc.log() or not proc.alive, 60, f"{name} to start")
        if wait_for_lock:
            wait_for(lambda: "Acquired lock" in proc.log() or not proc.alive, 60, f"{name} to take the beat lock")
        assert proc.alive, proc.log()[-3000:]
        return proc

    def kill(self, proc: Proc) -> None:
        """SIGKILL the whole process group (the worker and its pool children): a machine losing power."""
        os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(timeout=10)

    def stop(self, proc: Proc) -> None:
        if proc.alive:
            os.killpg(proc.popen.pid, signal.SIGTERM)
            try:
                proc.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.processes:
            try:
                self.stop(proc)
            except ProcessLookupError:
                pass

    # --- reading the database (each read in its own short transaction) ---

    def query(self, fn: Callable[[], Any]) -> Any:
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

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

    def print_logs_on_failure(self) -> None:
        for proc in self.processes:
            print(f"--- {proc.name} (last lines) ---\n{proc.log()[-4000:]}")  # noqa: T201


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
    made: list[tuple[Stack, Controller, str]] = []

    def _make(**settings: Any) -> Stack:
        database_url = create_database(pg_server_url, prefix="caseapp_worker")
        redis = servers.start_redis()
        sink = SmtpSink()
        controller = Controller(sink, hostname="127.0.0.1", port=servers.free_port())
        controller.start()
        smtp_url = f"smtp://127.0.0.1:{controller.port}"
        values = {**FAST_SETTINGS, **settings}
        app = make_app(database_url, redis.url, SMTP_URL=smtp_url, **values)
        with app.app_context():
            upgrade()
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("CASEAPP_") and key not in ("PYTEST_CURRENT_TEST",)
        }
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "CASEAPP_ENV": "test",
                "CASEAPP_SECRET_KEY": TEST_SECRET,
                "CASEAPP_DATABASE_URL": database_url,
                "CASEAPP_REDIS_URL": redis.url,
                "CASEAPP_SMTP_URL": smtp_url,
                "CASEAPP_VAR_DIR": str(tmp_path / "var"),
                **{
                    f"CASEAPP_{key}": str(value).lower() if isinstance(value, bool) else str(value)
                    for key, value in values.items()
                },
            }
        )
        stack = Stack(app, env, redis, sink, tmp_path)
        made.append((stack, controller, database_url))
        return stack

    yield _make

    for stack, controller, database_url in made:
        stack.stop_all()
        controller.stop()
        stack.redis.stop()
        with stack.app.app_context():
            db.engine.dispose()
        drop_database(pg_server_url, database_url)


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
    print(f"\n[figures] {line}")  # noqa: T201
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with (artifacts / "worker-figures.txt").open("a") as handle:
        handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")


__all__ = ["OutboxStatus", "Stack", "figures", "seed_callbacks", "wait_for"]
