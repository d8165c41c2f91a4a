"""10,000 callbacks falling due at once: `make bench-callbacks`, `python -m bench callbacks` (see bench/README.md).

On a throwaway PostgreSQL (fsync on, as in production) and Redis, with the real `caseapp worker` and `caseapp beat`
processes (CASEAPP_ENV=production) and an SMTP sink on loopback, three arms in one run, each on a fresh database:

1. due:     --callbacks callbacks (10,000) across --advisors advisors (50) whose reminder time is one minute boundary:
            the time from that moment until the last reminder email reaches the sink, divided by the time redis-py
            takes to push as many delivery-task-sized messages, pipelined, to the same Redis (measured in the same
            run, just before the reminder time). Target <= 30x; and every email and in-app reminder within 60 s, none
            missing, none twice (by Message-ID, and by outbox row).
2. kill:    the same, with the worker's process group SIGKILLed once --kill-at of the emails have arrived, and a new
            worker started: time to the last email, missing, duplicates; a resend with the same Message-ID (the
            email the server accepted just before the kill, not yet marked sent) is counted apart, the only repeat
            allowed.
3. latency: the same with the sink holding each reply back --latency-ms (50 ms), against the floor
            callbacks x latency / send concurrency (the worker's concurrency). Target <= 1.5x the floor.

Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.smtp_sink import SmtpSink  # noqa: E402
from caseapp.auth.models import Role, User  # noqa: E402
from caseapp.callbacks.models import Callback  # noqa: E402
from caseapp.config import defaults as config_defaults  # noqa: E402
from caseapp.config import derive  # noqa: E402
from caseapp.extensions import db  # noqa: E402
from caseapp.notifications.models import Notification  # noqa: E402
from caseapp.reference import CallbackPriority  # noqa: E402
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxMessage  # noqa: E402
from caseapp.tasks import TaskName  # noqa: E402
from tests import factories, servers  # noqa: E402
from tests.live import LiveStack, Proc, wait_for  # noqa: E402

PRODUCTION = config_defaults("production")
#: a mix of priorities, so some subjects are long enough to be folded (urgent is rarer)
PRIORITIES = [CallbackPriority.NORMAL] * 14 + [CallbackPriority.HIGH] * 5 + [CallbackPriority.URGENT]
CASES = 200
#: the reminder moment is the first minute boundary at least this long after the stack is up (seeding, the push
#: baseline and beat's first ticks happen in between)
MARGIN_SECONDS = 25
PUSH_RUNS = 5


@dataclass(frozen=True)
class Settings:
    """What the worker and beat run with: production's defaults, and these."""

    pool: str
    concurrency: int
    batch_size: int
    scan_batch_size: int
    mark_every: int

    def caseapp(self, smtp_url: str) -> dict[str, Any]:
        return {
            "SMTP_URL": smtp_url,
            "WORKER_POOL": self.pool,
            "WORKER_CONCURRENCY": self.concurrency,
            "DELIVERY_BATCH_SIZE": self.batch_size,
            "SCAN_BATCH_SIZE": self.scan_batch_size,
            "DELIVERY_MARK_SENT_EVERY": self.mark_every,
            "MAIL_FROM": "caseapp@helpline.test",
            "BASE_URL": "https://caseapp.helpline.test",
        }

    def describe(self) -> list[str]:
        value = {**PRODUCTION, **self.caseapp("")}
        derived = {**value, "DATABASE_URL": "postgresql+psycopg://bench/bench", "REDIS_URL": "redis://bench"}
        derive(derived)
        return [
            (
                f"worker: caseapp worker --pool={self.pool} --concurrency={self.concurrency} (prefetch multiplier "
                f"{derived['CELERY']['worker_prefetch_multiplier']}, acks late; database pool "
                f"{derived['SQLALCHEMY_ENGINE_OPTIONS']['pool_size']}); one caseapp beat (RedBeat)"
            ),
            (
                f"DELIVERY_BATCH_SIZE {self.batch_size} rows per delivery task, emails marked sent "
                f"{self.mark_every} to a commit (DELIVERY_MARK_SENT_EVERY); SCAN_BATCH_SIZE {self.scan_batch_size} "
                f"callbacks per scan round; SCAN_INTERVAL_SECONDS {value['SCAN_INTERVAL_SECONDS']} plus a scan at each "
                f"minute; REMINDER_LEAD_SECONDS {value['REMINDER_LEAD_SECONDS']}"
            ),
            (
                f"SWEEP_INTERVAL_SECONDS {value['SWEEP_INTERVAL_SECONDS']}, DELIVERY_LEASE_SECONDS "
                f"{value['DELIVERY_LEASE_SECONDS']}, OUTBOX_LOST_SECONDS {value['OUTBOX_LOST_SECONDS']}, "
                f"OUTBOX_DISPATCH_GRACE_SECONDS {value['OUTBOX_DISPATCH_GRACE_SECONDS']}, SMTP_TIMEOUT_SECONDS "
                f"{value['SMTP_TIMEOUT_SECONDS']}; CASEAPP_ENV=production (JSON logs at INFO)"
            ),
        ]


