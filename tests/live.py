"""A live stack for tests that work from outside the process, as production runs it: a fresh database on the session
PostgreSQL built by `upgrade head`, the CASEAPP_* environment the processes read, and the processes themselves (the
web app under gunicorn as `caseapp web` starts it, Celery workers, beat), each in its own process group with a log
file. An SMTP sink on loopback records the mail. The test keeps an in-process app on the same database to seed it and
read it back. Waits are on conditions with deadlines.

    stack = LiveStack.create(pg_server_url, redis_url, tmp_path)
    web = stack.start_web()                   # gunicorn on a free port, /healthz answered
    user_id, token = stack.api_token(Role.MANAGER)
    ...
    stack.close()                             # stops every process, drops the database
"""

from __future__ import annotations

import asyncio
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Self

from aiosmtpd.controller import Controller
from flask import Flask
from flask_migrate import upgrade

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.reminders.models import OutboxMessage
from tests import factories, servers
from tests.conftest import TEST_DATA_KEY, TEST_SECRET, create_database, drop_database, make_app

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> float:
    """Poll `condition` until it is truthy; returns the seconds it took, or fails after `timeout`."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def record_figures(line: str, artifact: str) -> None:
    """Figures a test proves: printed (pytest -s shows them) and appended to test-artifacts/<artifact>."""
    print(f"\n[figures] {line}")  # noqa: T201
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with (artifacts / artifact).open("a") as handle:
        handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")


# --- mail ------------------------------------------------------------------------------------------------------


class SmtpSink:
    """An aiosmtpd handler: accepts mail and records (Message-ID, recipient) and each message as received; 451s the
    addresses in `refuse`. A slow server: `delay` seconds (or `slow[recipient]`, whichever is longer) pass between
    the end of DATA and the 250 reply; a message counts as accepted only once that reply is given (a client that
    disconnects meanwhile cancels it), and `waiting()` lists the Message-IDs whose reply is pending."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deliveries: list[tuple[str, str]] = []
        self._messages: list[EmailMessage] = []
        self._waiting: list[str] = []
        self.refuse: set[str] = set()
        self.refusals = 0
        self.delay = 0.0
        self.slow: dict[str, float] = {}
        #: messages whose DATA the sink has been sent, accepted or not (a client may give up waiting for the reply)
        self.data_received = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address.lower() in self.refuse:
            with self._lock:
                self.refusals += 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=email.policy.default)
        message_id = str(message["Message-ID"])
        with self._lock:
            self.data_received += 1
        delay = max([self.delay, *(self.slow.get(rcpt.lower(), 0.0) for rcpt in envelope.rcpt_tos)])
        if delay > 0:
            with self._lock:
                self._waiting.append(message_id)
            try:
                await asyncio.sleep(delay)  # cancelled if the client goes away: then nothing was accepted
            finally:
                with self._lock:
                    self._waiting.remove(message_id)
        with self._lock:
            self._deliveries += [(message_id, rcpt.lower()) for rcpt in envelope.rcpt_tos]
            self._messages.append(message)
        return "250 Message accepted for delivery"

    def waiting(self) -> list[str]:
        """Message-IDs whose DATA has arrived and whose reply is being held back (sends in flight)."""
        with self._lock:
            return list(self._waiting)

    def deliveries(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._deliveries)

    def messages(self) -> list[EmailMessage]:
        """Every message accepted, parsed (headers and body), in the order it came."""
        with self._lock:
            return list(self._messages)

    def count(self) -> int:
        with self._lock:
            return len(self._deliveries)

    def unique(self) -> int:
        with self._lock:
            return len(set(self._deliveries))

    def duplicates(self) -> int:
        return sum(n - 1 for n in Counter(self.deliveries()).values())


def start_smtp_sink() -> tuple[SmtpSink, Controller, str]:
    """An SMTP sink listening on a free loopback port: (sink, its controller to stop, the CASEAPP_SMTP_URL)."""
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=servers.free_port())
    controller.start()
    return sink, controller, f"smtp://127.0.0.1:{controller.port}"


