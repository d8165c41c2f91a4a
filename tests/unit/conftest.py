"""Unit-test fixtures: no servers; an app on a temp-file SQLite built by `upgrade head` where a database is needed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from caseapp.extensions import db, limiter
from tests.conftest import make_app


@contextmanager
def _limiter_kept() -> Iterator[None]:
    """Flask-Limiter keeps one storage per Limiter object, not per app: an app built here (no Redis URL, so memory
    storage) would move every other app's rate limits to memory too. Put the shared limiter back afterwards, so
    integration tests keep their Redis storage whatever order the suite runs in."""
    saved = dict(vars(limiter))
    try:
        yield
    finally:
        vars(limiter).clear()
        vars(limiter).update(saved)


@pytest.fixture(autouse=True)
def _keep_the_limiter_storage() -> Iterator[None]:
    with _limiter_kept():
        yield


def _dispose(flask_app: Flask) -> None:
    with flask_app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file built by `upgrade head` once per run (upgrading costs about a second); tests get copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "migrated.sqlite"
    with _limiter_kept():
        flask_app = make_app(f"sqlite:///{path}", None)
        with flask_app.app_context():
            upgrade()
        _dispose(flask_app)
    return path


@pytest.fixture
def sqlite_app(tmp_path: Path, migrated_sqlite_file: Path) -> Iterator[Flask]:
    """The app in embedded mode on its own SQLite file at the migrations' head, and no Redis."""
    database = tmp_path / "t.sqlite"
    shutil.copyfile(migrated_sqlite_file, database)
    flask_app = make_app(f"sqlite:///{database}", None)
    yield flask_app
    _dispose(flask_app)
