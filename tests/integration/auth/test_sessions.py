"""Server-side sessions: idle and absolute timeouts, and captured cookies refused once ended (rotation at sign-in,
against session fixation, is tests/security/test_sessions.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.auth.models import Role, User, UserSession
from caseapp.extensions import db
from tests import factories
from tests.conftest import client_with_session_cookie, csrf_token_from, login, session_cookie

START = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)  # a Monday morning shift, GMT


def _sessions(user_id: int) -> list[UserSession]:
    query = sa.select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id)
    return list(db.session.scalars(query))


def _sent_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_login_sets_a_httponly_samesite_lax_session_cookie(client: FlaskClient) -> None:
    user = factories.make_user()
    db.session.commit()

    response = login(client, user.email)

    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("caseapp_session=")]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # only in production (see test_security_headers)


def test_session_survives_activity_and_ends_after_30_minutes_idle(
    client: FlaskClient, login_as: Callable[..., User], time_machine: Any
) -> None:
    time_machine.move_to(START, tick=False)
    user = login_as(Role.ADVISOR)

    statuses = []
    for _ in range(3):  # 29 minutes apart: each visit restarts the idle clock
        time_machine.shift(timedelta(minutes=29))
        statuses.append(client.get("/").status_code)
    time_machine.shift(timedelta(minutes=30))
    response = client.get("/")

    assert statuses == [200, 200, 200]
    assert _sent_to_login(response)
    assert "msg=session_ended" in response.headers["Location"]
    assert "Your session has ended" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert [s.revoked_reason for s in _sessions(user.id)] == ["idle"]


def test_session_answers_api_client_401_after_30_minutes_idle(
    client: FlaskClient, login_as: Callable[..., User], time_machine: Any
) -> None:
    time_machine.move_to(START, tick=False)
    login_as(Role.ADVISOR)

    time_machine.shift(timedelta(minutes=30))
    response = client.get("/", headers={"Accept": "application/json"})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_session_ends_after_12_hours_even_when_active(
    client: FlaskClient, login_as: Callable[..., User], time_machine: Any
) -> None:
    time_machine.move_to(START, tick=False)
    user = login_as(Role.ADVISOR)

    statuses = []
    for _ in range(28):  # a visit every 25 minutes: never idle, 11 h 40 min in
        time_machine.shift(timedelta(minutes=25))
        statuses.append(client.get("/").status_code)
    cookie = session_cookie(client)
    assert cookie is not None
    time_machine.shift(timedelta(minutes=25))  # 12 h 05 min after signing in
    api = client_with_session_cookie(client.application, cookie).get("/", headers={"Accept": "application/json"})
    html = client.get("/")

    assert set(statuses) == {200}
    assert _sent_to_login(html)
    assert api.status_code == 401
    assert [s.revoked_reason for s in _sessions(user.id)] == ["expired"]


# --- a captured cookie replayed after the session ended -----------------------------------------------------


def _log_out(client: FlaskClient, user: User, client_as: Callable[..., Any]) -> None:
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    assert _sent_to_login(client.post("/logout", data={"csrf_token": token}))


def _change_password(client: FlaskClient, user: User, client_as: Callable[..., Any]) -> None:
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    new = "another-long-passphrase-77"
    data = {"current_password": factories.DEFAULT_PASSWORD, "new_password": new, "confirm": new, "csrf_token": token}
    response = client.post("/account", data=data)
    assert response.headers["Location"] == "/account", response.get_data(as_text=True)


def _deactivated_by_admin(client: FlaskClient, user: User, client_as: Callable[..., Any]) -> None:
    admin_client, _ = client_as(Role.ADMIN)
    token = csrf_token_from(admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True))
    assert admin_client.post(f"/admin/users/{user.id}/deactivate", data={"csrf_token": token}).status_code == 302


@pytest.mark.parametrize(
    ("end_session", "reason"),
    [(_log_out, "logout"), (_change_password, "password_changed"), (_deactivated_by_admin, "deactivated")],
    ids=["logout", "password_change", "deactivation"],
)
def test_captured_session_cookie_is_refused_after(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., User],
    client_as: Callable[..., Any],
    end_session: Callable[[FlaskClient, User, Callable[..., Any]], None],
    reason: str,
) -> None:
    user = login_as(Role.ADVISOR)
    captured = session_cookie(client)
    assert captured is not None
    assert client_with_session_cookie(app, captured).get("/").status_code == 200  # the capture works until then

    end_session(client, user, client_as)
    replayed = client_with_session_cookie(app, captured).get("/")

    assert _sent_to_login(replayed)
    assert _sessions(user.id)[0].revoked_reason == reason


def test_password_change_keeps_the_changing_browser_signed_in_with_a_new_session(
    client: FlaskClient, login_as: Callable[..., User], client_as: Callable[..., Any]
) -> None:
    user = login_as(Role.ADVISOR)

    _change_password(client, user, client_as)

    assert client.get("/").status_code == 200
    assert [s.revoked_reason for s in _sessions(user.id)] == ["password_changed", None]


def test_logout_revokes_the_server_side_session(client: FlaskClient, login_as: Callable[..., User]) -> None:
    user = login_as(Role.ADVISOR)

    _log_out(client, user, lambda *_: None)

    assert [s.revoked_reason for s in _sessions(user.id)] == ["logout"]
    assert _sent_to_login(client.get("/"))
