"""Write cost of the indexes and the report triggers: `make bench-writes`, `python -m bench writes` (bench/README.md).

B5a: pgbench logs calls as log_call writes them (one transaction a call: the call, the case's last contact, the
audit event) into the production tables (every index, constraint and trigger) and into copies of the same tables
with only their primary keys, interleaved A B A B at the same client count; the median of the pairs' throughput
ratios is printed (target >= 0.8), and with --breakdown (or when below the target) what each index, foreign key and
trigger costs, each dropped on its own and put back.

B5b: the report endpoints timed in-process (bench/reports.py's measuring) idle, then while pgbench logs calls at
--rate a second (pgbench -R); each report's loaded median / idle median (target <= 1.5).
"""

from __future__ import annotations

import argparse
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

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import time_machine  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.reports import NOW, cases, database, median_ms, psycopg_url, seed_data
from caseapp import create_app  # noqa: E402
from caseapp.auth.models import Role  # noqa: E402
from caseapp.extensions import db  # noqa: E402

#: the tables a logged call writes: the call, its case (last contact) and the audit event
TABLES = ("calls", "cases", "audit_events")
#: the primary-key-only copies' names
BARE = {table: f"bare_{table}" for table in TABLES}
CHANNELS = ("phone", "web_chat", "email", "sms")
ZONE = "Europe/London"


def call_script(tables: dict[str, str], advisors: list[int], cases: tuple[int, int]) -> str:
    """One logged call as log_call writes it for a data call on an existing case (caseapp/calls/services.py): the
    call with its local date and hour, the case's last contact moved on (cases/stale.py), the audit event."""
    calls, case_table, audit = tables["calls"], tables["cases"], tables["audit_events"]
    advisor_list = ",".join(str(a) for a in advisors)
    channels = ",".join(f"'{c}'" for c in CHANNELS)
    return f"""\\set a random(1, {len(advisors)})
\\set k random({cases[0]}, {cases[1]})
\\set ch random(1, {len(CHANNELS)})
\\set talk random(30, 1800)
BEGIN;
INSERT INTO {calls} (call_type, case_id, caller_id, advisor_id, direction, channel, started_at, ended_at,
    local_date, local_hour, reason, referral_source, outcome_summary, notes, tags, created_at)
    SELECT 'data', k.id, k.caller_id, (ARRAY[{advisor_list}])[:a], 'inbound', (ARRAY[{channels}])[:ch], now(),
    now() + :talk * interval '1 second', (now() AT TIME ZONE '{ZONE}')::date,
    extract(hour FROM now() AT TIME ZONE '{ZONE}')::smallint, 'Asked about detox options', 'search_engine',
    'Talked through the options; callback booked', 'Caller calm, wants a call back tomorrow.', '["detox"]', now()
    FROM {case_table} k WHERE k.id = :k RETURNING id AS call_id, caller_id
\\gset
UPDATE {case_table} SET last_contact_at = now(), updated_at = updated_at
    WHERE id = :k AND (last_contact_at IS NULL OR last_contact_at < now());
INSERT INTO {audit} (occurred_at, actor_id, action, entity_type, entity_id, request_id, ip, detail)
    VALUES (now(), (ARRAY[{advisor_list}])[:a], 'call.logged', 'call', :call_id::text, md5(random()::text), '127.0.0.1',
    json_build_object('call_type', 'data', 'case_id', :k, 'caller_id', :caller_id));
COMMIT;
"""


# --- pgbench ---------------------------------------------------------------------------------------------------------


def pgbench_path() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    try:
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        candidates = [Path(bindir) / "pgbench"]
    except (OSError, subprocess.CalledProcessError):
        candidates = []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True)
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    raise SystemExit("pgbench not found (pg_config --bindir, /usr/lib/postgresql/*/bin)")


