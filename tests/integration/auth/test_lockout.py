"""Failed logins: one message for unknown user and wrong password, and the lockout ending (reaching the lockout and
the per-IP throttle, the brute-force defences, are tests/security/test_brute_force.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth import queries
from caseapp.auth.services import LOCKED_MESSAGE, LOGIN_FAILED_MESSAGE
from caseapp.extensions import db
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
