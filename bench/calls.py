"""`python -m bench calls` (`make bench-calls`): logging a call, against the same work in raw SQL, side by side.

- B1: wrk POSTing /api/v1/calls (a new caller each time, an advisor's token) to `caseapp web` (gunicorn, production
  settings) ÷ pgbench running bench/load/log_call.sql (the same rows in raw SQL, one transaction a call) on the same
  database, interleaved A B A B, at 32 and 4 connections, with synchronous_commit on and off; with the web
  processes' CPU per call.
- B4: log_call() in-process (no HTTP) ÷ raw psycopg sending the same statements, interleaved.
- `--sweep`: gunicorn settings (worker class, processes, threads) at 32 and 4 connections, to choose the defaults.

Timing lives here, never in the tests. See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.callbacks import group_cpu_seconds, server_cpu_seconds  # noqa: E402
from bench.machine import describe  # noqa: E402
from caseapp.auth.models import Role, User  # noqa: E402
from caseapp.cli import WEB_THREADS, WEB_WORKER_CLASS, WEB_WORKERS  # noqa: E402
from caseapp.extensions import db  # noqa: E402
from tests import servers  # noqa: E402
from tests.live import LiveStack, Proc  # noqa: E402

LOAD = ROOT / "bench" / "load"
TARGETS = {"ratio": 0.25, "p99_32": 150.0, "p99_4": 30.0, "cpu_ms": 6.0, "b4": 0.5}
SWEEP = "sync:2:1,sync:4:1,gthread:2:2,gthread:2:4,gthread:2:8,gthread:3:4,gthread:4:4"


@dataclass(frozen=True)
class WebSettings:
    worker_class: str
    workers: int
    threads: int

    @classmethod
    def parse(cls, text: str) -> WebSettings:
        worker_class, workers, threads = text.split(":")
        return cls(worker_class, int(workers), int(threads))

    def args(self) -> tuple[str, ...]:
        return ("--worker-class", self.worker_class, "--threads", str(self.threads))

    def __str__(self) -> str:
        threads = f" × {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"{self.worker_class}, {self.workers} workers{threads}"


@dataclass
class Arm:
    """One timed run: requests (or transactions) a second, latency percentiles, CPU of the web processes a call."""

    rate: float
    p50_ms: float
    p99_ms: float
    failed: int = 0
    cpu_ms: float | None = None


def pgbench_path() -> str:
    """pgbench, beside the PostgreSQL server binaries (wrk and the server come with scripts/bench)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run this through scripts/bench (make bench-calls), which installs it")
    return servers._pg_bin("pgbench")


# --- the two arms of B1 ------------------------------------------------------------------------------------------


def run_wrk(url: str, token: str, connections: int, seconds: float, run: int, web: Proc | None = None) -> Arm:
    cpu_before = group_cpu_seconds(web.popen.pid) if web else 0.0
    result = subprocess.run(  # noqa: S603
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            "--timeout",
            "10s",
            "-s",
            str(LOAD / "log_call.lua"),
            f"{url}/api/v1/calls",
        ],
        env={**os.environ, "CASEAPP_TOKEN": token, "CASEAPP_RUN": str(run)},
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads([line for line in result.stdout.splitlines() if line.startswith("{")][-1])
    requests = summary["requests"]
    cpu = (group_cpu_seconds(web.popen.pid) - cpu_before) * 1000 / requests if web and requests else None
    return Arm(
        rate=requests / (summary["duration_us"] / 1e6),
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        failed=summary["non_2xx"] + summary["socket_errors"],
        cpu_ms=cpu,
    )


def run_pgbench(pgbench: str, conninfo: str, advisor_id: int, connections: int, seconds: float, run: int) -> Arm:
    with tempfile.TemporaryDirectory() as logs:
        result = subprocess.run(  # noqa: S603
            [
                pgbench,
                "-n",
                "-f",
                str(LOAD / "log_call.sql"),
                f"-c{connections}",
                f"-j{min(2, connections)}",
                f"-T{int(seconds)}",
                "-D",
                f"advisor={advisor_id}",
                "-D",
                f"run={run}",
                "-l",
                f"--log-prefix={logs}/tx",
                conninfo,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        latencies = sorted(
            int(line.split()[2]) for path in Path(logs).glob("tx*") for line in path.read_text().splitlines()
        )
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout).group(1))  # type: ignore[union-attr]
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    return Arm(
        rate=tps,
        p50_ms=percentile(latencies, 50) / 1000,
        p99_ms=percentile(latencies, 99) / 1000,
        failed=int(failed.group(1)) if failed else 0,
    )


