"""Passwords at sign-in and on the account page: rehash on parameter change, the policy, the current password."""

from __future__ import annotations

from collections.abc import Callable

import argon2
from flask.testing import FlaskClient

from caseapp.auth import queries
from caseapp.auth.models import Role, User
from caseapp.extensions import db
from tests import factories
from tests.conftest import csrf_token_from, login


def _change(client: FlaskClient, current: str, new: str, confirm: str | None = None) -> str:
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    data = {"current_password": current, "new_password": new, "confirm": confirm or new, "csrf_token": token}
    response = client.post("/account", data=data)
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_login_rehashes_a_password_stored_with_old_parameters(client: FlaskClient) -> None:
    old_hash = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(factories.DEFAULT_PASSWORD)
    user = factories.make_user(password_hash=old_hash)
    db.session.commit()

    assert login(client, user.email).status_code == 302

    new_hash = queries.get_user(user.id).password_hash
    assert new_hash != old_hash
    assert "m=1024,t=1,p=1" not in new_hash
    assert login(client.application.test_client(), user.email).status_code == 302


def test_change_password_needs_the_current_password(client: FlaskClient, login_as: Callable[..., User]) -> None:
    user = login_as(Role.ADVISOR)

    page = _change(client, "not-my-password-1", "another-long-passphrase-77")

    assert "Not right." in page
    assert login(client.application.test_client(), user.email).status_code == 302  # unchanged


def test_change_password_refuses_a_weak_new_password(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as(Role.ADVISOR)

    page = _change(client, factories.DEFAULT_PASSWORD, "password1234")

    assert "too common" in page


def test_change_password_refuses_a_confirmation_that_differs(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.ADVISOR)

    page = _change(client, factories.DEFAULT_PASSWORD, "another-long-passphrase-77", "another-long-passphrase-78")

    assert "The two passwords differ." in page
