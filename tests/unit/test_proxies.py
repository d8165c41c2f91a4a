"""Behind a reverse proxy: with TRUSTED_PROXIES set, the client's address (X-Forwarded-For) is the one rate limits
and the audit trail use; without it (the default) a forwarded header is ignored, so nobody can forge an address."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from caseapp.audit.models import AuditEvent
from caseapp.extensions import db, limiter
from tests.conftest import csrf_token_from, make_app

WRONG = "not-the-password-at-all"


@pytest.fixture
def app_with(tmp_path: Path, migrated_sqlite_file: Path) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def _make(**settings: Any) -> Flask:
        database = tmp_path / f"t{len(made)}.sqlite"
        shutil.copyfile(migrated_sqlite_file, database)
        flask_app = make_app(f"sqlite:///{database}", None, SERVER_NAME=None, **settings)
        made.append(flask_app)
        return flask_app

    yield _make
    for flask_app in made:
        with flask_app.app_context():
            db.engine.dispose()


def _failed_login(flask_app: Flask, forwarded_for: str) -> int:
    client = flask_app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": "nobody@example.org", "password": WRONG, "csrf_token": token},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


def _audited_ips(flask_app: Flask) -> list[str | None]:
    with flask_app.app_context():
        query = sa.select(AuditEvent.ip).where(AuditEvent.action == "auth.login_failed").order_by(AuditEvent.id)
        return list(db.session.scalars(query))


def test_with_one_trusted_proxy_the_audit_trail_records_the_client_address(app_with: Callable[..., Flask]) -> None:
    flask_app = app_with(TRUSTED_PROXIES=1)

    _failed_login(flask_app, "203.0.113.7")

    assert _audited_ips(flask_app) == ["203.0.113.7"]


def test_with_one_trusted_proxy_each_client_has_its_own_rate_limit(app_with: Callable[..., Flask]) -> None:
    flask_app = app_with(TRUSTED_PROXIES=1, LOGIN_RATE_LIMIT="2 per minute")
    limiter.reset()

    first = [_failed_login(flask_app, "203.0.113.7") for _ in range(3)]
    other = _failed_login(flask_app, "198.51.100.23")

    assert first == [401, 401, 429]
    assert other == 401  # a colleague behind the same proxy is not locked out by the first one's attempts


def test_without_trusted_proxies_a_forwarded_address_is_ignored(app_with: Callable[..., Flask]) -> None:
    flask_app = app_with(LOGIN_RATE_LIMIT="2 per minute")
    limiter.reset()

    statuses = [_failed_login(flask_app, f"203.0.113.{n}") for n in range(3)]

    assert statuses == [401, 401, 429]  # one bucket: the connection's address, whatever the header says
    assert set(_audited_ips(flask_app)) == {"127.0.0.1"}