def percentile(sorted_values: list[int], p: float) -> float:
    if not sorted_values:
        return float("nan")
    return float(sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))])


# --- B4: log_call() in-process against raw psycopg ---------------------------------------------------------------

RAW_STATEMENTS = (
    (
        "INSERT INTO callers (phone_e164, relationship, consent_callback, consent_voicemail, consent_sms) "
        "VALUES (%(phone)s, 'self', false, false, false) ON CONFLICT (phone_e164) DO UPDATE "
        "SET phone_e164 = excluded.phone_e164 RETURNING callers.*, xmax = 0"
    ),
    (
        "INSERT INTO cases (reference_year, caller_id, status, assigned_advisor_id, last_contact_at, version) "
        "VALUES (%(year)s, %(caller)s, 'new', %(advisor)s, %(at)s, 1) RETURNING id, created_at, updated_at"
    ),
    (
        "INSERT INTO calls (call_type, case_id, caller_id, advisor_id, direction, channel, started_at, local_date, "
        "local_hour, reason, tags) VALUES ('data', %(case)s, %(caller)s, %(advisor)s, 'inbound', 'phone', %(at)s, "
        "%(day)s, %(hour)s, 'Asked about detox', '[]') RETURNING id, created_at"
    ),
    (
        "INSERT INTO audit_events (actor_id, action, entity_type, entity_id, request_id, ip, detail) VALUES "
        "(%(advisor)s, 'caller.created', 'caller', %(caller_text)s, NULL, NULL, '{}'), "
        "(%(advisor)s, 'case.opened', 'case', %(case_text)s, NULL, NULL, '{}'), "
        "(%(advisor)s, 'call.logged', 'call', %(call_text)s, NULL, NULL, %(detail)s)"
    ),
)


def raw_log_call(connection: psycopg.Connection[Any], phone: str, advisor_id: int) -> None:
    from caseapp.calls.services import local_date_and_hour
    from caseapp.timeutil import now_utc

    at = now_utc()
    day, hour = local_date_and_hour(at)
    values: dict[str, Any] = {"phone": phone, "advisor": advisor_id, "at": at, "year": day.year, "day": day}
    with connection.cursor() as cur:
        values["caller"] = cur.execute(RAW_STATEMENTS[0], values).fetchone()[0]  # type: ignore[index]
        values["case"] = cur.execute(RAW_STATEMENTS[1], values).fetchone()[0]  # type: ignore[index]
        values["hour"] = hour
        values["call"] = cur.execute(RAW_STATEMENTS[2], values).fetchone()[0]  # type: ignore[index]
        detail = {"call_type": "data", "case_id": values["case"], "caller_id": values["caller"]}
        text = {f"{name}_text": str(values[name]) for name in ("caller", "case", "call")}
        cur.execute(RAW_STATEMENTS[3], {**values, **text, "detail": json.dumps(detail)})
    connection.commit()


def orm_log_call(phone: str, advisor: User) -> None:
    from caseapp.calls.services import CallInput, log_call

    log_call(CallInput(phone=phone, reason="Asked about detox"), actor=advisor)
    db.session.commit()
    db.session.remove()  # what a request's teardown does


def b4(stack: LiveStack, advisor_id: int, calls: int, pairs: int) -> tuple[list[tuple[float, float]], int]:
    """[(log_call ms, raw ms)] per pair, and the statements log_call sent for one new caller."""
    numbers = iter(range(10**7))
    results = []
    with stack.app.app_context():
        advisor = db.session.get(User, advisor_id)
        assert advisor is not None
        db.session.expunge(advisor)  # a loaded user, as the request's authentication leaves it
        statements: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        orm_log_call(f"+44740{next(numbers):07d}", advisor)
        sa.event.remove(db.engine, "before_cursor_execute", count)
        gc.freeze()  # as each web worker does once the app is loaded (caseapp/gunicorn_hooks.py)
        with psycopg.connect(stack.database_url.replace("+psycopg", "")) as raw:
            for _ in range(pairs):
                began = time.perf_counter()
                for _ in range(calls):
                    orm_log_call(f"+44740{next(numbers):07d}", advisor)
                orm_ms = (time.perf_counter() - began) * 1000 / calls
                began = time.perf_counter()
                for _ in range(calls):
                    raw_log_call(raw, f"+44750{next(numbers):07d}", advisor_id)
                raw_ms = (time.perf_counter() - began) * 1000 / calls
                results.append((orm_ms, raw_ms))
    return results, len(statements)


