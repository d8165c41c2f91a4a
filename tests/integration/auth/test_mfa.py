"""The second factor, end to end through the pages: enrolment at sign-in when the role requires it (QR code made
here, manual key, a first code), then password + code; replayed codes, wrong codes, expired pending sign-ins,
recovery codes (once each), and an admin's reset. Codes come from pyotp with the real clock."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth import mfa
from caseapp.auth.models import LoginThrottle, RecoveryCode, Role, User, UserSession
from caseapp.extensions import db
from caseapp.timeutil import now_utc
from tests import factories
from tests.conftest import csrf_token_from, login, session_cookie


@pytest.fixture
def mfa_required(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every role needs a second factor, as in production."""
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", "advisor,manager,admin")


def _events(action: str, user_id: int) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.entity_type == "user", AuditEvent.entity_id == str(user_id)
    )
    return list(db.session.scalars(query))


def _post(client: FlaskClient, path: str, **data: str) -> Any:
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _key(page: str) -> str:
    match = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', page)
    assert match, "no manual-entry key on the page"
    return match.group(1).replace(" ", "")


def _codes(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", page)


def _next_step_code(secret: str) -> str:
    """A code of the step after the current one (accepted: one step of drift either way), never used before."""
    return pyotp.TOTP(secret).at(now_utc() + timedelta(seconds=30))


def _enrolled_user(app: Flask) -> tuple[User, str, list[str]]:
    """A user who has set up the second factor through the pages; returns the secret and the recovery codes."""
    user = factories.make_user()
    db.session.commit()
    browser = app.test_client()
    assert login(browser, user.email).headers["Location"] == "/login/enrol"
    secret = _key(browser.get("/login/enrol").get_data(as_text=True))
    done = _post(browser, "/login/enrol", code=pyotp.TOTP(secret).now())
    assert done.status_code == 200, done.get_data(as_text=True)
    return user, secret, _codes(done.get_data(as_text=True))


def test_full_totp_flow_enrol_at_first_sign_in_then_password_and_code(
    app: Flask, client: FlaskClient, mfa_required: None
) -> None:
    user = factories.make_user()
    db.session.commit()

    password_step = login(client, user.email)
    blocked_meanwhile = client.get("/")
    enrol_page = client.get("/login/enrol").get_data(as_text=True)
    secret = _key(enrol_page)
    first_code = pyotp.TOTP(secret).now()
    enrolled = _post(client, "/login/enrol", code=first_code)
    recovery = _codes(enrolled.get_data(as_text=True))
    home_after_enrolment = client.get("/")

    assert password_step.headers["Location"] == "/login/enrol"
    assert blocked_meanwhile.headers["Location"].startswith("/login")
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=app.config["MFA_ISSUER"])
    assert mfa.qr_svg(uri) in enrol_page  # the QR code of the key shown, drawn here (no outside service)
    assert "<svg" in enrol_page
    assert enrolled.status_code == 200
    assert len(recovery) == len(set(recovery)) == 10
    assert home_after_enrolment.status_code == 200

    client.post("/logout", data={"csrf_token": csrf_token_from(home_after_enrolment.get_data(as_text=True))})
    second_sign_in = login(client, user.email)
    not_yet = client.get("/account")
    replayed = _post(client, "/login/code", code=first_code)  # the code enrolment used, still in its window
    signed_in = _post(client, "/login/code", code=_next_step_code(secret))

    assert second_sign_in.headers["Location"] == "/login/code"
    assert not_yet.headers["Location"].startswith("/login")
    assert replayed.status_code == 401
    assert "not right, or has been used already" in replayed.get_data(as_text=True)
    assert signed_in.status_code == 302
    assert client.get("/account").status_code == 200
    assert len(_events("auth.mfa_enabled", user.id)) == 1
    assert [e.detail for e in _events("auth.login_succeeded", user.id)] == [
        {"second_factor": "totp"},
        {"second_factor": "totp"},
    ]
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10
    assert not {code.replace("-", "") for code in recovery} & set(stored)


