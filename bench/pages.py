"""The advisor pages' budget: `make bench-pages`, `python -m bench pages` (see bench/README.md).

Seeds PostgreSQL with a year of calls (1,000,000) from about 300,000 callers with names, adds one case with 200
timeline entries and an advisor with 100 callbacks due today, then times each page an advisor waits on, in-process
through the Flask test client (signed in with a session cookie; the API with a bearer token), after a warm-up:
p50 and p95 server time and the statements each page sends, against a target of 50 ms at p95. It also prints the
plan PostgreSQL chose for the name search (a trigram index scan, not a scan of the callers). Timing lives here,
never in the tests.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CASEAPP_ENV", "development")
os.environ.setdefault("CASEAPP_VAR_DIR", str(ROOT / "var" / "bench"))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from bench.reports import Captured, database  # noqa: E402
from caseapp import create_app  # noqa: E402
from caseapp.auth.models import Role, User  # noqa: E402
from caseapp.extensions import db  # noqa: E402

TARGET_MS = 50.0
DATABASE = "caseapp_bench_pages"
ADVISOR_EMAIL = "bench-pages-advisor@example.org"
PASSWORD = "bench-pages-password-2026"  # noqa: S105 - a benchmark account on a throwaway database
#: the case with 200 timeline entries: its caller's number (outside the seeded +44 7700 range)
BUSY_PHONE = "07911 000123"
BUSY_NAME = "Priya Kowalczyk"
TIMELINE_ENTRIES = 200
DUE_TODAY = 100


# --- the data ------------------------------------------------------------------------------------------------------


def seed_data(app: Flask, calls: int, callers: int) -> None:
    from caseapp.reports.seed import SeedPlan, seed, vacuum_analyze

    with app.app_context():
        present = db.session.scalar(sa.text("SELECT count(*) FROM calls"))
        if present:
            print(f"Reusing the {present:,} calls already there.")
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
            return
        began = time.perf_counter()
        # callers ≈ data calls (80%) × the share of them from a new caller
        plan = SeedPlan(calls=calls, days=365, seed=1, names=True, new_caller_share=min(1.0, callers / (calls * 0.8)))
        summary = seed(plan)
        db.session.commit()
        vacuum_analyze()
        print(
            f"Seeded {summary.calls:,} calls from {summary.callers:,} callers ({summary.first_day} to "
            f"{summary.last_day}) in {time.perf_counter() - began:.1f} s (VACUUM ANALYZE included)."
        )


@dataclass(frozen=True)
class Fixture:
    advisor_id: int
    token: str
    busy_case_id: int
    busy_reference: str
    known_phone: str


def make_fixture(app: Flask) -> Fixture:
    """The advisor, the case with 200 timeline entries and the 100 callbacks due today (made once, through the
    services; found again when the database is reused)."""
    from caseapp.auth.passwords import hash_password
    from caseapp.callbacks import booking
    from caseapp.callers.models import Caller
    from caseapp.callers.phones import normalise_phone
    from caseapp.cases import services as case_services
    from caseapp.cases.models import Case
    from caseapp.timeutil import local_day_bounds, now_utc, to_local
    from tests import factories

    with app.app_context():
        advisor = db.session.scalar(sa.select(User).where(User.email == ADVISOR_EMAIL))
        busy_phone = normalise_phone(BUSY_PHONE)
        if advisor is None:
            began = time.perf_counter()
            advisor = factories.make_user(
                role=Role.ADVISOR, email=ADVISOR_EMAIL, full_name="Bench Advisor", password_hash=hash_password(PASSWORD)
            )
            caller = factories.make_caller(phone=BUSY_PHONE, name=BUSY_NAME, consent_callback=True)
            case = factories.make_case(caller, actor=advisor)
            for n in range(TIMELINE_ENTRIES // 2 - 5):
                factories.make_call(case, actor=advisor)
                case_services.add_note(case, f"Follow-up note {n + 1}", actor=advisor)
            for n in range(5):  # five booked and cancelled callbacks: 10 entries with their steps
                factories.make_call(case, actor=advisor)
                booking.book_callback(case, due_at=now_utc() + timedelta(days=2, minutes=n), actor=advisor)
            db.session.commit()
            print(f"  the case with {TIMELINE_ENTRIES} timeline entries in {time.perf_counter() - began:.1f} s")
        else:
            caller = db.session.scalar(sa.select(Caller).where(Caller.phone_e164 == busy_phone))
            assert caller is not None
            case = db.session.scalar(sa.select(Case).where(Case.caller_id == caller.id))
            assert case is not None
        _book_due_today(advisor, booking, factories, now_utc, local_day_bounds, to_local)
        _, token = factories.make_token(advisor, name="bench-pages")
        db.session.commit()
        known = db.session.scalar(
            sa.select(Caller.phone_e164)
            .join(Case, Case.caller_id == Caller.id)
            .where(Caller.phone_e164.like("+447700%"), Caller.phone_e164 != busy_phone)
            .order_by(Case.updated_at.desc())
            .limit(1)
        )
        assert known is not None
        return Fixture(advisor.id, token, case.id, case.reference, "0" + known[3:])


def _book_due_today(advisor: User, booking: Any, factories: Any, now_utc: Any, day_bounds: Any, to_local: Any) -> None:
    """Top the advisor's callbacks due today up to 100 (spread over what is left of the UK day)."""
    from caseapp.callbacks.models import Callback
    from caseapp.reference import CallbackStatus

    now = now_utc()
    day_start, day_end = day_bounds(to_local(now).date())
    held = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Callback)
        .where(
            Callback.assignee_id == advisor.id,
            Callback.status == CallbackStatus.SCHEDULED,
            Callback.due_at >= day_start,
            Callback.due_at < day_end,
        )
    )
    missing = DUE_TODAY - int(held or 0)
    if missing <= 0:
        return
    began = time.perf_counter()
    step = max(timedelta(seconds=1), (day_end - now - timedelta(minutes=10)) / DUE_TODAY)
    for n in range(missing):
        caller = factories.make_caller(consent_callback=True, name=f"Due Today {n + 1}")
        case = factories.make_case(caller, actor=advisor)
        booking.book_callback(case, due_at=now + timedelta(minutes=5) + step * n, actor=advisor, assignee_id=advisor.id)
    db.session.commit()
    print(f"  {missing} callbacks due today in {time.perf_counter() - began:.1f} s")


