"""`caseapp import-services`: through click's runner (exit codes, what it prints, --dry-run, --skip-invalid) and once
as a real process with its progress bar, committing to a database of its own; and the demo directory of `caseapp
dev`, loaded once."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from caseapp.cli import EXAMPLE_SERVICES, ensure_demo_directory
from caseapp.directory.models import TreatmentService
from caseapp.extensions import db
from tests.conftest import create_database, drop_database, make_app
from tests.integration.api_support import audit_events

GOOD = "name,type,region\nCli Good,crisis,london\n"
MIXED = GOOD + "Cli Bad,spa,london\nCli Also Good,community,wales,\n"


def _count(*names: str) -> int:
    query = sa.select(sa.func.count()).select_from(TreatmentService).where(TreatmentService.name.in_(names))
    return db.session.scalar(query) or 0


def _run(app: Flask, tmp_path: Path, text: str, *options: str) -> Any:
    path = tmp_path / "services.csv"
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["import-services", str(path), *options])


def test_the_command_imports_and_prints_the_summary(app: Flask, db_session: Any, tmp_path: Path) -> None:
    result = _run(app, tmp_path, GOOD)

    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 rejected" in result.output
    assert _count("Cli Good") == 1
    [event] = audit_events("service.imported")
    assert event.actor_id is None


def test_an_invalid_row_imports_nothing_exits_non_zero_and_says_why(
    app: Flask, db_session: Any, tmp_path: Path
) -> None:
    result = _run(app, tmp_path, MIXED)

    assert result.exit_code == 1
    assert "Rejected row 3, column type: 'spa' is not one of" in result.output
    assert "Nothing imported: 1 row is not valid" in result.output
    assert _count("Cli Good", "Cli Also Good") == 0


def test_skip_invalid_imports_the_valid_rows(app: Flask, db_session: Any, tmp_path: Path) -> None:
    result = _run(app, tmp_path, MIXED, "--skip-invalid")

    assert result.exit_code == 0, result.output
    assert "Rejected row 3, column type" in result.output
    assert "2 created, 0 updated, 1 rejected" in result.output
    assert _count("Cli Good", "Cli Also Good") == 2


def test_a_dry_run_reports_and_saves_nothing(app: Flask, db_session: Any, tmp_path: Path) -> None:
    result = _run(app, tmp_path, GOOD, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 rejected (dry run: nothing saved)" in result.output
    assert _count("Cli Good") == 0
    assert audit_events("service.imported") == []


def test_a_file_it_cannot_read_is_refused_with_the_reason(app: Flask, db_session: Any, tmp_path: Path) -> None:
    result = _run(app, tmp_path, "colour\nred\n")

    assert result.exit_code == 1
    assert "Nothing imported. The header row is not right" in result.output


@pytest.fixture
def own_database(pg_server_url: str, redis_url: str) -> Iterator[tuple[str, Flask]]:
    """A database at head of its own: the process below commits for real."""
    database_url = create_database(pg_server_url, prefix="caseapp_import")
    own = make_app(database_url, redis_url)
    with own.app_context():
        upgrade()
        db.session.remove()
    yield database_url, own
    with own.app_context():
        db.engine.dispose()
    drop_database(pg_server_url, database_url)


def test_the_command_as_a_process_shows_progress_and_commits(own_database: tuple[str, Flask], tmp_path: Path) -> None:
    database_url, own = own_database
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASEAPP_")}
    env.update({"CASEAPP_ENV": "development", "CASEAPP_VAR_DIR": str(tmp_path), "CASEAPP_DATABASE_URL": database_url})
    command = [str(Path(sys.executable).parent / "caseapp"), "import-services", str(EXAMPLE_SERVICES)]

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Checking rows" in done.stderr  # the progress bar's label (a pipe is no terminal: no bar drawn)
    with EXAMPLE_SERVICES.open(encoding="utf-8") as handle:
        example = list(csv.DictReader(handle))
    rows, unregistered = len(example), sum(1 for row in example if not row["regulator_id"])
    assert f"{rows} created, 0 updated, 0 rejected" in done.stdout
    with own.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TreatmentService)) == rows
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
        # a row without a regulator id cannot be matched: it is added again
        summary = f"{unregistered} created, {rows - unregistered} updated, 0 rejected"
        assert summary in again.stdout, again.stdout + again.stderr
        db.session.remove()


def test_the_demo_directory_is_loaded_once(app: Flask, db_session: Any) -> None:
    db.session.execute(sa.delete(TreatmentService))

    ensure_demo_directory()
    first = db.session.scalar(sa.select(sa.func.count()).select_from(TreatmentService))
    ensure_demo_directory()

    assert first == EXAMPLE_SERVICES.read_text(encoding="utf-8").strip().count("\n")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TreatmentService)) == first