def test_a_recovery_code_signs_in_once(app: Flask, client: FlaskClient, mfa_required: None) -> None:
    user, _, recovery = _enrolled_user(app)

    login(client, user.email)
    first = _post(client, "/login/code", code=recovery[0].upper())
    home = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token_from(home)})
    login(client, user.email)
    again = _post(client, "/login/code", code=recovery[0])

    assert first.status_code == 302
    assert "9 left" in home
    assert again.status_code == 401
    assert len(_events("auth.recovery_code_used", user.id)) == 1


def test_new_recovery_codes_replace_the_old_ones(app: Flask, client: FlaskClient, mfa_required: None) -> None:
    user, secret, old = _enrolled_user(app)
    login(client, user.email)
    _post(client, "/login/code", code=_next_step_code(secret))

    page = client.get("/account").get_data(as_text=True)
    made = client.post("/account/mfa/recovery-codes", data={"csrf_token": csrf_token_from(page)})
    new = _codes(made.get_data(as_text=True))
    client.post("/logout", data={"csrf_token": csrf_token_from(page)})
    login(client, user.email)
    old_code = _post(client, "/login/code", code=old[0])
    new_code = _post(client, "/login/code", code=new[0])

    assert len(new) == 10
    assert not set(new) & set(old)
    assert old_code.status_code == 401
    assert new_code.status_code == 302
    assert len(_events("auth.recovery_codes_regenerated", user.id)) == 1


def test_wrong_codes_slow_the_code_step_like_wrong_passwords(
    app: Flask, client: FlaskClient, mfa_required: None
) -> None:
    user, secret, _ = _enrolled_user(app)
    login(client, user.email)

    wrong = [
        _post(client, "/login/code", code="000000").status_code
        for _ in range(app.config["LOGIN_BACKOFF_AFTER_FAILURES"])
    ]
    right_but_waiting = _post(client, "/login/code", code=_next_step_code(secret))

    assert wrong == [401] * app.config["LOGIN_BACKOFF_AFTER_FAILURES"]
    assert right_but_waiting.status_code == 401
    assert client.get("/").headers["Location"].startswith("/login")
    assert len(_events("auth.mfa_failed", user.id)) == app.config["LOGIN_BACKOFF_AFTER_FAILURES"]
    assert len(_events("auth.login_throttled", user.id)) == 1


def test_the_pending_sign_in_expires(app: Flask, client: FlaskClient, mfa_required: None, time_machine: Any) -> None:
    user, secret, _ = _enrolled_user(app)
    time_machine.move_to(now_utc(), tick=True)
    login(client, user.email)

    time_machine.shift(timedelta(seconds=app.config["MFA_PENDING_SECONDS"] + 1))
    late = client.get("/login/code")

    assert late.status_code == 302
    assert "msg=sign_in_expired" in late.headers["Location"]
    assert client.get("/").headers["Location"].startswith("/login")


def test_the_code_page_without_a_password_first_sends_to_sign_in(client: FlaskClient, db_session: Any) -> None:
    assert "msg=sign_in_expired" in client.get("/login/code").headers["Location"]
    assert "msg=sign_in_expired" in client.get("/login/enrol").headers["Location"]


def test_a_session_from_before_the_requirement_must_enrol_first(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    user = login_as(Role.ADVISOR)
    monkeypatch.setitem(app.config, "MFA_REQUIRED_ROLES", "advisor")

    response = client.get("/")

    assert response.headers["Location"].startswith("/login")
    [row] = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)).all()
    assert row.revoked_reason == "mfa_required"
    assert login(client, user.email).headers["Location"] == "/login/enrol"


