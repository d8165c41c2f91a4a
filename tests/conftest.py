"""Shared fixtures: throwaway servers, the app on a migrated PostgreSQL, rollback per test, signed-in clients."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ["CASEAPP_ENV"] = "test"
os.environ.setdefault("CASEAPP_VAR_DIR", tempfile.mkdtemp(prefix="caseapp-var-"))

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from caseapp import create_app  # noqa: E402
from caseapp.auth.models import Role, User  # noqa: E402
from caseapp.extensions import db  # noqa: E402
from tests import factories, servers  # noqa: E402

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The folder a test lives in is its marker (unit, integration, worker, browser, migrations→integration)."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        folder = parts[parts.index("tests") + 1] if "tests" in parts else ""
        marker = {
            "unit": "unit",
            "integration": "integration",
            "workers": "worker",
            "browser": "browser",
            "migrations": "integration",
        }.get(folder)
        if marker:
            item.add_marker(marker)


# --- servers -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server we may create databases on."""
    existing = os.environ.get("CASEAPP_TEST_DATABASE_URL")
    if existing:
        yield existing
        return
    server = servers.start_postgres()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    existing = os.environ.get("CASEAPP_TEST_REDIS_URL")
    if existing:
        yield existing
        return
    server = servers.start_redis()
    try:
        yield server.url
    finally:
        server.stop()


def create_database(server_url: str, prefix: str = "caseapp_test") -> str:
    """A new, uniquely named empty database on the server; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, database_url: str) -> None:
    name = sa.make_url(database_url).database
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def make_app(database_url: str, redis_url: str | None, **overrides: Any) -> Flask:
    config = {
        "ENV_NAME": "test",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "SERVER_NAME": "caseapp.test",
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(pg_server_url: str, redis_url: str) -> Iterator[Flask]:
    """The app on a PostgreSQL database built by `upgrade head` (never create_all)."""
    database_url = create_database(pg_server_url)
    flask_app = make_app(database_url, redis_url)
    with flask_app.app_context():
        upgrade()
    yield flask_app
    with flask_app.app_context():
        db.engine.dispose()
    drop_database(pg_server_url, database_url)


@pytest.fixture
def db_session(app: Flask) -> Iterator[sa.orm.scoped_session[Any]]:
    """Each test inside one outer transaction; code under test may commit (SAVEPOINTs); all rolled back."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session({"bind": connection, "join_transaction_mode": "create_savepoint"})
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    return app.test_client()


# --- signing in ---------------------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = _CSRF.search(html)
    if not match:
        raise AssertionError("no CSRF token in the page")
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = factories.DEFAULT_PASSWORD) -> Any:
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[..., User]:
    """login_as(Role.MANAGER) -> a new signed-in user of that role (on the `client` fixture)."""

    def _login_as(role: Role = Role.ADVISOR, **overrides: Any) -> User:
        user = factories.make_user(role=role, **overrides)
        db.session.commit()
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login_as


@pytest.fixture
def page_csrf(client: FlaskClient) -> Callable[[str], str]:
    """page_csrf('/some/page') -> the CSRF token rendered in that page (for POSTs from tests)."""

    def _token(path: str = "/account") -> str:
        return csrf_token_from(client.get(path).get_data(as_text=True))

    return _token
