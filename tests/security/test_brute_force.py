"""Sign-in brute force: attempts beyond LOGIN_RATE_LIMIT from one address get 429 (even with the right password),
other addresses keep signing in, a forged X-Forwarded-For does not reset the count; guesses at one account from one
address wait longer and longer, and nobody can lock the owner out from other addresses. (Messages and the delays
themselves are tests/integration/auth/test_throttle.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import User
from caseapp.auth.services import LOGIN_FAILED_MESSAGE
from caseapp.extensions import db, limiter
from tests import factories
from tests.conftest import csrf_token_from, session_cookie

START = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
WRONG = "not-the-password-at-all"
LIMIT = 3


@pytest.fixture
def low_rate_limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", f"{LIMIT} per minute")
    limiter.reset()
    try:
        yield LIMIT
    finally:
        limiter.reset()


def _attempt(client: FlaskClient, email: str, password: str, address: str = "127.0.0.1", **headers: str) -> Any:
    environ = {"REMOTE_ADDR": address}
    token = csrf_token_from(client.get("/login", environ_base=environ).get_data(as_text=True))
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/login", data=data, environ_base=environ, headers=headers)


def _alert(response: Any) -> str:
    match = re.search(r'role="alert">([^<]*)<', response.get_data(as_text=True))
    assert match, "no error shown"
    return match.group(1)


def _events(action: str, user_id: int | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if user_id is not None:
        query = query.where(AuditEvent.entity_type == "user", AuditEvent.entity_id == str(user_id))
    return list(db.session.scalars(query))


def _user() -> User:
    user = factories.make_user()
    db.session.commit()
    return user


def test_login_post_is_throttled_per_ip_beyond_the_rate_limit(
    client: FlaskClient, low_rate_limit: int, redis_url: str
) -> None:
    responses = [_attempt(client, "nobody-here@example.org", WRONG) for _ in range(low_rate_limit + 1)]
    page_still_served = client.get("/login").status_code
    counters_in_redis = redis.Redis.from_url(redis_url).keys("LIMITS*")

    assert [r.status_code for r in responses] == [401] * low_rate_limit + [429]
    assert "Too many attempts" in responses[-1].get_data(as_text=True)
    assert int(responses[-1].headers["Retry-After"]) > 0
    assert page_still_served == 200
    assert counters_in_redis  # shared by every web process, not kept in one process's memory


def test_a_throttled_attempt_with_the_right_password_signs_nobody_in(client: FlaskClient, low_rate_limit: int) -> None:
    user = _user()
    for _ in range(low_rate_limit):
        _attempt(client, "nobody-here@example.org", WRONG)

    response = _attempt(client, user.email, factories.DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert client.get("/").headers["Location"].startswith("/login")
    assert _events("auth.login_succeeded", user.id) == []


def test_the_throttle_counts_per_address_so_others_still_sign_in(app: Flask, low_rate_limit: int) -> None:
    user = _user()
    attacker, colleague = app.test_client(), app.test_client()
    for _ in range(low_rate_limit + 1):
        _attempt(attacker, user.email, WRONG, address="203.0.113.7")

    throttled = _attempt(attacker, "nobody-here@example.org", WRONG, address="203.0.113.7")
    signed_in = _attempt(colleague, user.email, factories.DEFAULT_PASSWORD, address="198.51.100.20")

    assert throttled.status_code == 429
    assert signed_in.status_code == 302
    assert session_cookie(colleague) is not None


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(client: FlaskClient, low_rate_limit: int) -> None:
    """Without CASEAPP_TRUSTED_PROXIES nobody's X-Forwarded-For is believed: each forged address is still one client."""
    statuses = [
        _attempt(client, "nobody-here@example.org", WRONG, **{"X-Forwarded-For": f"192.0.2.{n}"}).status_code
        for n in range(low_rate_limit + 1)
    ]

    assert statuses == [401] * low_rate_limit + [429]


def test_guessing_one_account_from_one_address_is_slowed_and_the_right_password_then_refused(
    app: Flask, client: FlaskClient, time_machine: Any
) -> None:
    time_machine.move_to(START, tick=False)
    user = _user()
    free = app.config["LOGIN_BACKOFF_AFTER_FAILURES"]

    guesses = [_alert(_attempt(client, user.email, WRONG)) for _ in range(free)]
    right_password = _attempt(client, user.email, factories.DEFAULT_PASSWORD)

    assert guesses == [LOGIN_FAILED_MESSAGE] * free
    assert right_password.status_code == 401
    assert _alert(right_password) == LOGIN_FAILED_MESSAGE
    assert client.get("/").headers["Location"].startswith("/login")
    assert len(_events("auth.login_failed", user.id)) == free
    assert len(_events("auth.login_backoff_started", user.id)) == 1
    assert len(_events("auth.login_throttled", user.id)) == 1
    assert _events("auth.login_succeeded", user.id) == []


def test_nobody_can_lock_a_colleague_out_however_many_addresses_they_fail_from(
    app: Flask, time_machine: Any, db_session: Any
) -> None:
    """Failures are counted per (account, address): spreading them over addresses and spellings delays each of those
    addresses, never the account's owner at theirs."""
    time_machine.move_to(START, tick=False)
    user = _user()
    spellings = [user.email, user.email.upper(), f"  {user.email.title()} "]
    attacker, owner = app.test_client(), app.test_client()

    for n in range(4 * app.config["LOGIN_BACKOFF_AFTER_FAILURES"]):
        _attempt(attacker, spellings[n % len(spellings)], WRONG, address=f"198.51.100.{n % 4 + 1}")
    from_a_guessed_address = _attempt(attacker, user.email, factories.DEFAULT_PASSWORD, address="198.51.100.1")
    owner_signs_in = _attempt(owner, user.email, factories.DEFAULT_PASSWORD, address="192.0.2.50")

    assert from_a_guessed_address.status_code == 401
    assert owner_signs_in.status_code == 302
    assert session_cookie(owner) is not None