@dataclass(frozen=True)
class Pgbench:
    url: str  # libpq URL
    binary: str
    clients: int

    def command(self, script: Path, seconds: float, rate: float | None = None) -> list[str]:
        threads = max(1, min(self.clients, os.cpu_count() or 1))
        command = [self.binary, "-n", "-f", str(script), "-c", str(self.clients), "-j", str(threads)]
        command += ["-T", str(max(1, round(seconds))), "--no-vacuum"]
        if rate is not None:
            command += ["-R", str(rate), "-P", "1"]
        return [*command, self.url]

    def run(self, script: Path, seconds: float, rate: float | None = None) -> float:
        """Transactions per second (pgbench's figure, without the initial connection time)."""
        done = subprocess.run(self.command(script, seconds, rate), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"pgbench failed:\n{done.stderr[-2000:]}")
        match = re.search(r"tps = ([\d.]+)", done.stdout)
        if match is None:
            raise SystemExit(f"no tps in pgbench's output:\n{done.stdout[-2000:]}")
        failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
        if failed and int(failed.group(1)):
            raise SystemExit(f"pgbench: {failed.group(1)} transactions failed:\n{done.stdout[-2000:]}")
        return float(match.group(1))

    @contextmanager
    def background(self, script: Path, seconds: float, rate: float) -> Iterator[subprocess.Popen[str]]:
        process = subprocess.Popen(
            self.command(script, seconds, rate), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
            process.communicate(timeout=30)


# --- the database ---------------------------------------------------------------------------------------------------


def make_bare_copies(connection: psycopg.Connection[Any]) -> None:
    """bare_calls, bare_cases and bare_audit_events: the same columns and defaults, the primary key only, no
    triggers; bare_cases holds the cases (the UPDATE needs rows), the others start empty."""
    with connection.cursor() as cursor:
        for table, bare in BARE.items():
            cursor.execute(f"DROP TABLE IF EXISTS {bare}")
            cursor.execute(f"CREATE TABLE {bare} (LIKE {table} INCLUDING DEFAULTS)")
            if table == "cases":
                cursor.execute(f"INSERT INTO {bare} SELECT * FROM {table}")
            # each copy takes its own sequence, so the copies' ids never share the production sequence
            cursor.execute(f"ALTER TABLE {bare} ALTER COLUMN id DROP DEFAULT")
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {bare}_id_seq OWNED BY {bare}.id")
            cursor.execute(f"SELECT setval('{bare}_id_seq', (SELECT coalesce(max(id), 0) + 1 FROM {table}))")
            cursor.execute(f"ALTER TABLE {bare} ALTER COLUMN id SET DEFAULT nextval('{bare}_id_seq')")
            cursor.execute(f"ALTER TABLE {bare} ADD PRIMARY KEY (id)")
        cursor.execute(f"VACUUM ANALYZE {', '.join(BARE.values())}")


@dataclass(frozen=True)
class Part:
    """An index, foreign key or trigger on a table a logged call writes, and how to drop and restore it."""

    kind: str
    table: str
    name: str
    definition: str

    @property
    def drop(self) -> str:
        if self.kind == "index":
            return f"DROP INDEX {self.name}"
        if self.kind == "trigger":
            return f"DROP TRIGGER {self.name} ON {self.table}"
        return f"ALTER TABLE {self.table} DROP CONSTRAINT {self.name}"

    @property
    def restore(self) -> str:
        if self.kind == "foreign key":
            return f"ALTER TABLE {self.table} ADD CONSTRAINT {self.name} {self.definition}"
        return self.definition


def parts(connection: psycopg.Connection[Any]) -> list[Part]:
    """Every secondary index, foreign key and user trigger of the tables a logged call writes."""
    found: list[Part] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid "
            "WHERE c.relname = ANY(%s) AND NOT x.indisprimary ORDER BY 1, 2",
            [list(TABLES)],
        )
        found += [Part("index", table, name, definition) for table, name, definition in cursor.fetchall()]
        cursor.execute(
            "SELECT c.relname, t.conname, pg_get_constraintdef(t.oid) FROM pg_constraint t "
            "JOIN pg_class c ON c.oid = t.conrelid WHERE c.relname = ANY(%s) AND t.contype = 'f' ORDER BY 1, 2",
            [list(TABLES)],
        )
        found += [Part("foreign key", table, name, definition) for table, name, definition in cursor.fetchall()]
        cursor.execute(
            "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname = ANY(%s) AND NOT t.tgisinternal ORDER BY 1, 2",
            [list(TABLES)],
        )
        found += [Part("trigger", table, name, definition) for table, name, definition in cursor.fetchall()]
    return found


def fires_on_a_logged_call(part: Part) -> bool:
    """Whether the part can cost a logged call anything: every index and foreign key of the three tables, and the
    triggers that fire on an INSERT (calls, audit_events) or an UPDATE of last_contact_at / updated_at (cases)."""
    if part.kind != "trigger":
        return True
    definition = part.definition.upper()
    if part.table == "cases":
        return " UPDATE" in definition and (" OF " not in definition or "LAST_CONTACT_AT" in definition)
    return " INSERT" in definition


