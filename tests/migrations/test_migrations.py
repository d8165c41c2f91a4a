"""Migrations on PostgreSQL: one head, no drift from the models, and a clean downgrade to nothing and back."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import downgrade, upgrade

from caseapp import MIGRATIONS_DIR
from caseapp.callbacks import workflow
from caseapp.extensions import db
from tests.conftest import create_database, drop_database, make_app

VERSIONS = Path(MIGRATIONS_DIR) / "versions"
FILE_NAME = re.compile(r"^(?P<stamp>\d{8}_\d{4})_(?P<rev>[0-9a-f]{12})_(?P<slug>[a-z0-9_]+)\.py$")


@pytest.fixture
def empty_db_app(pg_server_url: str, redis_url: str) -> Iterator[Flask]:
    """The app on a brand-new, empty database (the same Redis URL as the main app: the Limiter is shared)."""
    database_url = create_database(pg_server_url, prefix="caseapp_migrations")
    flask_app = make_app(database_url, redis_url)
    with flask_app.app_context():
        yield flask_app
        db.session.remove()
        db.engine.dispose()
    drop_database(pg_server_url, database_url)


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _drift() -> list[object]:
    with db.engine.connect() as connection:
        # the options `caseapp db migrate/check` use (compare_type=True ...)
        context = MigrationContext.configure(connection, opts=dict(current_app.extensions["migrate"].configure_args))
        return list(compare_metadata(context, db.metadata))


def test_migrations_have_exactly_one_head() -> None:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)

    heads = ScriptDirectory.from_config(config).get_heads()

    assert len(heads) == 1, f"merge the branches: {heads}"


def test_migration_file_names_follow_date_time_rev_slug() -> None:
    files = sorted(p for p in VERSIONS.glob("*.py"))
    assert files

    for path in files:
        match = FILE_NAME.match(path.name)
        assert match, f"{path.name} is not YYYYMMDD_HHMM_<rev>_<slug>.py"
        datetime.strptime(match["stamp"], "%Y%m%d_%H%M")  # a real date and time
        revision = re.search(r"^revision\s*=\s*['\"]([0-9a-f]+)['\"]", path.read_text(), re.MULTILINE)
        assert revision, f"{path.name} has no revision id"
        assert revision.group(1) == match["rev"], f"{path.name} names revision {revision.group(1)}"


def test_upgrade_head_from_empty_matches_the_models(empty_db_app: Flask) -> None:
    upgrade()

    assert _drift() == []
    assert {t.name for t in db.metadata.sorted_tables} | {"alembic_version"} == _tables()


def test_flask_db_check_finds_no_new_operations_after_upgrade(empty_db_app: Flask) -> None:
    upgrade()

    result = empty_db_app.test_cli_runner().invoke(args=["db", "check"])

    assert result.exit_code == 0, result.output  # exits 1 when autogenerate would emit any operation


def test_downgrade_base_leaves_only_alembic_version_and_upgrade_head_works_again(empty_db_app: Flask) -> None:
    upgrade()

    downgrade(revision="base")
    after_downgrade = _tables()
    upgrade()

    assert after_downgrade == {"alembic_version"}
    assert _drift() == []


def test_rollup_backfills_on_the_way_up_and_down_give_what_the_raw_rows_say(empty_db_app: Flask) -> None:
    """The report-table revisions fill their tables from the rows already there. Seeded data around the October 2027
    change: 3b1f0c9d2e71's tables (lateness per second) hold the same callbacks after a downgrade to it, and every
    report table holds what Python works out from the raw rows after a downgrade below them all and back up."""
    from datetime import UTC, date

    import time_machine

    from caseapp.auth.models import Role
    from caseapp.reference import AttemptOutcome
    from caseapp.reports.seed import SeedPlan, seed
    from tests import factories
    from tests.integration.reports import expected

    upgrade()
    with time_machine.travel(datetime(2027, 12, 1, tzinfo=UTC), tick=False):
        seed(SeedPlan(calls=1500, days=4, seed=21, end=date(2027, 11, 2)))
    # and one due at 00:30 BST on 31 October (the 30th in UTC), 2.5 s late: local date and rounding
    with time_machine.travel(datetime(2027, 10, 30, 12, 0, tzinfo=UTC), tick=False) as clock:
        advisor = factories.make_user(role=Role.ADVISOR)
        callback = factories.make_callback(
            due_at=datetime(2027, 10, 30, 23, 30, tzinfo=UTC), assignee_id=advisor.id, actor=advisor
        )
        # still to make, and one marked completed with no start time (booked only)
        factories.make_callback(due_at=datetime(2027, 11, 1, 9, 0, tzinfo=UTC), actor=advisor)
        unstarted = factories.make_callback(due_at=datetime(2027, 11, 1, 10, 0, tzinfo=UTC), actor=advisor)
        clock.move_to(datetime(2027, 10, 30, 23, 30, 2, 500000, tzinfo=UTC))
        workflow.record_attempt(callback.id, outcome=AttemptOutcome.ANSWERED, actor=advisor)
    db.session.execute(sa.text("UPDATE callbacks SET status = 'completed' WHERE id = :id"), {"id": unstarted.id})
    expected.assert_report_tables_agree("the triggers")
    wanted = expected.worked_out_tables()
    assert wanted["late_callbacks"][(callback.id,)] == (date(2027, 10, 31), advisor.id, 3)
    totals = [sum(column) for column in zip(*wanted["callback_days"].values(), strict=True)]
    assert all(totals), f"every outcome column should count something: {totals}"
    db.session.commit()  # let go of the tables: the downgrades below alter them

    downgrade(revision="3b1f0c9d2e71")
    with db.engine.connect() as connection:
        per_second = list(
            connection.execute(
                sa.text("SELECT due_date, assignee_id, outcome, lateness_seconds, callbacks FROM report_callback_days")
            )
        )
    counts: expected.Table = {}
    late: list[tuple[object, ...]] = []
    for day, assignee, outcome, lateness, n in per_second:
        expected.add_to(counts, (day, assignee), *expected.outcome_counts(outcome, n))
        late += [(day, assignee, lateness)] * (n if outcome == "late" else 0)
    assert counts == wanted["callback_days"]
    assert sorted(late) == sorted(wanted["late_callbacks"].values())

    downgrade(revision="ebdfaa52adec")  # below every report table
    assert not {"report_call_hours", "report_callback_days"} & _tables()
    upgrade()

    expected.assert_report_tables_agree("upgrading over existing rows")


TRIGRAM_INDEX = "ix_callers_name_trgm"


def _trigram_index() -> str | None:
    with db.engine.connect() as connection:
        return connection.scalar(
            sa.text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"), {"name": TRIGRAM_INDEX}
        )


def test_upgrade_makes_the_trigram_index_on_caller_names_and_downgrade_drops_it(empty_db_app: Flask) -> None:
    upgrade()
    made = _trigram_index()
    with db.engine.connect() as connection:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # an empty table: a scan is cheaper
        plain = connection.execution_options(no_parameters=True)
        plan = "\n".join(
            plain.exec_driver_sql("EXPLAIN SELECT id FROM callers WHERE lower(name) LIKE '%kowal%'").scalars()
        )

    downgrade(revision="a28b5a98011d")
    after_downgrade = _trigram_index()
    upgrade()

    assert made is not None
    assert all(part in made for part in ("USING gin", "lower", "gin_trgm_ops"))
    assert f"Bitmap Index Scan on {TRIGRAM_INDEX}" in plan  # it serves a search for part of a name
    assert after_downgrade is None
    assert _trigram_index() is not None
    assert _drift() == []  # the models do not declare it, and autogenerate leaves it alone


def _trigram_migration() -> object:
    import importlib.util

    [path] = VERSIONS.glob("*_4f2a9c1e7b30_*.py")
    spec = importlib.util.spec_from_file_location("trigram_migration", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_role_that_may_not_create_pg_trgm_gets_no_index_and_a_usable_transaction(
    pg_server_url: str, empty_db_app: Flask
) -> None:
    """Without the privilege (no CREATE on the database; pg_trgm not there yet) the migration's check says no inside
    a SAVEPOINT, and the migration's transaction goes on."""
    role = f"caseapp_noext_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
    limited = sa.create_engine(sa.make_url(db.engine.url).set(username=role))
    try:
        with limited.connect() as connection:
            available = _trigram_migration().trigram_available(connection)  # type: ignore[attr-defined]
            still_usable = connection.scalar(sa.text("SELECT 1"))
            extension = connection.scalar(sa.text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"))
    finally:
        limited.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()

    assert available is False
    assert still_usable == 1
    assert extension == 0


BEFORE_ENCRYPTION = "d5eca7e5aefa"
#: encrypted columns added after b58122f692b7, by revisions that create them encrypted
ENCRYPTED_WHEN_CREATED = {
    ("caller_flags", "reason"),
    ("caller_numbers", "label"),
    ("caller_flags", "end_note"),
    ("referral_events", "note"),
    ("break_glass_grants", "note"),
    ("cases", "legal_hold_reason"),
    ("screenings", "answers"),
    ("clinician_scores", "clinician_name"),
    ("clinician_scores", "clinician_role"),
    *(("safeguarding_records", c) for c in ("description", "decision_reason", "agency_reference", "review_note")),
    ("emergency_actions", "reference"),
    ("emergency_actions", "outcome_note"),
    ("referral_offers", "reason"),
    *(
        ("safety_plans", column)
        for column in ("warning_signs", "coping_strategies", "contacts", "services", "safe_place")
    ),
}


def _column_types() -> dict[tuple[str, str], str]:
    inspector = sa.inspect(db.engine)
    return {
        (table, column["name"]): str(column["type"])
        for table in ("calls", "callbacks", "assessments", "call_drafts", "case_notes")
        for column in inspector.get_columns(table)
        if column["name"] in {"reason", "cancel_reason", "answers", "data", "body"}
    }


def test_the_free_text_upgrade_encrypts_plain_rows_and_its_downgrade_gives_them_back(empty_db_app: Flask) -> None:
    """Rows written before encryption (plain text, VARCHAR and JSON columns) are tokens after b58122f692b7, and plain
    text in their old types again after its downgrade."""
    from caseapp.assessments.models import Assessment
    from caseapp.encryption.keys import current_keyring
    from tests.integration.encryption.support import raw, write_one_of_everything

    upgrade()
    # the columns that revision found (later ones, e.g. the break-glass note, are created encrypted)
    written = {key: row for key, row in write_one_of_everything().items() if key not in ENCRYPTED_WHEN_CREATED}
    db.session.commit()

    downgrade(revision=BEFORE_ENCRYPTION)
    plain = {key: raw(*key, row_id) for key, (row_id, _) in written.items()}
    types_before = _column_types()
    db.session.commit()
    upgrade()
    sealed = {key: raw(*key, row_id) for key, (row_id, _) in written.items()}
    answers = db.session.get(Assessment, written[("assessments", "answers")][0])
    types_after = _column_types()

    for key, (_, text) in written.items():
        assert text in plain[key], key  # the downgrade decrypted it
        assert sealed[key].startswith("gAAAAA"), key  # the upgrade encrypted what it found
        assert text not in sealed[key], key
        assert text in current_keyring().decrypt(sealed[key]), key
    assert json.loads(plain[("assessments", "answers")])["notes"] == written[("assessments", "answers")][1]
    assert answers is not None
    assert answers.answers["notes"] == written[("assessments", "answers")][1]
    assert types_before[("calls", "reason")] == "VARCHAR(500)"
    assert types_before[("callbacks", "cancel_reason")] == "VARCHAR(200)"
    assert types_before[("assessments", "answers")] == "JSON"
    assert {types_after[key] for key in types_before} == {"TEXT"}
    assert _drift() == []


def test_the_free_text_upgrade_on_an_empty_database_only_changes_the_types(empty_db_app: Flask) -> None:
    upgrade(revision=BEFORE_ENCRYPTION)

    upgrade()

    assert _column_types()[("calls", "reason")] == "TEXT"
    assert _drift() == []
