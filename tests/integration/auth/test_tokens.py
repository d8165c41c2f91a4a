"""API tokens: created by the CLI, used as `Authorization: Bearer`, refused once revoked or the user is deactivated.

There is no foundation JSON endpoint that needs a role, so bearer auth is shown on `/` (any signed-in role).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import ApiToken, Role
from caseapp.extensions import db
from tests import factories
from tests.conftest import csrf_token_from


def _create_token_with_cli(app: Flask, email: str) -> tuple[str, int]:
    result = app.test_cli_runner().invoke(args=["create-token", "--email", email])
    assert result.exit_code == 0, result.output
    match = re.search(r"Token (\d+) created", result.output)
    assert match, result.output
    return result.output.splitlines()[0], int(match.group(1))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refused(client: FlaskClient, token: str) -> bool:
    """Refused both ways: a page sends the browser to sign in, a JSON client gets 401."""
    page = client.get("/", headers=_bearer(token))
    api = client.get("/", headers={**_bearer(token), "Accept": "application/json"})
    return page.status_code == 302 and page.headers["Location"].startswith("/login") and api.status_code == 401


def test_bearer_token_from_cli_signs_the_request_in(app: Flask, client: FlaskClient) -> None:
    user = factories.make_user(full_name="Priya Shah")
    db.session.commit()
    token, token_id = _create_token_with_cli(app, user.email)

    response = client.get("/", headers=_bearer(token))

    assert response.status_code == 200
    assert "Hello, Priya" in response.get_data(as_text=True)
    row = db.session.get(ApiToken, token_id)
    assert row is not None
    assert row.last_used_at is not None


def test_cli_token_is_stored_only_as_a_hash(app: Flask, client: FlaskClient) -> None:
    user = factories.make_user()
    db.session.commit()
    token, token_id = _create_token_with_cli(app, user.email)

    row = db.session.get(ApiToken, token_id)

    assert row is not None
    assert token not in {row.token_hash, row.prefix, row.name}
    assert len(row.token_hash) == 64
    assert token.startswith(row.prefix)


def test_create_token_cli_fails_for_an_unknown_email(app: Flask, client: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(args=["create-token", "--email", "nobody-here@example.org"])

    assert result.exit_code != 0
    assert "No user with that email" in result.output


def test_home_is_refused_without_a_token_or_with_a_wrong_one(client: FlaskClient) -> None:
    no_token = client.get("/")
    no_token_api = client.get("/", headers={"Accept": "application/json"})

    assert no_token.status_code == 302
    assert no_token_api.status_code == 401
    assert _refused(client, "cat_not-a-real-token")


def test_bearer_token_is_refused_after_revoke_token_cli(app: Flask, client: FlaskClient) -> None:
    user = factories.make_user()
    db.session.commit()
    token, token_id = _create_token_with_cli(app, user.email)
    assert client.get("/", headers=_bearer(token)).status_code == 200

    result = app.test_cli_runner().invoke(args=["revoke-token", str(token_id)])

    assert result.exit_code == 0, result.output
    assert _refused(client, token)


def test_bearer_token_is_refused_after_an_admin_revokes_it_on_the_user_page(
    app: Flask, client: FlaskClient, client_as: Callable[..., Any]
) -> None:
    admin_client, admin = client_as(Role.ADMIN)
    user = factories.make_user()
    db.session.commit()
    token, token_id = _create_token_with_cli(app, user.email)
    csrf = csrf_token_from(admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True))

    response = admin_client.post(f"/admin/users/{user.id}/tokens/{token_id}/revoke", data={"csrf_token": csrf})

    assert response.status_code == 302
    assert _refused(client, token)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "auth.token_revoked"))
    assert event is not None
    assert (event.actor_id, event.entity_id) == (admin.id, str(token_id))


def test_admin_cannot_revoke_a_token_through_another_users_page(
    app: Flask, client: FlaskClient, client_as: Callable[..., Any]
) -> None:
    admin_client, _ = client_as(Role.ADMIN)
    owner, other = factories.make_user(), factories.make_user()
    db.session.commit()
    token, token_id = _create_token_with_cli(app, owner.email)
    csrf = csrf_token_from(admin_client.get(f"/admin/users/{other.id}").get_data(as_text=True))

    response = admin_client.post(f"/admin/users/{other.id}/tokens/{token_id}/revoke", data={"csrf_token": csrf})

    assert response.status_code == 404
    assert client.get("/", headers=_bearer(token)).status_code == 200


def test_bearer_token_is_refused_after_its_user_is_deactivated(
    app: Flask, client: FlaskClient, client_as: Callable[..., Any]
) -> None:
    admin_client, _ = client_as(Role.ADMIN)
    user = factories.make_user()
    db.session.commit()
    token, token_id = _create_token_with_cli(app, user.email)
    csrf = csrf_token_from(admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True))

    admin_client.post(f"/admin/users/{user.id}/deactivate", data={"csrf_token": csrf})

    assert _refused(client, token)
    row = db.session.get(ApiToken, token_id)
    assert row is not None
    assert row.revoked_at is not None


def test_create_token_cli_refuses_a_deactivated_user(app: Flask, client: FlaskClient) -> None:
    user = factories.make_user(is_active=False)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["create-token", "--email", user.email])

    assert result.exit_code != 0
    assert "deactivated" in result.output
