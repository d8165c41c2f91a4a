"""Failed logins: one message for unknown user and wrong password, lockout after too many, the per-IP throttle."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth import queries
from caseapp.auth.services import LOCKED_MESSAGE, LOGIN_FAILED_MESSAGE
from caseapp.extensions import db, limiter
from tests import factories
from tests.conftest import login

START = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
WRONG = "not-the-password-at-all"


def _alert(response: Any) -> str:
    """The error text the sign-in page shows."""
    match = re.search(r'role="alert">([^<]*)<', response.get_data(as_text=True))
    assert match, "no error shown"
    return match.group(1)


def _events(action: str, user_id: int | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if user_id is not None:
        query = query.where(AuditEvent.entity_type == "user", AuditEvent.entity_id == str(user_id))
    return list(db.session.scalars(query))


def test_login_shows_one_message_for_unknown_user_and_wrong_password(client: FlaskClient) -> None:
    user = factories.make_user()
    db.session.commit()

    unknown = login(client, "nobody-here@example.org", WRONG)
    wrong = login(client, user.email, WRONG)

    assert unknown.status_code == wrong.status_code == 401
    assert _alert(unknown) == _alert(wrong) == LOGIN_FAILED_MESSAGE


def test_login_audits_unknown_user_without_the_email_typed(client: FlaskClient) -> None:
    login(client, "nobody-here@example.org", WRONG)

    [event] = _events("auth.login_failed")
    assert event.actor_id is None
    assert event.detail == {"reason": "unknown_user"}
    assert event.ip == "127.0.0.1"
    assert event.request_id


def test_login_refuses_deactivated_user_with_the_wrong_password_message(client: FlaskClient) -> None:
    user = factories.make_user(is_active=False)
    db.session.commit()

    response = login(client, user.email)

    assert response.status_code == 401
    assert _alert(response) == LOGIN_FAILED_MESSAGE


def test_login_locks_account_after_max_failures_and_refuses_the_right_password(
    app: Flask, client: FlaskClient, time_machine: Any
) -> None:
    time_machine.move_to(START, tick=False)
    user = factories.make_user()
    db.session.commit()
    max_failures = app.config["LOGIN_MAX_FAILURES"]

    before_lockout = [_alert(login(client, user.email, WRONG)) for _ in range(max_failures - 1)]
    at_lockout = _alert(login(client, user.email, WRONG))
    right_password = login(client, user.email)

    assert before_lockout == [LOGIN_FAILED_MESSAGE] * (max_failures - 1)
    assert at_lockout == LOCKED_MESSAGE
    assert right_password.status_code == 401
    assert _alert(right_password) == LOCKED_MESSAGE
    assert client.get("/").headers["Location"].startswith("/login")
    assert len(_events("auth.login_failed", user.id)) == max_failures
    assert len(_events("auth.locked_out", user.id)) == 1
    assert len(_events("auth.login_refused_locked", user.id)) == 1
    assert _events("auth.login_succeeded", user.id) == []


def test_login_works_again_when_the_lockout_period_has_passed(
    app: Flask, client: FlaskClient, time_machine: Any
) -> None:
    time_machine.move_to(START, tick=False)
    user = factories.make_user()
    db.session.commit()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, user.email, WRONG)
    lockout = timedelta(seconds=app.config["LOGIN_LOCKOUT_SECONDS"])

    time_machine.shift(lockout - timedelta(seconds=1))
    still_locked = login(client, user.email)
    time_machine.shift(timedelta(seconds=2))
    unlocked = login(client, user.email)

    assert _alert(still_locked) == LOCKED_MESSAGE
    assert unlocked.status_code == 302
    assert client.get("/").status_code == 200
    refreshed = queries.get_user(user.id)
    assert refreshed.locked_until is None
    assert refreshed.failed_login_count == 0


def test_login_post_is_throttled_per_ip_beyond_the_rate_limit(
    app: Flask, client: FlaskClient, monkeypatch: Any, redis_url: str
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    limiter.reset()
    try:
        responses = [login(client, "nobody-here@example.org", WRONG) for _ in range(4)]
        page_still_served = client.get("/login").status_code
        counters_in_redis = redis.Redis.from_url(redis_url).keys("LIMITS*")
    finally:
        limiter.reset()

    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert "Too many attempts" in responses[-1].get_data(as_text=True)
    assert int(responses[-1].headers["Retry-After"]) > 0
    assert page_still_served == 200
    assert counters_in_redis  # shared by every web process, not kept in one process's memory