# --- B5a ------------------------------------------------------------------------------------------------------------


def write_pairs(bench: Pgbench, production: Path, bare: Path, pairs: int, seconds: float) -> list[tuple[float, float]]:
    print(f"B5a: {pairs} pairs of {seconds:.0f} s runs at {bench.clients} clients, production then bare each time")
    results = []
    for index in range(pairs):
        full = bench.run(production, seconds)
        plain = bench.run(bare, seconds)
        results.append((full, plain))
        print(
            f"  pair {index + 1}: production {full:>7.1f} tps, primary keys only {plain:>7.1f} tps, {full / plain:.2f}"
        )
    return results


def groups(found: list[Part], each: bool) -> list[tuple[str, list[Part]]]:
    """What the breakdown drops at a time: each part on its own, or the parts of one kind on one table (a single
    index costs less than this machine's run-to-run noise), and then the triggers and the rest apart."""
    if each:
        return [(f"{p.kind} {p.table}.{p.name}", [p]) for p in found]
    grouped: dict[str, list[Part]] = {}
    for part in found:
        what = f"{part.table}: {part.name}" if part.kind == "trigger" else f"{part.table}: every {part.kind}"
        grouped.setdefault(what, []).append(part)
    out = [(f"{what} ({len(members)})" if len(members) > 1 else what, members) for what, members in grouped.items()]
    triggers = [p for p in found if p.kind == "trigger"]
    out.append(("all the triggers", triggers))
    out.append(("every index and foreign key, the triggers kept", [p for p in found if p.kind != "trigger"]))
    return out


def breakdown(
    bench: Pgbench, connection: psycopg.Connection[Any], production: Path, seconds: float, each: bool
) -> None:
    """Each group dropped and the production script run, then the group restored and the script run again (the
    machine drifts: each group is compared with the run next to it), the gain printed, costliest first."""
    print()
    print(f"What the parts cost: production without them, then with them again, {seconds:.0f} s each")
    rows = []
    for what, members in groups([p for p in parts(connection) if fires_on_a_logged_call(p)], each):
        with connection.cursor() as cursor:
            for part in members:
                cursor.execute(part.drop)
        try:
            without = bench.run(production, seconds)
        finally:
            with connection.cursor() as cursor:
                for part in members:
                    cursor.execute(part.restore)
        with_them = bench.run(production, seconds)
        rows.append((without / with_them - 1, what, without, with_them))
        print(f"  {what}: {without:.0f} tps without, {with_them:.0f} with")
    rows.sort(key=lambda row: row[0], reverse=True)
    print()
    header = f"  {'dropped':<62} {'without':>8} {'with':>7} {'gain':>7}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for gain, what, without, with_them in rows:
        print(f"  {what:<62} {without:>8.0f} {with_them:>7.0f} {gain:>+7.0%}")


# --- B5b ------------------------------------------------------------------------------------------------------------


def time_reports(client: Any, headers: dict[str, str], repeat: int, only: str | None) -> dict[str, float]:
    return {
        case.name: median_ms(lambda c=case: client.get(c.path, headers=headers), repeat)  # type: ignore[misc]
        for case in cases()
        if not only or only in case.name
    }


def loaded_rate(progress: str) -> tuple[float, float] | None:
    """pgbench's mean rate and latency from its `-P 1` progress lines (a terminated pgbench prints no summary)."""
    found = re.findall(r"progress: [\d.]+ s, ([\d.]+) tps, lat ([\d.]+) ms", progress)
    if not found:
        return None
    return statistics.mean(float(t) for t, _ in found), statistics.mean(float(lat) for _, lat in found)