# --- the stack ---------------------------------------------------------------------------------------------------


@contextmanager
def stack_for_the_run(durable: bool) -> Iterator[tuple[LiveStack, int | None]]:
    """A migrated database on a throwaway PostgreSQL (or CASEAPP_BENCH_DATABASE_URL's server), a Redis, and the
    PostgreSQL postmaster's pid when the server is ours."""
    given = os.environ.get("CASEAPP_BENCH_DATABASE_URL")
    redis_server = servers.start_redis()
    pg = None if given else servers.start_postgres(durable=durable)
    directory = Path(tempfile.mkdtemp(prefix="caseapp-bench-calls-"))
    stack = LiveStack.create(given or pg.url, redis_server.url, directory, prefix="caseapp_bench_calls")  # type: ignore[union-attr]
    try:
        pid = int((pg.directory / "data" / "postmaster.pid").read_text().split()[0]) if pg else None
        yield stack, pid
    finally:
        stack.close()
        redis_server.stop()
        if pg is not None:
            pg.stop()
        shutil.rmtree(directory, ignore_errors=True)


def make_advisor(stack: LiveStack) -> tuple[int, str]:
    from tests import factories

    with stack.app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR, email=f"bench-{uuid.uuid4().hex[:12]}@example.org")
        _, token = factories.make_token(advisor)
        db.session.commit()
        return advisor.id, token


