"""Report benchmarks: `make bench`, `python -m bench [reports]` (see bench/README.md).

Seeds PostgreSQL with a year of calls (1,000,000 by default; --calls 10000000 for the big run), then for each report
endpoint prints the median response time and two ratios measured in the same run:

- overhead = (endpoint - a no-op endpoint) / the endpoint's own SQL run directly on the same database (target <= 1.15)
- speed-up = the naive GROUP BY over the raw tables / the endpoint (never below 1; >= 20x at 10M with the rollups)

and checks that the volume report equals the naive SQL (date_trunc(unit, ts, 'Europe/London')) on the four UK
clock-change days of 2026-2027. Timing lives here, never in the tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CASEAPP_ENV", "development")
os.environ.setdefault("CASEAPP_VAR_DIR", str(ROOT / "var" / "bench"))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import time_machine  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from caseapp import create_app  # noqa: E402
from caseapp.auth.models import Role  # noqa: E402
from caseapp.extensions import db  # noqa: E402

#: the clock is held here while seeding and measuring (the data runs to November 2027)
NOW = datetime(2027, 12, 1, 12, 0, tzinfo=UTC)
#: the benchmarked year: 8 November 2026 to 7 November 2027 (2027-03-28 and 2027-10-31 inside)
YEAR_END = date(2027, 11, 7)
YEAR = (YEAR_END - timedelta(days=364), YEAR_END)
#: an earlier, thinner stretch so that 2026-03-29 and 2026-10-25 have calls too (and the year has a previous period)
EARLIER = (date(2026, 3, 22), YEAR[0] - timedelta(days=1))
CLOCK_CHANGES = (date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31))
ZONE = "Europe/London"
LATEST = (
    "(SELECT DISTINCT ON (case_id) case_id, primary_substance, recommended_pathway, risk_level FROM assessments "
    "ORDER BY case_id, id DESC)"
)
NAIVE_TALK = "coalesce(sum(extract(epoch FROM ended_at - started_at)), 0)"


def _naive_volume(unit: str, extra: str = "", join: str = "") -> str:
    bucket = f"date_trunc('{unit}', c.started_at, '{ZONE}')"
    return (
        f"SELECT {bucket} AS bucket{extra}, count(*) FROM calls c {join} "
        f"WHERE c.started_at >= %(start)s AND c.started_at < %(end)s GROUP BY {bucket}{extra} ORDER BY 1"
    )


LATENESS = "extract(epoch FROM started_at - due_at) - coalesce(window_minutes, 0) * 60"
LATE = f"status = 'completed' AND {LATENESS} > 0"


def _naive_callbacks(group: str) -> str:
    """One table of the callbacks report (the total, by advisor or by day) in one plain GROUP BY."""
    counts = ", ".join(
        f"count(*) FILTER (WHERE {condition})"
        for condition in (
            f"status = 'completed' AND {LATENESS} <= 0",
            LATE,
            "status = 'missed'",
            "status = 'unreachable'",
            "status = 'cancelled'",
            "status IN ('scheduled', 'in_progress', 'no_answer')",
        )
    )
    spread = ", ".join(
        f"percentile_disc({p}) WITHIN GROUP (ORDER BY {LATENESS}) FILTER (WHERE {LATE})" for p in ("0.5", "0.9")
    )
    select = f"{group}, " if group else ""
    return (
        f"SELECT {select}count(*), {counts}, {spread} FROM callbacks WHERE due_at >= %(start)s AND due_at < %(end)s"
        + (f" GROUP BY {group}" if group else "")
    )


@dataclass(frozen=True)
class Case:
    """One endpoint call and the naive SQL that answers the same question from the raw tables."""

    name: str
    path: str
    naive: list[str]
    #: the naive SQL covers the previous period as well (the volume report shows it)
    with_previous: bool = False


def cases() -> list[Case]:
    first, last = YEAR
    period = f"from={first.isoformat()}&to={(last + timedelta(days=1)).isoformat()}"
    return [
        Case("volume day", f"/api/v1/reports/volume?{period}&bucket=day", [_naive_volume("day")], True),
        Case("volume hour", f"/api/v1/reports/volume?{period}&bucket=hour", [_naive_volume("hour")], True),
        Case(
            "volume month by channel",
            f"/api/v1/reports/volume?{period}&bucket=month&by=channel",
            [_naive_volume("month", ", c.channel")],
            True,
        ),
        Case(
            "volume week by substance",
            f"/api/v1/reports/volume?{period}&bucket=week&by=substance",
            [_naive_volume("week", ", l.primary_substance", f"LEFT JOIN {LATEST} l ON l.case_id = c.case_id")],
            True,
        ),
        Case(
            "heatmap",
            f"/api/v1/reports/heatmap?{period}",
            [
                (
                    f"SELECT extract(isodow FROM c.started_at AT TIME ZONE '{ZONE}') w, "
                    f"extract(hour FROM c.started_at AT TIME ZONE '{ZONE}') h, count(*) FROM calls c "
                    "WHERE c.started_at >= %(start)s AND c.started_at < %(end)s GROUP BY 1, 2"
                )
            ],
        ),
        Case(
            "breakdown by channel",
            f"/api/v1/reports/breakdown?{period}&by=channel",
            [
                (
                    f"SELECT channel, count(*), {NAIVE_TALK} FROM calls "
                    "WHERE started_at >= %(start)s AND started_at < %(end)s GROUP BY channel"
                )
            ],
        ),
        Case(
            "breakdown by substance",
            f"/api/v1/reports/breakdown?{period}&by=substance",
            [
                (
                    f"SELECT l.primary_substance, count(*), {NAIVE_TALK} FROM calls c "
                    f"LEFT JOIN {LATEST} l ON l.case_id = c.case_id "
                    "WHERE c.started_at >= %(start)s AND c.started_at < %(end)s GROUP BY 1"
                )
            ],
        ),
        Case(
            "breakdown by advisor",
            f"/api/v1/reports/breakdown?{period}&by=advisor",
            [
                (
                    f"SELECT advisor_id, count(*), {NAIVE_TALK} FROM calls "
                    "WHERE started_at >= %(start)s AND started_at < %(end)s GROUP BY advisor_id"
                ),
                (
                    "SELECT advisor_id, count(*) FROM assessments WHERE supersedes_id IS NULL "
                    "AND created_at >= %(start)s AND created_at < %(end)s GROUP BY advisor_id"
                ),
            ],
        ),
        Case(
            "funnel",
            f"/api/v1/reports/funnel?{period}",
            [
                (
                    "SELECT count(*), count(*) FILTER (WHERE l.case_id IS NOT NULL OR k.status IN "
                    "('assessed', 'referred', 'admitted') OR k.close_reason = 'treatment_started'), "
                    "count(*) FILTER (WHERE k.status IN ('referred', 'admitted') "
                    "OR k.close_reason = 'treatment_started'), "
                    "count(*) FILTER (WHERE k.status = 'admitted' OR k.close_reason = 'treatment_started') "
                    f"FROM cases k LEFT JOIN {LATEST} l ON l.case_id = k.id "
                    "WHERE k.created_at >= %(start)s AND k.created_at < %(end)s"
                )
            ],
        ),
        Case(
            "callbacks",
            f"/api/v1/reports/callbacks?{period}",
            [_naive_callbacks(group) for group in ("", "assignee_id", f"date(due_at AT TIME ZONE '{ZONE}')")],
        ),
        Case(
            "today",
            "/api/v1/reports/today",
            [],
        ),
    ]


# --- the database --------------------------------------------------------------------------------------------------


@contextmanager
def database() -> Iterator[str]:
    """CASEAPP_BENCH_DATABASE_URL, or a throwaway PostgreSQL server (tests/servers.py) with a fresh database."""
    given = os.environ.get("CASEAPP_BENCH_DATABASE_URL")
    if given:
        yield given
        return
    from tests.servers import start_postgres

    server = start_postgres()
    try:
        url = sa.make_url(server.url).set(database="postgres").render_as_string(hide_password=False)
        yield url
    finally:
        server.stop()


def psycopg_url(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def seed_data(app: Flask, calls: int) -> None:
    from caseapp.reports.seed import SeedPlan, seed, vacuum_analyze

    with app.app_context():
        present = db.session.scalar(sa.text("SELECT count(*) FROM calls"))
        if present:
            print(f"Reusing the {present:,} calls already there.")
            db.session.execute(sa.text("ANALYZE"))  # a migration may have just filled new report tables
            db.session.commit()
            return
        began = time.perf_counter()
        earlier_days = (EARLIER[1] - EARLIER[0]).days + 1
        for label, plan in (
            ("the benchmarked year", SeedPlan(calls=calls, days=365, seed=1, end=YEAR[1])),
            ("an earlier stretch", SeedPlan(calls=max(1000, calls // 10), days=earlier_days, seed=2, end=EARLIER[1])),
        ):
            step = time.perf_counter()
            summary = seed(plan)
            db.session.commit()
            print(
                f"  seeded {summary.calls:,} calls for {label} ({summary.first_day} to {summary.last_day}) "
                f"in {time.perf_counter() - step:.1f} s"
            )
        vacuum_analyze()
        print(f"Seeded in {time.perf_counter() - began:.1f} s (VACUUM ANALYZE included).")


# --- measuring -----------------------------------------------------------------------------------------------------


def median_ms(run: Callable[[], Any], repeat: int) -> float:
    run()  # warm: plans cached, pages in memory
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


class Captured:
    """The SQL an endpoint sends (statement, parameters), caught from the engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []

    def _catch(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self.statements.append((statement, parameters))

    @contextmanager
    def catching(self) -> Iterator[list[tuple[str, Any]]]:
        self.statements = []
        sa.event.listen(self.engine, "before_cursor_execute", self._catch)
        try:
            yield self.statements
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", self._catch)


def run_direct(connection: psycopg.Connection[Any], statements: list[tuple[str, Any]]) -> None:
    with connection.cursor() as cursor:
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
    connection.rollback()


def run_naive(connection: psycopg.Connection[Any], case: Case) -> None:
    from caseapp.reports.params import Period

    periods = [Period.of_days(*YEAR)]
    if case.with_previous:
        periods.append(periods[0].previous())
    with connection.cursor() as cursor:
        for period in periods:
            for statement in case.naive:
                cursor.execute(statement, {"start": period.start, "end": period.end})
                cursor.fetchall()
    connection.rollback()


def check_clock_change_days(
    app: Flask, client: Any, headers: dict[str, str], connection: psycopg.Connection[Any]
) -> bool:
    """The volume report (hour and day buckets, and by substance) equals the naive SQL on each clock-change day."""
    from caseapp.reports.params import Period

    ok = True
    for day in CLOCK_CHANGES:
        period = Period.of_days(day, day)
        query = f"from={day.isoformat()}&to={(day + timedelta(days=1)).isoformat()}&previous=false"
        for unit, by, extra, join in (
            ("hour", "", "", ""),
            ("day", "", "", ""),
            ("day", "&by=substance", ", l.primary_substance", f"LEFT JOIN {LATEST} l ON l.case_id = c.case_id"),
        ):
            body = client.get(f"/api/v1/reports/volume?{query}&bucket={unit}{by}", headers=headers).get_json()
            got = {(datetime.fromisoformat(r["start"]), r["key"]): r["calls"] for r in body["rows"] if r["calls"]}
            with connection.cursor() as cursor:
                cursor.execute(_naive_volume(unit, extra, join), {"start": period.start, "end": period.end})
                want = {(row[0], row[1] if extra else None): row[-1] for row in cursor.fetchall()}
            connection.rollback()
            same = got == want
            ok &= same
            label = f"{unit}{' by substance' if by else ''}"
            print(
                f"  {day} {label:<16} {sum(got.values()):>6,} calls in {len(got):>3} buckets: "
                f"{'equal' if same else 'DIFFERENT'}"
            )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench [reports]", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls in the benchmarked year")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per measurement (after one warm-up)")
    parser.add_argument("--only", help="measure only the reports whose name contains this (e.g. callbacks)")
    parser.add_argument("--seed-only", action="store_true", help="seed (or upgrade) the database and stop")
    args = parser.parse_args(argv)

    with time_machine.travel(NOW, tick=True), database() as server_url:
        url = server_url
        if not os.environ.get("CASEAPP_BENCH_DATABASE_URL"):
            engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.exec_driver_sql("CREATE DATABASE caseapp_bench")
            engine.dispose()
            url = sa.make_url(server_url).set(database="caseapp_bench").render_as_string(hide_password=False)
        app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING"})
        with app.app_context():
            upgrade()
        print(f"PostgreSQL: {sa.make_url(url).render_as_string(hide_password=True)}")
        seed_data(app, args.calls)
        if args.seed_only:
            return 0
        with app.app_context():
            from tests import factories

            manager = factories.make_user(role=Role.MANAGER, email=f"bench-{uuid.uuid4().hex[:12]}@example.org")
            _, token = factories.make_token(manager)
            db.session.commit()
            engine = db.engine
            total = db.session.scalar(sa.text("SELECT count(*) FROM calls"))
        headers = {"Authorization": f"Bearer {token}"}
        client = app.test_client()
        captured = Captured(engine)
        direct = psycopg.connect(psycopg_url(url))

        noop = "/api/v1/reference"
        with app.app_context(), captured.catching() as noop_statements:
            client.get(noop, headers=headers)
        auth_sql = {statement for statement, _ in noop_statements}
        noop_ms = median_ms(lambda: client.get(noop, headers=headers), args.repeat)

        print()
        print(f"{total:,} calls in the database; {args.calls:,} in the year {YEAR[0]} to {YEAR[1]}.")
        print(f"Median of {args.repeat} runs after a warm-up; no-op endpoint ({noop}): {noop_ms:.1f} ms.")
        print()
        header = (
            f"{'report':<26} {'endpoint ms':>11} {'its SQL ms':>10} {'overhead':>9} {'naive ms':>9} {'speed-up':>9}"
        )
        print(header)
        print("-" * len(header))
        slowest = 0.0
        for case in cases():
            if args.only and args.only not in case.name:
                continue
            response = client.get(case.path, headers=headers)
            assert response.status_code == 200, (case.path, response.get_data(as_text=True)[:300])
            with app.app_context(), captured.catching() as statements:
                client.get(case.path, headers=headers)
            own = [(s, p) for s, p in statements if s not in auth_sql]
            endpoint = median_ms(lambda c=case: client.get(c.path, headers=headers), args.repeat)  # type: ignore[misc]
            sql = median_ms(lambda o=own: run_direct(direct, o), args.repeat)  # type: ignore[misc]
            overhead = (endpoint - noop_ms) / sql if sql else float("nan")
            if case.naive:
                naive = median_ms(lambda c=case: run_naive(direct, c), args.repeat)  # type: ignore[misc]
                speed = f"{naive / endpoint:>8.1f}x"
                naive_text = f"{naive:>9.1f}"
            else:
                speed, naive_text = f"{'-':>9}", f"{'-':>9}"
            slowest = max(slowest, endpoint)
            print(f"{case.name:<26} {endpoint:>11.1f} {sql:>10.1f} {overhead:>9.2f} {naive_text} {speed}")
        print()
        print(f"Slowest report: {slowest:.0f} ms.")
        print()
        print("Clock-change days, the volume report against date_trunc(unit, started_at, 'Europe/London'):")
        ok = check_clock_change_days(app, client, headers, direct)
        direct.close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    print()
    print("All equal." if ok else "MISMATCH: see above.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
