"""Admin pages for staff accounts: create, change role, deactivate, reactivate; each audited (password reset links,
sessions and second factors: test_access_admin.py)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth import queries
from caseapp.auth.models import ApiToken, Role, User, UserSession
from caseapp.extensions import db
from tests import factories
from tests.conftest import client_with_session_cookie, csrf_token_from, login, session_cookie

NEW_PASSWORD = "fresh-quiet-orchard-88"


@pytest.fixture
def admin(client: FlaskClient, login_as: Callable[..., User]) -> User:
    """The `client` is signed in as this admin."""
    return login_as(Role.ADMIN)


def _post(client: FlaskClient, path: str, data: dict[str, str], form_page: str | None = None) -> Any:
    token = csrf_token_from(client.get(form_page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _events(action: str, user_id: int) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(
        AuditEvent.action == action, AuditEvent.entity_type == "user", AuditEvent.entity_id == str(user_id)
    )
    return list(db.session.scalars(query))


def _create_form(**overrides: str) -> dict[str, str]:
    data = {"full_name": "Nina Newcomer", "email": "Nina.Newcomer@Example.org", "role": "manager"}
    data["password"] = NEW_PASSWORD
    data.update(overrides)
    return data


def _user_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


# --- create ----------------------------------------------------------------------------------------------------


def test_create_user_saves_the_account_and_audits_it(app: Flask, client: FlaskClient, admin: User) -> None:
    response = _post(client, "/admin/users/new", _create_form())

    user = queries.find_user_by_email("nina.newcomer@example.org")
    assert user is not None
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert (user.email, user.full_name, user.role, user.is_active) == (
        "nina.newcomer@example.org",
        "Nina Newcomer",
        Role.MANAGER,
        True,
    )
    assert NEW_PASSWORD not in user.password_hash
    [event] = _events("user.created", user.id)
    assert event.actor_id == admin.id
    assert event.detail == {"role": "manager"}
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_create_user_redisplays_what_was_typed_with_422_when_invalid(client: FlaskClient, admin: User) -> None:
    before = _user_count()

    response = _post(client, "/admin/users/new", _create_form(email="not-an-email", full_name="Nina Newcomer"))

    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "Enter a valid email address." in page
    assert 'value="not-an-email"' in page
    assert 'value="Nina Newcomer"' in page
    assert NEW_PASSWORD not in page  # a password is never sent back
    assert _user_count() == before


def test_create_user_requires_a_name(client: FlaskClient, admin: User) -> None:
    response = _post(client, "/admin/users/new", _create_form(full_name=""))

    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)
    assert queries.find_user_by_email("nina.newcomer@example.org") is None


def test_create_user_refuses_an_email_already_in_use(client: FlaskClient, admin: User) -> None:
    existing = factories.make_user(email="taken@example.org")
    db.session.commit()
    before = _user_count()

    response = _post(client, "/admin/users/new", _create_form(email="TAKEN@example.org"))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A user with this email already exists." in page
    assert "Already in use." in page
    assert _user_count() == before
    assert queries.get_user(existing.id).full_name == existing.full_name


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-1", "Use at least 12 characters."),
        ("liverpool123", "This password is too common"),
        ("nina.newcomer-rocks", "Do not include your email name"),
    ],
    ids=["short", "common", "contains_email"],
)
def test_create_user_refuses_a_weak_password(client: FlaskClient, admin: User, password: str, message: str) -> None:
    response = _post(client, "/admin/users/new", _create_form(password=password))

    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    assert queries.find_user_by_email("nina.newcomer@example.org") is None


# --- change role ---------------------------------------------------------------------------------------------


def test_change_role_saves_audits_and_ends_the_users_sessions(
    app: Flask, client: FlaskClient, admin: User, client_as: Callable[..., Any]
) -> None:
    target_client, target = client_as(Role.ADVISOR)

    response = _post(client, f"/admin/users/{target.id}", {"full_name": target.full_name, "role": "manager"})

    assert response.status_code == 302
    assert queries.get_user(target.id).role == Role.MANAGER
    [event] = _events("user.role_changed", target.id)
    assert (event.actor_id, event.detail) == (admin.id, {"from": "advisor", "to": "manager"})
    assert target_client.get("/").headers["Location"].startswith("/login")


def test_edit_page_shows_the_current_role_selected(client: FlaskClient, admin: User) -> None:
    target = factories.make_user(role=Role.MANAGER)
    db.session.commit()

    page = client.get(f"/admin/users/{target.id}").get_data(as_text=True)

    assert '<option selected value="manager">' in page or '<option value="manager" selected>' in page


def test_admin_cannot_change_their_own_role(client: FlaskClient, admin: User) -> None:
    response = _post(client, f"/admin/users/{admin.id}", {"full_name": admin.full_name, "role": "advisor"})

    assert response.status_code == 422
    assert "You cannot change your own role." in response.get_data(as_text=True)
    assert queries.get_user(admin.id).role == Role.ADMIN


def test_edit_user_answers_404_for_an_unknown_user(client: FlaskClient, admin: User) -> None:
    assert client.get("/admin/users/987654321").status_code == 404


# --- deactivate / reactivate ---------------------------------------------------------------------------------


def test_deactivate_user_ends_sessions_revokes_tokens_and_audits(
    app: Flask, client: FlaskClient, admin: User, client_as: Callable[..., Any]
) -> None:
    target_client, target = client_as(Role.ADVISOR)
    token, _ = factories.make_token(target)
    db.session.commit()
    captured = session_cookie(target_client)
    assert captured is not None

    response = _post(client, f"/admin/users/{target.id}/deactivate", {}, form_page=f"/admin/users/{target.id}")

    assert response.status_code == 302
    assert queries.get_user(target.id).is_active is False
    sessions = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == target.id)).all()
    assert [s.revoked_reason for s in sessions] == ["deactivated"]
    revoked = db.session.get(ApiToken, token.id)
    assert revoked is not None
    assert revoked.revoked_at is not None
    assert client_with_session_cookie(app, captured).get("/").headers["Location"].startswith("/login")
    assert login(app.test_client(), target.email).status_code == 401
    [event] = _events("user.deactivated", target.id)
    assert event.actor_id == admin.id


def test_reactivate_user_lets_them_sign_in_again_and_audits(app: Flask, client: FlaskClient, admin: User) -> None:
    target = factories.make_user(is_active=False)
    db.session.commit()

    response = _post(client, f"/admin/users/{target.id}/reactivate", {}, form_page=f"/admin/users/{target.id}")

    assert response.status_code == 302
    assert queries.get_user(target.id).is_active is True
    assert login(app.test_client(), target.email).status_code == 302
    [event] = _events("user.reactivated", target.id)
    assert event.actor_id == admin.id


def test_admin_cannot_deactivate_themselves(client: FlaskClient, admin: User) -> None:
    response = _post(client, f"/admin/users/{admin.id}/deactivate", {}, form_page=f"/admin/users/{admin.id}")

    assert response.status_code == 302
    assert "You cannot deactivate yourself." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert queries.get_user(admin.id).is_active is True
    assert _events("user.deactivated", admin.id) == []


# --- audit trail page ------------------------------------------------------------------------------------------


def test_audit_page_lists_user_administration_events(client: FlaskClient, admin: User) -> None:
    _post(client, "/admin/users/new", _create_form())
    user = queries.find_user_by_email("nina.newcomer@example.org")
    assert user is not None

    page = client.get("/admin/audit/?action=user.").get_data(as_text=True)

    assert "user.created" in page
    assert f'<a href="/admin/users/{user.id}">Nina Newcomer</a>' in page  # the page shows who, by name
    (event,) = _events("user.created", user.id)
    assert event.detail == {"role": "manager"}  # the trail itself holds ids and codes, not names