@dataclass
class Outcome:
    """What one arm measured."""

    name: str
    callbacks: int
    moment: float
    push_seconds: list[float]
    received: int = 0
    distinct: int = 0
    last_email: float | None = None
    first_email: float | None = None
    median_email: float | None = None
    last_in_app: float | None = None
    missing_email: int = 0
    missing_in_app: int = 0
    duplicate_message_ids: int = 0
    duplicate_rows: int = 0
    duplicate_in_app: int = 0
    wrong_recipient: int = 0
    unsent_rows: dict[str, int] = field(default_factory=dict)
    audit_sent: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    finished: bool = True

    @property
    def push(self) -> float:
        return statistics.median(self.push_seconds)

    @property
    def correct(self) -> bool:
        return not (
            self.missing_email
            or self.missing_in_app
            or self.duplicate_rows
            or self.duplicate_in_app
            or self.wrong_recipient
            or self.unsent_rows
        )


# --- the machine -------------------------------------------------------------------------------------------------


def busy_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine since boot (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _stat(path: Path) -> list[str] | None:
    try:
        return path.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds used by a server process and its live children (PostgreSQL's backends)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        parts = _stat(stat)
        if parts is not None and (int(stat.parent.name) == pid or int(parts[1]) == pid):
            total += int(parts[11]) + int(parts[12])
    return total / os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds used by the live processes of a process group (a worker and its pool)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        parts = _stat(stat)
        if parts is not None and int(parts[2]) == pgid:
            total += int(parts[11]) + int(parts[12])
    return total / os.sysconf("SC_CLK_TCK")


# --- the stack ---------------------------------------------------------------------------------------------------


@contextmanager
def servers_for_the_run() -> Iterator[tuple[str, servers.RedisServer, int | None]]:
    """(server URL, Redis, the PostgreSQL postmaster's pid when the server is ours)."""
    given = os.environ.get("CASEAPP_BENCH_DATABASE_URL")
    redis_server = servers.start_redis()
    pg = None if given else servers.start_postgres(durable=True)
    try:
        pid = int((pg.directory / "data" / "postmaster.pid").read_text().split()[0]) if pg else None
        yield (given or (pg.url if pg else "")), redis_server, pid
    finally:
        redis_server.stop()
        if pg is not None:
            pg.stop()


def caseapp(stack: LiveStack, name: str, *args: str) -> Proc:
    """`caseapp <args>` as production runs it (CASEAPP_ENV=production), in its own process group."""
    argv = [sys.executable, "-c", "from caseapp.cli import main; main()", *args]
    return stack.spawn(name, argv, env={"CASEAPP_ENV": "production"})


def start_worker(stack: LiveStack, name: str) -> Proc:
    proc = caseapp(stack, name, "worker", f"--hostname={name}@%h")
    wait_for(lambda: " ready." in proc.log() or not proc.alive, 90, f"{name} to be ready")
    if not proc.alive:
        raise RuntimeError(proc.log()[-3000:])
    return proc


def start_beat(stack: LiveStack) -> Proc:
    proc = caseapp(stack, "beat", "beat", "--pidfile=", f"--schedule={stack.directory / 'beat-schedule'}")
    wait_for(lambda: "Acquired lock" in proc.log() or not proc.alive, 90, "beat to take its lock")
    if not proc.alive:
        raise RuntimeError(proc.log()[-3000:])
    return proc


def seed(stack: LiveStack, count: int, advisors: int, due_at: datetime) -> dict[int, str]:
    """`advisors` advisors on shift, CASES cases, and `count` scheduled callbacks due at `due_at`, assigned in turn.
    The callbacks go in with one INSERT (booking 10,000 through the service one by one takes minutes); the scan reads
    only what booking writes into the callbacks table. Returns {callback id: its advisor's email}."""

    def make() -> dict[int, str]:
        users = [
            factories.make_user(role=Role.ADVISOR, email=f"adv{i}@helpline.test", full_name=f"Adv{i} Bench")
            for i in range(advisors)
        ]
        for user in users:
            factories.make_shift(user)
        cases = [
            factories.make_case(factories.make_caller(consent_callback=True), actor=users[i % advisors])
            for i in range(CASES)
        ]
        db.session.flush()
        rows = [
            {
                "case_id": cases[i % len(cases)].id,
                "due_at": due_at,
                "window_minutes": 30,
                "assignee_id": users[i % advisors].id,
                "created_by_id": users[i % advisors].id,
                "priority": PRIORITIES[i % len(PRIORITIES)],
            }
            for i in range(count)
        ]
        made = db.session.execute(
            sa.insert(Callback).returning(Callback.id, Callback.assignee_id, sort_by_parameter_order=True), rows
        ).all()
        emails: dict[int | None, str] = {user.id: user.email for user in users}
        db.session.commit()
        return {int(callback_id): emails[assignee_id] for callback_id, assignee_id in made}

    result: dict[int, str] = stack.query(make)
    return result


def delivery_message(stack: LiveStack, client: redis.Redis) -> bytes:
    """The bytes of one delivery task message as Celery puts it on Redis (a task for one outbox row)."""
    key = f"bench-probe-{uuid.uuid4().hex[:8]}"
    celery = stack.app.extensions["celery"]
    celery.send_task(str(TaskName.DELIVER_REMINDER), args=[[123456]], queue=key, routing_key=key)
    raw = client.lpop(key)
    client.delete(key)
    if not isinstance(raw, bytes):
        raise RuntimeError("the probe message did not reach Redis")
    return raw


def push_seconds(client: redis.Redis, payload: bytes, count: int) -> float:
    """redis-py pushing `count` copies of `payload` in one pipeline (no transaction), start to reply."""
    key = f"bench-push-{uuid.uuid4().hex[:8]}"
    began = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for _ in range(count):
        pipe.lpush(key, payload)
    pipe.execute()
    elapsed = time.perf_counter() - began
    client.delete(key)
    return elapsed


def next_boundary(after: float) -> float:
    return (int(after) // 60 + 1) * 60.0


# --- reading back ------------------------------------------------------------------------------------------------


def outbox_statuses(stack: LiveStack) -> dict[str, int]:
    def count() -> dict[str, int]:
        query = sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        return {str(status): int(n) for status, n in db.session.execute(query)}

    result: dict[str, int] = stack.query(count)
    return result


def check(stack: LiveStack, sink: SmtpSink, expected: dict[int, str], outcome: Outcome) -> None:
    """Fill `outcome` from the sink and the database."""
    received = sink.received()
    moment = outcome.moment

    def read() -> dict[str, Any]:
        email_rows = db.session.execute(
            sa.select(OutboxMessage.callback_id, OutboxMessage.message_id, OutboxMessage.status, User.email)
            .join(User, User.id == OutboxMessage.recipient_id)
            .where(OutboxMessage.channel == DeliveryChannel.EMAIL, OutboxMessage.kind == OutboxKind.REMINDER)
        ).all()
        in_app = db.session.execute(
            sa.select(OutboxMessage.callback_id, OutboxMessage.sent_at).where(
                OutboxMessage.channel == DeliveryChannel.IN_APP, OutboxMessage.kind == OutboxKind.REMINDER
            )
        ).all()
        bells = db.session.execute(
            sa.select(Notification.user_id, Notification.link, sa.func.count())
            .where(Notification.kind == "callback_reminder")
            .group_by(Notification.user_id, Notification.link)
        ).all()
        written = db.session.scalar(sa.select(sa.func.max(OutboxMessage.created_at)))
        audited = db.session.scalar(sa.text("SELECT count(*) FROM audit_events WHERE action = 'reminder.sent'"))
        return {"email_rows": email_rows, "in_app": in_app, "bells": bells, "audited": audited, "written": written}

    found: dict[str, Any] = stack.query(read)
    rows_per_callback = Counter(row.callback_id for row in found["email_rows"])
    by_message_id = {row.message_id: row for row in found["email_rows"]}
    arrivals = sorted(r.at - moment for r in received)
    copies = Counter((r.message_id, r.recipient) for r in received)
    got_callbacks: dict[int, set[str]] = {}
    for message_id, recipient in copies:
        row = by_message_id.get(message_id)
        if row is None or recipient != row.email or expected.get(row.callback_id) != recipient:
            outcome.wrong_recipient += 1
            continue
        got_callbacks.setdefault(row.callback_id, set()).add(message_id)
    in_app_rows = Counter(row.callback_id for row in found["in_app"])
    in_app_sent = [row.sent_at.timestamp() - moment for row in found["in_app"] if row.sent_at is not None]
    bells = {int(link.rsplit("/", 1)[1]): n for _, link, n in found["bells"]}

    outcome.received, outcome.distinct = len(received), len(copies)
    if arrivals:
        outcome.first_email, outcome.last_email = arrivals[0], arrivals[-1]
        outcome.median_email = statistics.median(arrivals)
    outcome.last_in_app = max(in_app_sent) if in_app_sent else None
    outcome.missing_email = sum(1 for callback_id in expected if callback_id not in got_callbacks)
    outcome.missing_in_app = sum(1 for callback_id in expected if callback_id not in bells)
    outcome.duplicate_message_ids = sum(n - 1 for n in copies.values())
    outcome.duplicate_rows = (
        sum(n - 1 for n in rows_per_callback.values())
        + sum(n - 1 for n in in_app_rows.values())
        + sum(len(ids) - 1 for ids in got_callbacks.values())
    )
    outcome.duplicate_in_app = sum(n - 1 for n in bells.values())
    outcome.unsent_rows = {status: n for status, n in outbox_statuses(stack).items() if status != "sent"}
    outcome.audit_sent = int(found["audited"] or 0)
    if found["written"] is not None:
        outcome.extra["rows_written"] = found["written"].timestamp() - moment


# --- one arm -----------------------------------------------------------------------------------------------------


@dataclass
class Run:
    server_url: str
    redis_server: servers.RedisServer
    sink: SmtpSink
    settings: Settings
    args: argparse.Namespace
    directory: Path
    pg_pid: int | None

    def arm(self, name: str, *, delay: float = 0.0, kill_at: float | None = None) -> Outcome:
        client = redis.Redis.from_url(self.redis_server.url)
        client.flushall()
        self.sink.reset(delay)
        directory = self.directory / name
        directory.mkdir()
        with contextlib.redirect_stderr(io.StringIO()):  # alembic's line per migration
            stack = LiveStack.create(
                self.server_url,
                self.redis_server.url,
                directory,
                prefix="caseapp_bench",
                settings=self.settings.caseapp(self.sink.url),
            )
        try:
            return self._measure(stack, client, name, kill_at)
        finally:
            stack.stop_all()
            stack.close()
            client.close()

    def _measure(self, stack: LiveStack, client: redis.Redis, name: str, kill_at: float | None) -> Outcome:
        count = self.args.callbacks
        worker = start_worker(stack, "worker")
        beat = start_beat(stack)
        moment = next_boundary(time.time() + MARGIN_SECONDS)
        lead = int(PRODUCTION["REMINDER_LEAD_SECONDS"])
        expected = seed(stack, count, self.args.advisors, datetime.fromtimestamp(moment, UTC) + timedelta(seconds=lead))
        payload = delivery_message(stack, client)
        pushes = [push_seconds(client, payload, count) for _ in range(PUSH_RUNS)]
        outcome = Outcome(name, count, moment, pushes, extra={"message_bytes": len(payload)})
        if time.time() > moment - 2:
            raise RuntimeError("seeding took longer than the margin before the reminder time")
        time.sleep(max(0.0, moment - 1 - time.time()))
        worker_cpu, worker_from = 0.0, group_cpu_seconds(worker.popen.pid)
        beat_from, sink_from, machine_from = group_cpu_seconds(beat.popen.pid), self.sink.cpu_seconds(), busy_jiffies()
        pg_from = server_cpu_seconds(self.pg_pid) if self.pg_pid else 0.0
        redis_pid = self.redis_server.process.pid if self.redis_server.process else None
        redis_from = server_cpu_seconds(redis_pid) if redis_pid else 0.0
        deadline = moment + self.args.timeout
        workers = [worker]
        if kill_at is not None:
            threshold = int(count * kill_at)
            while self.sink.unique() < threshold and time.time() < deadline:
                time.sleep(0.01)
            worker_cpu += group_cpu_seconds(worker.popen.pid) - worker_from
            stack.kill(worker)
            outcome.extra["killed_after"] = self.sink.unique()
            outcome.extra["killed_at"] = time.time() - moment
            outcome.extra["sending_at_kill"] = outbox_statuses(stack).get("sending", 0)
            restarted = time.time()
            worker = start_worker(stack, "worker2")
            workers.append(worker)
            worker_from = group_cpu_seconds(worker.popen.pid)
            outcome.extra["restart_seconds"] = time.time() - restarted
        while self.sink.unique() < count and time.time() < deadline:
            time.sleep(0.02)
        emails_done = time.time()
        while time.time() < deadline and set(outbox_statuses(stack)) != {"sent"}:
            time.sleep(0.25)
        outcome.finished = self.sink.unique() >= count and set(outbox_statuses(stack)) == {"sent"}
        outcome.extra["waited_for_rows"] = time.time() - emails_done
        busy, total = busy_jiffies()
        outcome.cpu = {
            "worker": worker_cpu + group_cpu_seconds(worker.popen.pid) - worker_from,
            "beat": group_cpu_seconds(beat.popen.pid) - beat_from,
            "sink": self.sink.cpu_seconds() - sink_from,
            "postgres": (server_cpu_seconds(self.pg_pid) - pg_from) if self.pg_pid else 0.0,
            "redis": (server_cpu_seconds(redis_pid) - redis_from) if redis_pid else 0.0,
            "machine_busy": (busy - machine_from[0]) / max(1, total - machine_from[1]),
        }
        outcome.extra["load"] = os.getloadavg()[0]
        check(stack, self.sink, expected, outcome)
        if not outcome.finished or not outcome.correct:
            for proc in [*workers, beat]:
                print(f"--- {proc.name} (last lines) ---\n{proc.log()[-3000:]}")
        return outcome


# --- printing ----------------------------------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def describe(outcome: Outcome, settings: Settings, latency: float) -> tuple[list[str], bool]:
    """The lines to print for an arm, and whether it met its targets."""
    o = outcome
    pushes = sorted(o.push_seconds)
    lines = [
        (
            f"  redis-py pushing {o.callbacks:,} {o.extra['message_bytes']}-byte delivery task messages, pipelined: "
            f"median {o.push * 1000:.0f} ms ({len(pushes)} runs, {pushes[0] * 1000:.0f}-{pushes[-1] * 1000:.0f} ms)"
        ),
        (
            f"  emails: {o.distinct:,} distinct received ({o.received:,} in all); first {seconds(o.first_email)}, "
            f"median {seconds(o.median_email)}, last {seconds(o.last_email)} after the reminder time"
        ),
        (
            f"  in-app: last marked sent {seconds(o.last_in_app)} after; audit 'reminder.sent' events: "
            f"{o.audit_sent:,}; the scan's last round began {seconds(o.extra.get('rows_written'))} after"
        ),
        (
            f"  missing: {o.missing_email} emails, {o.missing_in_app} in-app; duplicates: {o.duplicate_message_ids} by "
            f"Message-ID, {o.duplicate_rows} by outbox row, {o.duplicate_in_app} in-app; wrong recipient: "
            f"{o.wrong_recipient}; rows not sent: {o.unsent_rows or 0}"
        ),
        (
            f"  CPU: worker {o.cpu.get('worker', 0):.1f} s, PostgreSQL {o.cpu.get('postgres', 0):.1f} s, Redis "
            f"{o.cpu.get('redis', 0):.1f} s, beat {o.cpu.get('beat', 0):.1f} s, sink "
            f"{o.cpu.get('sink', 0):.1f} s ({o.cpu.get('sink', 0) / max(1, o.received) * 1e6:.0f} us a message); "
            f"whole machine {o.cpu.get('machine_busy', 0) * 100:.0f}% busy; load average {o.extra.get('load', 0):.1f}"
        ),
    ]
    last = o.last_email if o.last_email is not None else float("inf")
    within = last <= 60 and (o.last_in_app or float("inf")) <= 60
    ok = o.finished and o.correct
    if o.name == "due":
        ratio = last / o.push
        ok = ok and ratio <= 30 and within and not o.duplicate_message_ids
        lines.append(
            f"  => last email {seconds(o.last_email)} / push {o.push * 1000:.0f} ms = {ratio:.1f}x (target <= 30x); "
            f"all within 60 s: {'yes' if within else 'NO'}; {'OK' if ok else 'MISSED'}"
        )
    elif o.name == "kill":
        lines.insert(
            0,
            f"  worker SIGKILLed {o.extra['killed_at']:.2f} s after the reminder time, after "
            f"{o.extra['killed_after']:,} emails, {o.extra['sending_at_kill']:,} rows 'sending'; a new worker was "
            f"ready {o.extra['restart_seconds']:.1f} s later",
        )
        lines.append(
            f"  => last email {seconds(o.last_email)} after the reminder time; {o.missing_email} missing; "
            f"{o.duplicate_message_ids} resent with the same Message-ID (allowed), {o.duplicate_rows} other "
            f"duplicates; {'OK' if ok else 'MISSED'}"
        )
    else:
        floor = o.callbacks * latency / settings.concurrency
        ratio = last / floor
        ok = ok and ratio <= 1.5 and not o.duplicate_message_ids
        lines.append(
            f"  => last email {seconds(o.last_email)} / floor {o.callbacks:,} x {latency * 1000:.0f} ms / "
            f"{settings.concurrency} = {floor:.2f} s -> {ratio:.2f}x the floor (target <= 1.5x); "
            f"{'OK' if ok else 'MISSED'}"
        )
    return lines, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench callbacks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--callbacks", type=int, default=10_000)
    parser.add_argument("--advisors", type=int, default=50)
    parser.add_argument("--arms", default="due,kill,latency", help="which arms, comma-separated")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="the sink's delay per message in arm 3")
    parser.add_argument("--kill-at", type=float, default=0.3, help="share of the emails received before the kill")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds after the reminder time to give up")
    parser.add_argument("--pool", default=str(PRODUCTION["WORKER_POOL"]))
    parser.add_argument("--concurrency", type=int, default=int(PRODUCTION["WORKER_CONCURRENCY"]))
    parser.add_argument("--batch-size", type=int, default=int(PRODUCTION["DELIVERY_BATCH_SIZE"]))
    parser.add_argument("--scan-batch-size", type=int, default=int(PRODUCTION["SCAN_BATCH_SIZE"]))
    parser.add_argument("--mark-every", type=int, default=int(PRODUCTION["DELIVERY_MARK_SENT_EVERY"]))
    args = parser.parse_args(argv)
    settings = Settings(args.pool, args.concurrency, args.batch_size, args.scan_batch_size, args.mark_every)
    arms = [arm.strip() for arm in args.arms.split(",") if arm.strip()]
    latency = args.latency_ms / 1000

    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    for line in settings.describe():
        print(line)
    sink = SmtpSink()
    sink.start()
    all_ok = True
    with servers_for_the_run() as (server_url, redis_server, pg_pid), tempfile.TemporaryDirectory() as tmp:
        shown = sa.make_url(server_url).render_as_string(hide_password=True)
        print(f"PostgreSQL {shown} (fsync on), Redis {redis_server.url}")
        run = Run(server_url, redis_server, sink, settings, args, Path(tmp), pg_pid)
        titles = {
            "due": f"1. {args.callbacks:,} callbacks, {args.advisors} advisors, reminder time on one minute boundary",
            "kill": f"2. the same, the worker SIGKILLed after {args.kill_at:.0%} of the emails and restarted",
            "latency": f"3. the same, the SMTP sink answering each message after {args.latency_ms:.0f} ms",
        }
        for name in arms:
            print()
            print(titles[name])
            outcome = run.arm(
                name, delay=latency if name == "latency" else 0.0, kill_at=args.kill_at if name == "kill" else None
            )
            lines, ok = describe(outcome, settings, latency)
            all_ok &= ok
            for line in lines:
                print(line, flush=True)
    sink.stop()
    print()
    print("All targets met." if all_ok else "Some targets missed: see above.")
    return 0 if all_ok else 1
