"""The tokens API: your own tokens with their expiry, and new ones (one made with a token expires no later than
that token, so no token renews itself)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from caseapp.auth import services as auth_services
from caseapp.auth.models import Role, User
from caseapp.extensions import db
from tests import factories


def test_a_signed_in_user_creates_a_token_that_expires_when_asked(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], page_csrf: Callable[[str], str]
) -> None:
    login_as(Role.ADVISOR)

    made = client.post(
        "/api/v1/tokens", json={"name": "reports", "days": 10}, headers={"X-CSRFToken": page_csrf("/account")}
    )
    body = made.get_json()
    listed = client.get("/api/v1/tokens").get_json()["items"]
    works = app.test_client().get("/api/v1/tokens", headers={"Authorization": f"Bearer {body['token']}"})

    assert made.status_code == 201, body
    lifetime = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(body["created_at"])
    assert timedelta(days=9, hours=23) < lifetime <= timedelta(days=10, minutes=1)
    assert [item["id"] for item in listed] == [body["id"]]
    assert "token" not in listed[0]
    assert works.status_code == 200


def test_the_token_api_refuses_more_days_than_the_maximum(
    client: FlaskClient, login_as: Callable[..., User], page_csrf: Callable[[str], str]
) -> None:
    login_as(Role.ADVISOR)

    response = client.post(
        "/api/v1/tokens", json={"name": "x", "days": 366}, headers={"X-CSRFToken": page_csrf("/account")}
    )

    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"days": ["Choose from 1 to 365 days."]}


def test_a_token_made_with_a_token_never_outlives_it(app: Flask, client: FlaskClient, db_session: object) -> None:
    user = factories.make_user()
    with app.test_request_context():
        parent, token = auth_services.create_token(user, "parent", actor_id=None, days=5)
    db.session.commit()

    response = client.post(
        "/api/v1/tokens", json={"name": "renewal", "days": 365}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 201, response.get_json()
    assert datetime.fromisoformat(response.get_json()["expires_at"]) == parent.expires_at