def set_synchronous_commit(stack: LiveStack, mode: str) -> None:
    """For every new connection to the bench database (the web processes are started after this, pgbench too)."""
    name = sa.make_url(stack.database_url).database
    with psycopg.connect(stack.database_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {name} SET synchronous_commit TO {mode}")  # type: ignore[arg-type]


def conninfo(stack: LiveStack) -> str:
    return sa.make_url(stack.database_url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- reporting ---------------------------------------------------------------------------------------------------


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_b1(mode: str, connections: int, pairs: list[tuple[Arm, Arm]]) -> float:
    print(f"\nB1, synchronous_commit {mode}, {connections} connections (wrk ÷ pgbench):")
    print(
        f"  {'pair':<5}{'wrk req/s':>10}{'p50':>8}{'p99':>8}{'CPU/call':>9}{'pgbench tps':>12}{'p50':>8}{'p99':>8}"
        f"{'ratio':>7}{'failed':>8}"
    )
    for number, (web, raw) in enumerate(pairs, 1):
        print(
            f"  {number:<5}{web.rate:>10.0f}{web.p50_ms:>8.1f}{web.p99_ms:>8.1f}{ms(web.cpu_ms):>9}"
            f"{raw.rate:>12.0f}{raw.p50_ms:>8.1f}{raw.p99_ms:>8.1f}{web.rate / raw.rate:>7.3f}"
            f"{web.failed + raw.failed:>8}"
        )
    ratio = statistics.median(web.rate / raw.rate for web, raw in pairs)
    p99 = statistics.median(web.p99_ms for web, _ in pairs)
    cpu = statistics.median(web.cpu_ms for web, _ in pairs if web.cpu_ms is not None)
    p99_target = TARGETS["p99_32"] if connections >= 32 else TARGETS["p99_4"]
    verdict = [f"median ratio {ratio:.3f}"]
    if connections >= 32:
        verdict[0] += f" (target ≥ {TARGETS['ratio']}: {met(ratio >= TARGETS['ratio'])})"
    verdict.append(f"median p99 {p99:.1f} ms (target ≤ {p99_target:.0f}: {met(p99 <= p99_target)})")
    verdict.append(f"web CPU {cpu:.2f} ms a call (target ≤ {TARGETS['cpu_ms']:.0f}: {met(cpu <= TARGETS['cpu_ms'])})")
    print("  " + "; ".join(verdict))
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench calls", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=12, help="length of each timed run")
    parser.add_argument("--pairs", type=int, default=3, help="A B pairs per figure")
    parser.add_argument("--connections", default="32,4", help="comma-separated client connection counts")
    parser.add_argument("--synchronous-commit", default="on,off", help="comma-separated: on, off")
    parser.add_argument(
        "--web",
        default=f"{WEB_WORKER_CLASS}:{WEB_WORKERS}:{WEB_THREADS}",
        help="gunicorn settings class:workers:threads (default: caseapp web's)",
    )
    parser.add_argument("--sweep", nargs="?", const=SWEEP, help=f"compare gunicorn settings (default list {SWEEP})")
    parser.add_argument("--arms", default="b1,b4", help="comma-separated: b1, b4")
    parser.add_argument("--b4-calls", type=int, default=1000, help="calls per B4 arm")
    parser.add_argument("--durable", action="store_true", help="PostgreSQL with fsync on (default off, as measured)")
    args = parser.parse_args(argv)
    connection_counts = [int(n) for n in args.connections.split(",")]

    pgbench = pgbench_path()
    print(describe())
    with stack_for_the_run(args.durable) as (stack, pg_pid):
        advisor_id, token = make_advisor(stack)
        print(f"PostgreSQL: {'fsync on' if args.durable else 'fsync off'}; web: caseapp web (gunicorn) on loopback")
        run = iter(range(1, 10**6))
        if args.sweep:
            sweep(stack, token, [WebSettings.parse(s) for s in args.sweep.split(",")], connection_counts, args, run)
            return 0
        settings = WebSettings.parse(args.web)
        print(f"gunicorn: {settings}; {args.pairs} pairs of {args.seconds:.0f} s runs, wrk first")
        for mode in args.synchronous_commit.split(",") if "b1" in args.arms else []:
            set_synchronous_commit(stack, mode)
            web = stack.start_web(f"web-{mode}", workers=settings.workers, web_args=settings.args())
            assert web.url is not None
            run_wrk(web.url, token, 8, 3, next(run))  # warm: connections open, statements prepared
            for connections in connection_counts:
                pairs = []
                pg_before = server_cpu_seconds(pg_pid) if pg_pid else None
                for _ in range(args.pairs):
                    web_arm = run_wrk(web.url, token, connections, args.seconds, next(run), web)
                    raw_arm = run_pgbench(pgbench, conninfo(stack), advisor_id, connections, args.seconds, next(run))
                    pairs.append((web_arm, raw_arm))
                print_b1(mode, connections, pairs)
                if pg_before is not None and pg_pid:
                    print(f"  PostgreSQL CPU over both arms: {server_cpu_seconds(pg_pid) - pg_before:.1f} s")
            stack.stop(web)
        if "b4" in args.arms:
            set_synchronous_commit(stack, "on")
            with stack.app.app_context():
                db.engine.dispose()  # new connections take the setting
            results, statements = b4(stack, advisor_id, args.b4_calls, args.pairs)
            print(
                f"\nB4, log_call() in-process ÷ raw psycopg, {args.b4_calls} new callers an arm, synchronous_commit on:"
            )
            print(
                f"  log_call sent {statements} statements for a new caller (raw psycopg: {len(RAW_STATEMENTS)}), "
                "then COMMIT"
            )
            for number, (orm_ms, raw_ms) in enumerate(results, 1):
                print(f"  pair {number}: log_call {orm_ms:.2f} ms, raw {raw_ms:.2f} ms, ratio {raw_ms / orm_ms:.3f}")
            ratio = statistics.median(raw / orm for orm, raw in results)
            print(f"  median ratio {ratio:.3f} (target ≥ {TARGETS['b4']}: {met(ratio >= TARGETS['b4'])})")
    return 0


def sweep(
    stack: LiveStack,
    token: str,
    options: list[WebSettings],
    connection_counts: list[int],
    args: Any,
    run: Iterator[int],
) -> None:
    print(f"\nSweep: wrk alone, {args.seconds:.0f} s a run, synchronous_commit on")
    set_synchronous_commit(stack, "on")
    print(
        f"  {'gunicorn':<34}"
        + "".join(f"{f'{c} conns req/s':>16}{'p50':>7}{'p99':>7}{'CPU':>6}" for c in connection_counts)
    )
    for settings in options:
        web = stack.start_web(
            f"web-{settings.worker_class}-{settings.workers}-{settings.threads}",
            workers=settings.workers,
            web_args=settings.args(),
        )
        assert web.url is not None
        run_wrk(web.url, token, 8, 3, next(run))
        cells = []
        for connections in connection_counts:
            arm = run_wrk(web.url, token, connections, args.seconds, next(run), web)
            cells.append(f"{arm.rate:>16.0f}{arm.p50_ms:>7.1f}{arm.p99_ms:>7.1f}{ms(arm.cpu_ms):>6}")
        stack.stop(web)
        print(f"  {str(settings):<34}" + "".join(cells))


if __name__ == "__main__":
    sys.exit(main())