# --- processes ---------------------------------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    #: where it answers HTTP (the web app only)
    url: str | None = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def count(self, text: str) -> int:
        return self.log().count(text)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None


def process_env(database_url: str, redis_url: str | None, var_dir: Path, settings: dict[str, Any]) -> dict[str, str]:
    """The environment of a caseapp process: this one's without its CASEAPP_* (and pytest's) variables, plus the
    stack's database, Redis and every setting as CASEAPP_<NAME> (booleans as true/false)."""
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
            "CASEAPP_DATA_KEY": TEST_DATA_KEY,  # the in-process app's (make_app), so both read what the other wrote
            "CASEAPP_DATABASE_URL": database_url,
            "CASEAPP_VAR_DIR": str(var_dir),
            **({"CASEAPP_REDIS_URL": redis_url} if redis_url else {}),
            **{
                f"CASEAPP_{key}": str(value).lower() if isinstance(value, bool) else str(value)
                for key, value in settings.items()
            },
        }
    )
    return env


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - a loopback URL we built
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@dataclass(kw_only=True)
class LiveStack:
    """A migrated database, the environment for caseapp processes, and the processes started on it."""

    app: Flask
    env: dict[str, str]
    directory: Path
    server_url: str
    processes: list[Proc] = field(default_factory=list)

    @classmethod
    def create(
        cls,
        server_url: str,
        redis_url: str | None,
        directory: Path,
        *,
        prefix: str = "caseapp_live",
        settings: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Self:
        """A new database on `server_url`, built by `upgrade head`; `settings` go to the in-process app and, as
        CASEAPP_*, to every process; `fields` to subclasses."""
        values = dict(settings or {})
        database_url = create_database(server_url, prefix=prefix)
        app = make_app(database_url, redis_url, **values)
        with app.app_context():
            upgrade()
        env = process_env(database_url, redis_url, directory / "var", values)
        return cls(app=app, env=env, directory=directory, server_url=server_url, **fields)

    @property
    def database_url(self) -> str:
        return str(self.app.config["DATABASE_URL"])

    # --- processes ---

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Proc:
        log_path = self.directory / f"{name}.log"
        handle = log_path.open("ab")
        popen = subprocess.Popen(
            argv,
            cwd=self.directory,
            env={**self.env, **(env or {})},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it takes its children (pool, gunicorn workers)
        )
        handle.close()
        proc = Proc(name, popen, log_path)
        self.processes.append(proc)
        return proc

    def start_web(
        self,
        name: str = "web",
        *,
        workers: int = 2,
        env_name: str = "production",
        port: int | None = None,
        web_args: tuple[str, ...] = (),
    ) -> Proc:
        """`caseapp web` (gunicorn) on `port` (a free loopback port unless given), as production runs it; returns once
        /healthz answers."""
        port = port or servers.free_port()
        argv = [sys.executable, "-c", "from caseapp.cli import main; main()", "web"]
        proc = self.spawn(
            name,
            [*argv, "--bind", f"127.0.0.1:{port}", "--workers", str(workers), *web_args],
            env={"CASEAPP_ENV": env_name},
        )
        proc.url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(f"{proc.url}/healthz") or not proc.alive, 60, f"{name} to answer /healthz")
        assert proc.alive, proc.log()[-3000:]
        return proc

    def _celery(self, name: str, args: list[str]) -> Proc:
        return self.spawn(name, [sys.executable, "-m", "celery", "-A", "workers.app", *args])

    def start_worker(self, name: str = "worker") -> Proc:
        proc = self._celery(
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
        proc = self._celery(name, ["beat", "--loglevel=INFO", "--pidfile=", f"--schedule={self.directory / name}"])
        wait_for(lambda: "beat: Starting..." in proc.log() or not proc.alive, 60, f"{name} to start")
        if wait_for_lock:
            wait_for(lambda: "Acquired lock" in proc.log() or not proc.alive, 60, f"{name} to take the beat lock")
        assert proc.alive, proc.log()[-3000:]
        return proc

    def kill(self, proc: Proc) -> None:
        """SIGKILL the whole process group (a worker and its pool children): a machine losing power."""
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

    def close(self) -> None:
        """Stop every process and drop the database."""
        self.stop_all()
        with self.app.app_context():
            db.engine.dispose()
        drop_database(self.server_url, self.database_url)

    def print_logs_on_failure(self) -> None:
        for proc in self.processes:
            print(f"--- {proc.name} (last lines) ---\n{proc.log()[-4000:]}")  # noqa: T201

    # --- the database (each use in its own app context and short transaction) ---

    def query(self, fn: Callable[[], Any]) -> Any:
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

    def api_token(self, role: Role = Role.ADVISOR, **overrides: Any) -> tuple[int, str]:
        """A new user of `role` (factories.make_user keywords) with an API token, committed: (user id, token)."""

        def make() -> tuple[int, str]:
            user = factories.make_user(role=role, **overrides)
            _, token = factories.make_token(user)
            db.session.commit()
            return user.id, token

        result: tuple[int, str] = self.query(make)
        return result


# --- data ----------------------------------------------------------------------------------------------------------


def seed_call_loop(stack: LiveStack, user_ids: list[int], *, cases: int = 4) -> dict[str, list[int]]:
    """A little of everything the API serves, committed, so `{id}` paths can hit real rows: callers with an open
    case, a call, an assessment, a note and a callback each (the first in the pool, the others assigned in turn to
    `user_ids`), reminder deliveries for those callbacks (one failed), and for every user a call draft, a
    notification and an open shift. Returns the ids made, by kind ("caller", "case", "call", ...)."""
    from caseapp.auth.models import User
    from caseapp.callbacks.due import remind_due
    from caseapp.calls.services import save_draft
    from caseapp.cases.services import add_note
    from caseapp.notifications.services import notify
    from caseapp.reminders.models import OutboxStatus
    from caseapp.timeutil import now_utc

    def seed() -> dict[str, list[int]]:
        users = [db.session.get_one(User, user_id) for user_id in user_ids]
        ids: dict[str, list[int]] = {kind: [] for kind in ("caller", "case", "call", "assessment", "callback")}
        for n in range(cases):
            actor = users[n % len(users)]
            caller = factories.make_caller(consent_callback=True, consent_voicemail=n % 2 == 0)
            case = factories.make_case(caller, actor=actor)
            ids["caller"].append(caller.id)
            ids["case"].append(case.id)
            ids["call"].append(factories.make_call(case, actor=actor, notes="asked about a detox place").id)
            risk = ("low", "medium", "high")[n % 3]
            ids["assessment"].append(factories.make_assessment(case, actor=actor, risk_level=risk).id)
            add_note(case, "spoke to the GP surgery", actor=actor)
            callback = factories.make_callback(case, actor=actor, assignee_id=None if n == 0 else actor.id)
            ids["callback"].append(callback.id)
        ids["outbox"] = remind_due(now=now_utc() + timedelta(hours=2))
        failed = db.session.get_one(OutboxMessage, ids["outbox"][0])
        failed.status, failed.failed_at, failed.last_error = OutboxStatus.FAILED, now_utc(), "550 mailbox unavailable"
        ids["draft"] = [save_draft({"phone": "07700 900123", "notes": "half typed"}, actor=user).id for user in users]
        notify(user_ids, kind="callback_reminder", title="A callback is due soon")
        ids["shift"] = [factories.make_shift(user).id for user in users]
        db.session.commit()
        return ids

    result: dict[str, list[int]] = stack.query(seed)
    return result


__all__ = [
    "LiveStack",
    "Proc",
    "SmtpSink",
    "process_env",
    "record_figures",
    "seed_call_loop",
    "start_smtp_sink",
    "wait_for",
]
