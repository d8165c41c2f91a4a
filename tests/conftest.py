"""Shared fixtures: throwaway servers, the app on a migrated PostgreSQL, rollback per test, signed-in clients."""

from __future__ import annotations

import contextvars
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ["CASEAPP_ENV"] = "test"
os.environ.setdefault("CASEAPP_VAR_DIR", tempfile.mkdtemp(prefix="caseapp-var-"))

import argon2  # noqa: E402
import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from flask import Flask, has_app_context  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from flask_sqlalchemy.session import Session as FlaskSQLAlchemySession  # noqa: E402

from caseapp import create_app  # noqa: E402
from caseapp.auth import passwords  # noqa: E402
from caseapp.auth.models import Role, User  # noqa: E402
from caseapp.extensions import db  # noqa: E402
from tests import factories, hypothesis_profiles, servers  # noqa: E402, F401 - hypothesis_profiles loads the profile

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
#: the tests' fixed data key (a test that needs another passes DATA_KEY to make_app)
TEST_DATA_KEY = "MjbXpGHmAqsKe-YelarDmSbat7lxS-fktVAfroeT5ks="
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# argon2's default parameters cost ~0.3 s per hash or login on a CI core, on purpose; tests sign in hundreds of times,
# so they use argon2id's cheapest profile (as Django's test settings use a fast hasher). tests/unit checks the defaults.
passwords.use_hasher(argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The folder a test lives in is its marker (unit, integration, worker, browser, contract,
    migrations→integration)."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        folder = parts[parts.index("tests") + 1] if "tests" in parts else ""
        marker = {
            "unit": "unit",
            "integration": "integration",
            "workers": "worker",
            "browser": "browser",
            "contract": "contract",
            "migrations": "integration",
            "security": "integration",  # every route on the real PostgreSQL and Redis
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


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production, even while the test holds one.

    Flask reuses an app context that is already pushed, so without this every request of a test would share one
    `g` (Flask-Login's cached user, the CSRF token, the session record) and one db.session: a replayed or logged-out
    cookie would still "work". The test's pending changes are flushed first (the request sees them, on the same
    connection) and its session is expired after, so it reads what the request wrote. `with client:` keeps Flask's
    behaviour (it asks for the contexts to be preserved).
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if self.preserve_context:
            return super().open(*args, **kwargs)
        if has_app_context():
            db.session.flush()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


def make_app(database_url: str, redis_url: str | None, **overrides: Any) -> Flask:
    config = {
        "ENV_NAME": "test",
        "SECRET_KEY": TEST_SECRET,
        "DATA_KEY": TEST_DATA_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "SERVER_NAME": "caseapp.test",
    }
    config.update(overrides)
    flask_app = create_app(config)
    flask_app.test_client_class = IsolatedClient
    return flask_app


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


class JoinedSession(FlaskSQLAlchemySession):
    """A session that really uses the connection it was given.

    Flask-SQLAlchemy 3's Session.get_bind() picks the app's engine and ignores `bind=connection`, so without this the
    "rollback per test" recipe silently commits for real (pallets-eco/flask-sqlalchemy#1167)."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@contextmanager
def rolled_back_session(app: Flask) -> Iterator[sa.orm.scoped_session[Any]]:
    """An app context whose db.session runs inside one outer transaction; code under test may commit (SAVEPOINTs);
    all rolled back on the way out. One per test (db_session), or one per Hypothesis example."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        try:
            with session_on(connection) as session:
                yield session
        finally:
            transaction.rollback()
            connection.close()


@contextmanager
def session_on(connection: sa.Connection) -> Iterator[sa.orm.scoped_session[Any]]:
    """db.session bound to `connection` (in the app context already pushed), joining the transaction it is in with
    SAVEPOINTs, so code under test may commit; the previous db.session comes back afterwards."""
    original = db.session
    db.session = db._make_scoped_session(
        {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": JoinedSession}
    )
    try:
        yield db.session
    finally:
        db.session.remove()
        db.session = original


@pytest.fixture
def db_session(app: Flask) -> Iterator[sa.orm.scoped_session[Any]]:
    """Each test inside one outer transaction; code under test may commit (SAVEPOINTs); all rolled back."""
    with rolled_back_session(app) as session:
        yield session


@pytest.fixture
def client(app: Flask, db_session: Any) -> FlaskClient:
    return app.test_client()


# --- signing in ---------------------------------------------------------------------------------------------

_CSRF = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]+)"')


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
def login_as(client: FlaskClient) -> Iterator[Callable[..., User]]:
    """login_as(Role.MANAGER) -> a new signed-in user of that role (on the `client` fixture). The first advisor
    signed in opens the cases the test makes without naming who did (factories.sign_in_as)."""

    def _login_as(role: Role = Role.ADVISOR, **overrides: Any) -> User:
        user = factories.make_user(role=role, **overrides)
        db.session.commit()
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        factories.sign_in_as(user)
        return user

    yield _login_as
    factories.signed_out()


@pytest.fixture
def page_csrf(client: FlaskClient) -> Callable[[str], str]:
    """page_csrf('/some/page') -> the CSRF token rendered in that page (for POSTs from tests)."""

    def _token(path: str = "/account") -> str:
        return csrf_token_from(client.get(path).get_data(as_text=True))

    return _token


@pytest.fixture
def client_as(app: Flask, db_session: Any) -> Iterator[Callable[..., tuple[FlaskClient, User]]]:
    """client_as(Role.ADMIN) -> (a new test client, signed in as a new user of that role; that user).

    For tests with two browsers at once (an admin acting on another signed-in user). The first advisor opens the
    cases the test makes without naming who did (factories.sign_in_as)."""

    def _client_as(role: Role = Role.ADVISOR, **overrides: Any) -> tuple[FlaskClient, User]:
        user = factories.make_user(role=role, **overrides)
        db.session.commit()
        other = app.test_client()
        response = login(other, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        factories.sign_in_as(user)
        return other, user

    yield _client_as
    factories.signed_out()


def session_cookie(client: FlaskClient) -> str | None:
    """The value of the session cookie the client holds (None when it has none)."""
    app = client.application
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"], domain=app.config.get("SERVER_NAME") or "localhost")
    return cookie.value if cookie is not None else None


def client_with_session_cookie(app: Flask, value: str) -> FlaskClient:
    """A fresh client that sends only this session cookie value: a captured cookie replayed elsewhere."""
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], value, domain=app.config.get("SERVER_NAME") or "localhost")
    return replay
