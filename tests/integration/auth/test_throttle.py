"""Failed sign-ins: one answer whatever went wrong, and a delay per (account, client address) that doubles, so a
stranger's guesses slow down only the stranger (the per-address limit across accounts is tests/security/
test_brute_force.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth import services, throttle
from caseapp.auth.models import LoginThrottle
from caseapp.auth.services import LOGIN_FAILED_MESSAGE
from caseapp.extensions import db
from tests import factories
from tests.conftest import csrf_token_from, session_cookie

START = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
WRONG = "not-the-password-at-all"
STRANGER, OWNER = "203.0.113.7", "198.51.100.20"


def _attempt(client: FlaskClient, email: str, password: str = factories.DEFAULT_PASSWORD, address: str = OWNER) -> Any:
    environ = {"REMOTE_ADDR": address}
    token = csrf_token_from(client.get("/login", environ_base=environ).get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token}, environ_base=environ)


def _alert(response: Any) -> str:
    match = re.search(r'role="alert">([^<]*)<', response.get_data(as_text=True))
    assert match, "no error shown"
    return match.group(1)


def _events(action: str, user_id: int | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if user_id is not None:
        query = query.where(AuditEvent.entity_type == "user", AuditEvent.entity_id == str(user_id))
    return list(db.session.scalars(query))


def _fail(app: Flask, client: FlaskClient, email: str, address: str, times: int | None = None) -> None:
    for _ in range(times if times is not None else app.config["LOGIN_BACKOFF_AFTER_FAILURES"]):
        _attempt(client, email, WRONG, address)


def test_login_gives_one_answer_for_unknown_wrong_inactive_and_throttled(
    app: Flask, client: FlaskClient, time_machine: Any
) -> None:
    time_machine.move_to(START, tick=False)
    user, inactive, throttled = factories.make_user(), factories.make_user(is_active=False), factories.make_user()
    db.session.commit()
    _fail(app, client, throttled.email, OWNER)

    answers = [
        _attempt(client, "nobody-here@example.org", WRONG),
        _attempt(client, user.email, WRONG),
        _attempt(client, inactive.email),
        _attempt(client, throttled.email),  # the right password, while its delay runs
    ]

    assert {response.status_code for response in answers} == {401}
    assert {_alert(response) for response in answers} == {LOGIN_FAILED_MESSAGE}
    assert "locked" not in " ".join(response.get_data(as_text=True) for response in answers).lower()
    assert len(_events("auth.login_throttled", throttled.id)) == 1
    assert _events("auth.login_succeeded", throttled.id) == []


def test_login_audits_unknown_user_without_the_email_typed(client: FlaskClient) -> None:
    _attempt(client, "nobody-here@example.org", WRONG, address="127.0.0.1")

    [event] = _events("auth.login_failed")
    assert event.actor_id is None
    assert event.detail == {"reason": "unknown_user"}
    assert event.ip == "127.0.0.1"
    assert event.request_id


def test_a_strangers_failures_do_not_stop_the_owner_signing_in_from_elsewhere(
    app: Flask, time_machine: Any, db_session: Any
) -> None:
    time_machine.move_to(START, tick=False)
    user = factories.make_user()
    db.session.commit()
    stranger, owner = app.test_client(), app.test_client()
    _fail(app, stranger, user.email, STRANGER, times=3 * app.config["LOGIN_BACKOFF_AFTER_FAILURES"])

    stranger_right_password = _attempt(stranger, user.email, address=STRANGER)
    signed_in = _attempt(owner, user.email, address=OWNER)

    assert stranger_right_password.status_code == 401
    assert signed_in.status_code == 302
    assert session_cookie(owner) is not None
    assert len(_events("auth.login_backoff_started", user.id)) == 1


def test_the_delay_starts_after_the_free_failures_doubles_and_is_capped(app: Flask) -> None:
    with app.test_request_context():
        free = app.config["LOGIN_BACKOFF_AFTER_FAILURES"]
        base = app.config["LOGIN_BACKOFF_BASE_SECONDS"]
        delays = [throttle.delay_after(n).total_seconds() for n in range(free - 1, free + 12)]

    assert delays[:4] == [0, base, 2 * base, 4 * base]
    assert max(delays) == app.config["LOGIN_BACKOFF_MAX_SECONDS"]
    assert delays == sorted(delays)


def test_login_works_again_from_that_address_when_the_delay_has_passed(
    app: Flask, client: FlaskClient, time_machine: Any
) -> None:
    time_machine.move_to(START, tick=False)
    user = factories.make_user()
    db.session.commit()
    _fail(app, client, user.email, OWNER)
    delay = timedelta(seconds=app.config["LOGIN_BACKOFF_BASE_SECONDS"])

    time_machine.shift(delay - timedelta(seconds=1))
    still_waiting = _attempt(client, user.email)
    time_machine.shift(timedelta(seconds=2))
    signed_in = _attempt(client, user.email)

    assert still_waiting.status_code == 401
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200
    assert db.session.scalars(sa.select(LoginThrottle)).all() == []  # a success forgets that address's failures


def test_each_failure_while_delayed_is_not_counted_but_after_it_the_delay_doubles(
    app: Flask, client: FlaskClient, time_machine: Any
) -> None:
    time_machine.move_to(START, tick=False)
    user = factories.make_user()
    db.session.commit()
    _fail(app, client, user.email, OWNER)
    _fail(app, client, user.email, OWNER, times=3)  # refused unread while the delay runs
    base = app.config["LOGIN_BACKOFF_BASE_SECONDS"]

    time_machine.shift(timedelta(seconds=base + 1))
    _attempt(client, user.email, WRONG)
    [row] = db.session.scalars(sa.select(LoginThrottle)).all()

    assert row.failures == app.config["LOGIN_BACKOFF_AFTER_FAILURES"] + 1
    assert row.blocked_until == START + timedelta(seconds=base + 1 + 2 * base)


def test_unknown_emails_are_throttled_like_real_accounts(app: Flask, client: FlaskClient, time_machine: Any) -> None:
    time_machine.move_to(START, tick=False)
    _fail(app, client, "nobody-here@example.org", OWNER)

    _attempt(client, "  Nobody-Here@Example.org ", WRONG)

    assert len(_events("auth.login_throttled")) == 1
    assert len(_events("auth.login_backoff_started")) == 1


def test_every_answer_costs_one_password_verification(
    app: Flask, client: FlaskClient, time_machine: Any, monkeypatch: Any
) -> None:
    """Similar timing whatever went wrong: unknown emails are checked against a dummy hash, and a throttled attempt
    still pays for its verification before it is refused."""
    time_machine.move_to(START, tick=False)
    user = factories.make_user()
    db.session.commit()
    _fail(app, client, user.email, STRANGER)
    calls: list[str | None] = []
    real = services.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(services, "verify_password", counting)

    for email in ("nobody-here@example.org", user.email):
        _attempt(client, email, WRONG, address=OWNER)
    _attempt(client, user.email, address=STRANGER)  # throttled

    assert calls == [None, user.password_hash, user.password_hash]


def test_counts_nobody_has_added_to_for_a_day_are_purged(app: Flask, client: FlaskClient, time_machine: Any) -> None:
    time_machine.move_to(START, tick=False)
    _attempt(client, "old@example.org", WRONG)
    time_machine.shift(throttle.KEEP_FOR)
    _attempt(client, "recent@example.org", WRONG)
    time_machine.shift(timedelta(seconds=1))

    removed = throttle.purge_idle()

    assert removed == 1
    assert [row.account_key for row in db.session.scalars(sa.select(LoginThrottle))] == [
        throttle.account_key("recent@example.org")
    ]