def test_a_user_may_set_up_a_second_factor_from_the_account_page(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    user = login_as(Role.ADVISOR)
    secret = _key(client.get("/account/mfa").get_data(as_text=True))

    done = _post(client, "/account/mfa", code=pyotp.TOTP(secret).now())

    assert done.status_code == 200
    assert len(_codes(done.get_data(as_text=True))) == 10
    assert "On since" in client.get("/account").get_data(as_text=True)
    assert login(client.application.test_client(), user.email).headers["Location"] == "/login/code"


def test_admin_reset_of_a_second_factor_is_audited_and_the_user_enrols_again(
    app: Flask, db_session: Any, mfa_required: None
) -> None:
    user, _, _ = _enrolled_user(app)
    admin = factories.make_user(role=Role.ADMIN)  # an admin needs a second factor too
    db.session.commit()
    admin_client = app.test_client()
    admin_secret = _key(admin_client.get(login(admin_client, admin.email).headers["Location"]).get_data(as_text=True))
    _post(admin_client, "/login/enrol", code=pyotp.TOTP(admin_secret).now())

    reset = _post(admin_client, f"/admin/users/{user.id}/mfa/reset")

    assert reset.status_code == 302
    db.session.refresh(user)
    assert (user.totp_secret, user.totp_enabled_at) == (None, None)
    assert db.session.scalars(sa.select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    [event] = _events("user.mfa_reset", user.id)
    assert event.actor_id == admin.id
    assert login(app.test_client(), user.email).headers["Location"] == "/login/enrol"
    assert session_cookie(admin_client) is not None


def test_a_user_whose_role_allows_it_turns_the_second_factor_off_with_a_code(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    user = login_as(Role.ADVISOR)
    secret = _key(client.get("/account/mfa").get_data(as_text=True))
    _post(client, "/account/mfa", code=pyotp.TOTP(secret).now())

    wrong = _post(client, "/account/mfa/off", code="123456")
    still_on = db.session.get(User, user.id)
    assert still_on is not None
    assert still_on.has_mfa
    right = _post(client, "/account/mfa/off", code=_next_step_code(secret))

    assert wrong.status_code == right.status_code == 302
    db.session.refresh(still_on)
    assert still_on.totp_secret is None
    assert login(app.test_client(), user.email).status_code == 302
    assert len(_events("auth.mfa_disabled", user.id)) == 1


def test_a_required_second_factor_cannot_be_turned_off(app: Flask, client: FlaskClient, mfa_required: None) -> None:
    user, secret, _ = _enrolled_user(app)
    login(client, user.email)
    _post(client, "/login/code", code=_next_step_code(secret))

    page = client.get("/account").get_data(as_text=True)
    refused = client.post(
        "/account/mfa/off", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token_from(page)}
    )

    assert "Turn off" not in page
    assert refused.status_code == 302
    assert "Your role requires a second factor." in client.get("/account").get_data(as_text=True)
    db.session.refresh(user)
    assert user.has_mfa


def test_the_right_password_does_not_reset_the_count_of_wrong_codes(
    app: Flask, client: FlaskClient, mfa_required: None, time_machine: Any
) -> None:
    """Otherwise whoever has the password would get a fresh set of free code guesses after every delay."""
    user, secret, _ = _enrolled_user(app)
    time_machine.move_to(now_utc(), tick=False)
    free = app.config["LOGIN_BACKOFF_AFTER_FAILURES"]
    login(client, user.email)
    for _ in range(free):
        _post(client, "/login/code", code="000000")

    time_machine.shift(timedelta(seconds=app.config["LOGIN_BACKOFF_BASE_SECONDS"] + 1))
    password_again = login(client, user.email)
    one_more_wrong = _post(client, "/login/code", code="000000")
    right_code_now = _post(client, "/login/code", code=_next_step_code(secret))

    assert password_again.headers["Location"] == "/login/code"
    assert one_more_wrong.status_code == 401
    assert right_code_now.status_code == 401  # waiting again, twice as long
    [row] = db.session.scalars(sa.select(LoginThrottle)).all()
    assert row.failures == free + 1
