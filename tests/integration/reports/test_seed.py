"""`caseapp seed`: refuses production, reproducible, realistic, and writes what log_call would (local date and hour)
with the report tables filled in."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from caseapp.extensions import db
from tests.conftest import TEST_SECRET, create_database, drop_database, make_app
from tests.integration.reports import expected
from tests.integration.reports.conftest import Seeded

SEED = ["seed", "--calls", "3000", "--days", "28", "--seed", "7", "--end", "2026-01-31"]


@pytest.fixture
def fresh_app(pg_server_url: str, redis_url: str) -> Iterator[Flask]:
    """An app on a database of its own (the CLI commits)."""
    url = create_database(pg_server_url, "caseapp_seed")
    flask_app = make_app(url, redis_url)
    with flask_app.app_context():
        upgrade()
    yield flask_app
    with flask_app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop_database(pg_server_url, url)


def _calls(flask_app: Flask) -> Sequence[Any]:
    with flask_app.app_context():
        return db.session.execute(
            sa.text(
                "SELECT started_at, ended_at, call_type, channel, direction, local_date, local_hour, case_id IS NULL "
                "FROM calls ORDER BY id"
            )
        ).all()


def test_seed_refuses_a_production_database(app: Flask, redis_url: str) -> None:
    production = make_app(app.config["DATABASE_URL"], redis_url, ENV_NAME="production", SECRET_KEY=TEST_SECRET)
    with app.app_context():
        before = db.session.scalar(sa.text("SELECT count(*) FROM calls"))

    result = production.test_cli_runner().invoke(args=SEED)

    assert result.exit_code != 0
    assert "production" in result.output
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM calls")) == before
        db.session.remove()


def test_seed_writes_realistic_data_with_the_report_tables_filled(fresh_app: Flask) -> None:
    result = fresh_app.test_cli_runner().invoke(args=SEED)

    assert result.exit_code == 0, result.output
    assert "Seeded 3000 calls" in result.output
    rows = _calls(fresh_app)
    assert len(rows) == 3000
    with fresh_app.app_context():
        assert expected.report_tables_agree()
        hours = Counter(row.local_hour for row in rows)
        assert min(hours[h] for h in range(18, 22)) > 3 * max(hours[h] for h in range(3, 6))  # evening peak
        weekday = Counter(row.local_date.isoweekday() for row in rows)
        assert weekday[7] > weekday[3]  # Sundays busier than Wednesdays
        substances = Counter(
            s for (s,) in db.session.execute(sa.text("SELECT primary_substance FROM assessments WHERE revision = 1"))
        )
        assert [s for s, _ in substances.most_common(4)] == ["alcohol", "heroin", "cocaine", "ketamine"]
        per_case = Counter(
            c for (c,) in db.session.execute(sa.text("SELECT case_id FROM calls WHERE case_id IS NOT NULL"))
        )
        assert sum(1 for n in per_case.values() if n > 1) > len(per_case) / 3  # repeat callers
        statuses = {s for (s,) in db.session.execute(sa.text("SELECT DISTINCT status FROM cases"))}
        assert {"new", "assessed", "referred", "admitted", "closed"} <= statuses
        assert db.session.scalar(sa.text("SELECT count(*) FROM assessments WHERE supersedes_id IS NOT NULL")) > 0
        callbacks = {s for (s,) in db.session.execute(sa.text("SELECT DISTINCT status FROM callbacks"))}
        assert {"completed", "missed", "unreachable", "cancelled"} <= callbacks
        assert db.session.scalar(sa.text("SELECT count(*) FROM calls WHERE call_type <> 'data'")) > 0
        referred = db.session.scalar(sa.text("SELECT count(*) FROM cases WHERE status IN ('referred', 'admitted')"))
        assert db.session.scalar(sa.text("SELECT count(DISTINCT case_id) FROM referral_offers")) == referred > 0
        assert db.session.scalar(sa.text("SELECT count(*) FROM referrals WHERE status = 'admitted'")) == (
            db.session.scalar(sa.text("SELECT count(*) FROM cases WHERE status = 'admitted'"))
        )
        db.session.remove()


def test_seed_is_reproducible(fresh_app: Flask, pg_server_url: str, redis_url: str) -> None:
    other_url = create_database(pg_server_url, "caseapp_seed")
    other = make_app(other_url, redis_url)
    try:
        with other.app_context():
            upgrade()
        for flask_app in (fresh_app, other):
            assert flask_app.test_cli_runner().invoke(args=[*SEED[:2], "800", *SEED[3:]]).exit_code == 0

        assert _calls(fresh_app) == _calls(other)
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_database(pg_server_url, other_url)


def test_seeded_calls_carry_the_local_date_and_hour_log_call_would_write(seeded: Seeded) -> None:
    with seeded.app.app_context():
        stored = {
            row.id: (row.local_date, row.local_hour)
            for row in db.session.execute(sa.text("SELECT id, local_date, local_hour FROM calls"))
        }
        db.session.remove()

    assert stored == {c.id: (c.local.date(), c.local.hour) for c in seeded.calls}


def test_seeding_again_numbers_new_callers_after_the_synthetic_numbers_taken(db_session: Any) -> None:
    import time_machine

    from caseapp.reports.seed import SeedPlan, seed
    from tests import factories

    factories.make_caller(phone="+44 7701 000000")  # the millionth synthetic number is taken

    with time_machine.travel(datetime(2026, 2, 1, tzinfo=UTC), tick=False):
        seed(SeedPlan(calls=200, days=2, seed=9, end=date(2026, 1, 20)))

    numbers = sorted(
        p for (p,) in db.session.execute(sa.text("SELECT phone_e164 FROM callers WHERE phone_e164 LIKE '+4477%'"))
    )
    assert numbers[0] == "+447701000000"
    assert numbers[1] > "+447701000000"
    assert all(len(n) == 13 for n in numbers)
