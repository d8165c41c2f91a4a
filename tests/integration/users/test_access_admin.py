"""An admin's hold on someone's access: a one-time password reset link (never a password), ending their sessions;
and each staff member's own sessions on the account page. Each audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import PasswordResetLink, Role, User, UserSession
from caseapp.extensions import db
from tests import factories
from tests.conftest import csrf_token_from, login

NEW_PASSWORD = "fresh-quiet-orchard-88"
START = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture
def admin(client: FlaskClient, login_as: Callable[..., User]) -> User:
    """The `client` is signed in as this admin."""
    return login_as(Role.ADMIN)


def _events(action: str, user_id: int) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.entity_type == "user", AuditEvent.entity_id == str(user_id)
    )
    return list(db.session.scalars(query))


def _post(client: FlaskClient, path: str, form_page: str, **data: str) -> Any:
    token = csrf_token_from(client.get(form_page).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _issue_link(client: FlaskClient, user: User) -> str:
    page = _post(client, f"/admin/users/{user.id}/password-reset-link", f"/admin/users/{user.id}")
    assert page.status_code == 200, page.get_data(as_text=True)
    match = re.search(r'data-testid="reset-link">https?://[^/]+(/password-reset/[^<]+)<', page.get_data(as_text=True))
    assert match, "no link shown"
    return match.group(1)


def _set_password(browser: FlaskClient, path: str, password: str) -> Any:
    return _post(browser, path, path, new_password=password, confirm=password)


def test_a_reset_link_sets_a_new_password_once_and_never_shows_a_password(
    app: Flask, client: FlaskClient, admin: User, client_as: Callable[..., Any]
) -> None:
    target_client, target = client_as(Role.ADVISOR)

    path = _issue_link(client, target)
    signed_out = target_client.get("/")
    stranger = app.test_client()
    too_common = _post(stranger, path, path, new_password="password1234", confirm="password1234")
    done = _set_password(stranger, path, NEW_PASSWORD)
    again = stranger.get(path)

    assert signed_out.headers["Location"].startswith("/login")  # issuing the link ended their sessions
    assert too_common.status_code == 422
    assert "too common" in too_common.get_data(as_text=True)
    assert done.status_code == 302
    assert login(app.test_client(), target.email).status_code == 401  # the old password
    assert login(app.test_client(), target.email, NEW_PASSWORD).status_code == 302
    assert again.status_code == 404
    assert "expired or has been used" in again.get_data(as_text=True)
    [issued] = _events("user.password_reset_link_issued", target.id)
    assert issued.actor_id == admin.id
    assert len(_events("auth.password_reset_completed", target.id)) == 1
    [row] = db.session.scalars(sa.select(PasswordResetLink).where(PasswordResetLink.user_id == target.id)).all()
    assert path.rsplit("/", 1)[1] not in row.token_hash
    assert row.used_at is not None


def test_a_new_link_kills_the_old_one(app: Flask, client: FlaskClient, admin: User) -> None:
    target = factories.make_user()
    db.session.commit()

    old, new = _issue_link(client, target), _issue_link(client, target)

    assert app.test_client().get(old).status_code == 404
    browser = app.test_client()
    token = csrf_token_from(browser.get("/login").get_data(as_text=True))
    posted = browser.post(old, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": token})
    assert posted.status_code == 404
    assert _set_password(app.test_client(), new, NEW_PASSWORD).status_code == 302


def test_a_link_expires_after_24_hours(app: Flask, client: FlaskClient, admin: User, time_machine: Any) -> None:
    time_machine.move_to(START, tick=False)
    target = factories.make_user()
    db.session.commit()
    client = app.test_client()
    assert login(client, admin.email).status_code == 302
    path = _issue_link(client, target)

    time_machine.shift(timedelta(hours=app.config["PASSWORD_RESET_LINK_HOURS"]) - timedelta(seconds=1))
    just_in_time = app.test_client().get(path).status_code
    time_machine.shift(timedelta(seconds=1))
    late = app.test_client().get(path).status_code

    assert (just_in_time, late) == (200, 404)


def test_an_unknown_link_is_404(client: FlaskClient, db_session: Any) -> None:
    assert client.get("/password-reset/not-a-real-token").status_code == 404


def test_the_old_set_a_password_form_is_gone(client: FlaskClient, admin: User) -> None:
    page = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)

    assert "Set a new password" not in page
    assert client.post(f"/admin/users/{admin.id}/password", data={"password": NEW_PASSWORD}).status_code in (404, 405)


def test_admin_sees_and_ends_a_users_sessions(
    app: Flask, client: FlaskClient, admin: User, client_as: Callable[..., Any]
) -> None:
    target_client, target = client_as(Role.ADVISOR)
    second = app.test_client()
    login(second, target.email)
    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    [one, two] = sorted(db.session.scalars(sa.select(UserSession.id).where(UserSession.user_id == target.id)).all())

    _post(client, f"/admin/users/{target.id}/sessions/{one}/end", f"/admin/users/{target.id}")
    first_gone, second_still = target_client.get("/"), second.get("/")
    _post(client, f"/admin/users/{target.id}/sessions/end-all", f"/admin/users/{target.id}")

    assert page.count(f'action="/admin/users/{target.id}/sessions/') == 3  # two "End" and "End all"
    assert first_gone.headers["Location"].startswith("/login")
    assert second_still.status_code == 200
    assert second.get("/").headers["Location"].startswith("/login")
    assert _events("user.session_ended", target.id)[0].detail == {"session": one}
    assert _events("user.sessions_ended", target.id)[0].actor_id == admin.id
    assert two


def test_my_account_lists_my_sessions_marks_this_one_and_ends_the_others(
    app: Flask, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    user = login_as(Role.ADVISOR)
    elsewhere = app.test_client()
    elsewhere.environ_base["HTTP_USER_AGENT"] = FIREFOX
    login(elsewhere, user.email)

    page = client.get("/account").get_data(as_text=True)
    ended = _post(client, "/account/sessions/end-others", "/account")

    assert "Firefox on Windows" in page
    assert page.count("(this browser)") == 1
    assert ended.status_code == 302
    assert elsewhere.get("/").headers["Location"].startswith("/login")
    assert client.get("/").status_code == 200
    assert _events("auth.sessions_ended", user.id)[0].detail == {"count": 1}


def test_i_cannot_end_someone_elses_session_from_my_account(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], client_as: Callable[..., Any]
) -> None:
    login_as(Role.ADVISOR)
    other_client, other = client_as(Role.ADVISOR)
    [their_session] = db.session.scalars(sa.select(UserSession.id).where(UserSession.user_id == other.id)).all()

    response = _post(client, f"/account/sessions/{their_session}/end", "/account")

    assert response.status_code == 302
    assert "No such session." in client.get("/account").get_data(as_text=True)
    assert other_client.get("/").status_code == 200
    assert _events("auth.session_ended", other.id) == []
