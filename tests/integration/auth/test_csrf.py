from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth import queries
from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories


def test_login_rejects_post_without_csrf_token_and_signs_nobody_in(client: FlaskClient) -> None:
    user = factories.make_user()
    db.session.commit()
    client.get("/login")

    response = client.post("/login", data={"email": user.email, "password": factories.DEFAULT_PASSWORD})

    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_login_rejects_post_with_a_forged_csrf_token(client: FlaskClient) -> None:
    user = factories.make_user()
    db.session.commit()
    client.get("/login")

    response = client.post(
        "/login", data={"email": user.email, "password": factories.DEFAULT_PASSWORD, "csrf_token": "forged"}
    )

    assert response.status_code == 400
    assert client.get("/").headers["Location"].startswith("/login")


def test_admin_form_rejects_post_without_csrf_token_and_creates_no_user(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADMIN)

    response = client.post(
        "/admin/users/new",
        data={
            "full_name": "Nina Newcomer",
            "email": "nina@example.org",
            "role": "admin",
            "password": "fresh-quiet-orchard-88",
        },
    )

    assert response.status_code == 400
    assert queries.find_user_by_email("nina@example.org") is None


def test_admin_action_rejects_post_without_csrf_token_and_leaves_user_active(
    client: FlaskClient, login_as: Any
) -> None:
    login_as(Role.ADMIN)
    target = factories.make_user()
    db.session.commit()

    response = client.post(f"/admin/users/{target.id}/deactivate")

    assert response.status_code == 400
    assert queries.get_user(target.id).is_active is True


def test_csrf_failure_answers_json_envelope_when_client_wants_json(client: FlaskClient) -> None:
    client.get("/login")

    response = client.post("/login", data={"email": "a@example.org"}, headers={"Accept": "application/json"})

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"
