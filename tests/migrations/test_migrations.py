"""Migrations on PostgreSQL: one head, no drift from the models, and a clean downgrade to nothing and back."""

from __future__ import annotations

import re
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