# --- measuring -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    api: bool = False


def pages(fixture: Fixture) -> list[Page]:
    known = fixture.known_phone
    return [
        Page("lookup as typed: '077'", "/calls/lookup?phone=077"),
        Page("lookup as typed: '07700 90'", f"/calls/lookup?phone={quote('07700 90')}"),
        Page("lookup: a new number", f"/calls/lookup?phone={quote('07911 000999')}"),
        Page("lookup: a known caller", f"/calls/lookup?phone={quote(known)}"),
        Page("lookup: the 200-entry caller", f"/calls/lookup?phone={quote(BUSY_PHONE)}"),
        Page("lookup API: a known caller", f"/api/v1/callers?phone={quote(known)}", api=True),
        Page("log a call (GET /calls/new)", "/calls/new"),
        Page("case page, 200 entries", f"/cases/{fixture.busy_case_id}"),
        Page("My callbacks, 100 due", "/callbacks/"),
        Page("search by phone", f"/search?q={quote(known)}"),
        Page("search by partial name", f"/search?q={quote('kowal')}"),
        Page("search by full name", f"/search?q={quote('priya kowalski')}"),
        Page("search by reference", f"/search?q={quote(fixture.busy_reference)}"),
    ]


def sign_in(client: FlaskClient) -> None:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert found is not None, "no CSRF token on the sign-in page"
    token = found.group(1)
    response = client.post("/login", data={"email": ADVISOR_EMAIL, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    return f"{os.cpu_count()} cores, {model}; load average {load}"


def _plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def name_search_plan(app: Flask, captured: Captured, client: FlaskClient, text: str) -> str:
    """How PostgreSQL finds the callers for a name search: the plan nodes of its query that test the LIKE."""
    with app.app_context(), captured.catching() as statements:
        client.get(f"/search?q={quote(text)}")
    found = [(s, p) for s, p in statements if "LIKE" in s.upper() and "callers" in s and "count(" not in s]
    if not found:
        return "no name query seen"
    statement, parameters = found[0]
    with app.app_context():
        raw = db.session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
        db.session.rollback()
    like = [
        n
        for n in _plan_nodes(raw[0]["Plan"])
        if any("~~" in str(n.get(key, "")) for key in ("Filter", "Recheck Cond", "Index Cond"))
    ]
    read = [
        n["Node Type"] + (f" on {n['Index Name']}" if "Index Name" in n else f" on {n['Relation Name']}") for n in like
    ]
    return ", then ".join(reversed(read)) or "no LIKE on callers in the plan"


def measure(client: FlaskClient, page: Page, headers: dict[str, str], repeat: int) -> tuple[list[float], list[float]]:
    """Each request's server time and this process's CPU time for it (ms): on a shared machine the first includes
    waiting for a core, the second does not (PostgreSQL's own CPU is in neither)."""
    for _ in range(3):  # warm: plans cached, pages in memory
        client.get(page.path, headers=headers)
    times, cpu = [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(page.path, headers=headers)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        assert response.status_code == 200, (page.path, response.status_code)
    return times, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls in the seeded year")
    parser.add_argument("--callers", type=int, default=300_000, help="about this many callers")
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per page (after a warm-up)")
    parser.add_argument("--only", help="measure only the pages whose name contains this")
    parser.add_argument(
        "--freeze-gc",
        action="store_true",
        help="gc.freeze() before measuring: what a server that freezes its start-up objects would show",
    )
    args = parser.parse_args(argv)

    with database() as server_url:
        url = server_url
        if not os.environ.get("CASEAPP_BENCH_DATABASE_URL"):
            engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
            engine.dispose()
            url = sa.make_url(server_url).set(database=DATABASE).render_as_string(hide_password=False)
        app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING"})
        with app.app_context():
            upgrade()
        print(f"PostgreSQL: {sa.make_url(url).render_as_string(hide_password=True)}")
        seed_data(app, args.calls, args.callers)
        fixture = make_fixture(app)
        with app.app_context():
            callers = db.session.scalar(sa.text("SELECT count(*) FROM callers"))
            total = db.session.scalar(sa.text("SELECT count(*) FROM calls"))
            trigram = db.session.scalar(
                sa.text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_callers_name_trgm'")
            )
            engine = db.engine
        client = app.test_client()
        sign_in(client)
        if args.freeze_gc:  # the cyclic collector then skips the ~250,000 objects of the started app
            gc.collect()
            gc.freeze()
        bearer = {"Authorization": f"Bearer {fixture.token}"}
        captured = Captured(engine)

        print()
        print(f"{total:,} calls and {callers:,} callers in the database; trigram index on names: {bool(trigram)}.")
        print(f"Machine: {machine()}.")
        print(f"{args.repeat} timed requests per page after 3 warm-up ones; target p95 <= {TARGET_MS:.0f} ms.")
        print("CPU p50: this process's CPU time per request (no waiting for a core; PostgreSQL's CPU not included).")
        print(
            f"Garbage collector: {'frozen after start-up (--freeze-gc)' if args.freeze_gc else 'as Python starts it'}."
        )
        print()
        header = f"{'page':<32} {'p50 ms':>7} {'p95 ms':>7} {'CPU p50':>7} {'statements':>10}  target"
        print(header)
        print("-" * len(header))
        missed = 0
        for page in pages(fixture):
            if args.only and args.only not in page.name:
                continue
            headers = bearer if page.api else {}
            times, cpu = measure(client, page, headers, args.repeat)
            with app.app_context(), captured.catching() as statements:
                client.get(page.path, headers=headers)
            p95 = percentile(times, 0.95)
            met = p95 <= TARGET_MS
            missed += not met
            print(
                f"{page.name:<32} {statistics.median(times):>7.1f} {p95:>7.1f} {statistics.median(cpu):>7.1f} "
                f"{len(statements):>10}  "
                f"{'met' if met else 'MISSED'}"
            )
        print()
        print(f"Name search plan on callers ('kowal'): {name_search_plan(app, captured, client, 'kowal')}.")
        print(f"{'All pages met the target.' if not missed else f'{missed} page(s) missed the target.'}")
        print(f"Machine at the end: {machine()}.")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