def report_latency(
    bench: Pgbench, production: Path, client: Any, headers: dict[str, str], args: argparse.Namespace
) -> None:
    """Idle and loaded rounds in turn (the machine drifts): each report's median over the rounds of each."""
    print()
    print(
        f"B5b: report medians of {args.repeat} runs, {args.rounds} rounds idle and {args.rounds} while pgbench logs "
        f"calls at {args.rate:g}/s ({bench.clients} clients), in turn"
    )
    idle: dict[str, list[float]] = {}
    loaded: dict[str, list[float]] = {}
    rates = []
    for _ in range(args.rounds):
        for name, ms in time_reports(client, headers, args.repeat, args.only).items():
            idle.setdefault(name, []).append(ms)
        # long enough for the timed runs; stopped when they end
        with bench.background(production, 3600, args.rate) as load:
            time.sleep(3)  # connected and at its rate
            for name, ms in time_reports(client, headers, args.repeat, args.only).items():
                loaded.setdefault(name, []).append(ms)
            load.terminate()
            _, progress = load.communicate(timeout=30)
        measured = loaded_rate(progress or "")
        if measured:
            rates.append(measured)
    header = f"  {'report':<26} {'idle ms':>8} {'loaded ms':>10} {'ratio':>6}"
    print(header)
    print("  " + "-" * (len(header) - 2))
    ratios = []
    for name, times in idle.items():
        quiet, busy = statistics.median(times), statistics.median(loaded[name])
        ratios.append(busy / quiet)
        print(f"  {name:<26} {quiet:>8.1f} {busy:>10.1f} {busy / quiet:>6.2f}")
    worst = max(ratios)
    print(f"  Worst ratio {worst:.2f} (target <= 1.5): {'met' if worst <= 1.5 else 'MISSED'}")
    if rates:
        rate = statistics.mean(r for r, _ in rates)
        latency = statistics.mean(lat for _, lat in rates)
        print(f"  pgbench meanwhile: {rate:.0f} calls/s, {latency:.1f} ms a call")


# --- main ------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench writes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200_000, help="calls seeded in the benchmarked year")
    parser.add_argument("--clients", type=int, default=8, help="pgbench clients (B5a)")
    parser.add_argument("--pairs", type=int, default=3, help="production/bare pairs (B5a)")
    parser.add_argument("--seconds", type=float, default=20, help="length of each pgbench run (B5a)")
    parser.add_argument("--rate", type=float, default=200, help="calls a second during the loaded reports (B5b)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per report and round (B5b)")
    parser.add_argument("--rounds", type=int, default=3, help="idle and loaded rounds, in turn (B5b)")
    parser.add_argument("--only", help="time only the reports whose name contains this (B5b)")
    parser.add_argument("--breakdown", action="store_true", help="measure each part's cost even above the target")
    parser.add_argument("--part-seconds", type=float, default=10, help="length of each breakdown run")
    parser.add_argument("--each-part", action="store_true", help="break down by each index, key and trigger")
    parser.add_argument("--arms", default="a,b", help="which of B5a (a) and B5b (b) to run")
    args = parser.parse_args(argv)
    arms = set(args.arms.split(","))

    with (
        time_machine.travel(NOW, tick=True),
        database() as server_url,
        tempfile.TemporaryDirectory(prefix="caseapp-writes-") as scratch,
    ):
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
        direct = psycopg.connect(psycopg_url(url), autocommit=True)
        with direct.cursor() as cursor:
            cursor.execute("SELECT id FROM users WHERE role = 'advisor' AND is_active ORDER BY id")
            advisors = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT min(id), max(id), count(*) FROM cases")
            low, high, count = cursor.fetchone() or (0, 0, 0)
        if high - low + 1 != count:
            print(f"  note: case ids {low}-{high} have gaps ({count:,} cases); a missing one logs no call")
        make_bare_copies(direct)
        bench = Pgbench(psycopg_url(url), pgbench_path(), args.clients)
        scripts = Path(scratch)
        production, bare = scripts / "production.sql", scripts / "bare.sql"
        production.write_text(call_script({t: t for t in TABLES}, advisors, (low, high)))
        bare.write_text(call_script(BARE, advisors, (low, high)))
        print(f"{len(advisors)} advisors, {count:,} cases; pgbench: {bench.binary}")
        print()

        if "a" in arms:
            bench.run(production, 3)  # warm: plans, pages
            bench.run(bare, 3)
            pairs = write_pairs(bench, production, bare, args.pairs, args.seconds)
            ratio = statistics.median(full / plain for full, plain in pairs)
            print(f"  Median ratio {ratio:.2f} (target >= 0.8): {'met' if ratio >= 0.8 else 'MISSED'}")
            if args.breakdown or ratio < 0.8:
                breakdown(bench, direct, production, args.part_seconds, args.each_part)

        if "b" in arms:
            with app.app_context():
                from tests import factories

                manager = factories.make_user(role=Role.MANAGER, email=f"bench-{uuid.uuid4().hex[:12]}@example.org")
                _, token = factories.make_token(manager)
                db.session.commit()
            with direct.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            report_latency(bench, production, app.test_client(), {"Authorization": f"Bearer {token}"}, args)
        direct.close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
