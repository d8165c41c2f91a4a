"""API tokens expire (TOKEN_DEFAULT_DAYS unless their creator chooses fewer, never beyond TOKEN_MAX_DAYS) and stop
working when their user's password changes, an admin issues a reset link, the user is deactivated or their role
changes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.auth import reset_links
from caseapp.auth import services as auth_services
from caseapp.auth.models import ApiToken, Role, User
from caseapp.errors import ValidationError
from caseapp.extensions import db
from caseapp.users import services as user_services
from tests import factories
from tests.conftest import csrf_token_from

START = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "fresh-quiet-orchard-88"


def _works(client: FlaskClient, token: str) -> bool:
    return (
        client.get("/", headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}).status_code == 200
    )


def test_a_token_expires_after_the_default_90_days(app: Flask, client: FlaskClient, time_machine: Any) -> None:
    time_machine.move_to(START, tick=False)
    user = factories.make_user()
    row, token = factories.make_token(user)
    db.session.commit()

    time_machine.shift(timedelta(days=90) - timedelta(seconds=1))
    on_the_last_day = _works(client, token)
    time_machine.shift(timedelta(seconds=1))
    expired = _works(client, token)

    assert row.expires_at == START + timedelta(days=app.config["TOKEN_DEFAULT_DAYS"])
    assert on_the_last_day is True
    assert expired is False


def test_the_creator_may_choose_fewer_days_but_not_more_than_the_maximum(app: Flask, db_session: Any) -> None:
    user = factories.make_user()

    with app.test_request_context():
        short, _ = auth_services.create_token(user, "short", actor_id=None, days=7)
        with pytest.raises(ValidationError) as too_long:
            auth_services.create_token(user, "long", actor_id=None, days=app.config["TOKEN_MAX_DAYS"] + 1)

    assert (short.expires_at - short.created_at).days in (6, 7)  # created_at is the database clock's
    assert too_long.value.fields == {"days": [f"Choose from 1 to {app.config['TOKEN_MAX_DAYS']} days."]}


def test_create_token_cli_takes_days_and_prints_the_expiry(app: Flask, client: FlaskClient) -> None:
    user = factories.make_user()
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["create-token", "--email", user.email, "--days", "30"])
    refused = app.test_cli_runner().invoke(args=["create-token", "--email", user.email, "--days", "366"])

    assert result.exit_code == 0, result.output
    token_id = int(re.search(r"Token (\d+) created, expires \d{4}-\d\d-\d\d \d\d:\d\d", result.output).group(1))  # type: ignore[union-attr]
    row = db.session.get(ApiToken, token_id)
    assert row is not None
    assert timedelta(days=29, hours=23) < row.expires_at - row.created_at <= timedelta(days=30, minutes=1)
    assert refused.exit_code != 0
    assert "Choose from 1 to 365 days." in refused.output


def test_a_token_made_on_the_account_page_shows_once_with_its_expiry(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    user = login_as(Role.ADVISOR)
    page = client.get("/account").get_data(as_text=True)

    made = client.post(
        "/account/tokens", data={"name": "reports script", "days": "14", "csrf_token": csrf_token_from(page)}
    )
    text = made.get_data(as_text=True)
    token = re.search(r'data-testid="new-token">([^<]+)<', text).group(1)  # type: ignore[union-attr]
    too_long = client.post("/account/tokens", data={"name": "x", "days": "999", "csrf_token": csrf_token_from(page)})
    listed_later = client.get("/account").get_data(as_text=True)

    assert made.status_code == 200
    assert "expires" in text
    assert _works(client.application.test_client(), token)
    [row] = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert timedelta(days=13, hours=23) < row.expires_at - row.created_at <= timedelta(days=14, minutes=1)
    assert too_long.status_code == 422
    assert "Choose from 1 to 365 days." in too_long.get_data(as_text=True)
    assert token not in listed_later
    assert row.prefix in listed_later


def _revoked_by(action: Callable[[User, User], None], app: Flask) -> tuple[bool, str | None]:
    user = factories.make_user()
    admin = factories.make_user(role=Role.ADMIN)
    row, token = factories.make_token(user)
    db.session.commit()
    assert _works(app.test_client(), token)
    with app.test_request_context():
        action(user, admin)
    db.session.commit()
    db.session.refresh(row)
    return _works(app.test_client(), token), row.revoked_reason


def test_a_password_change_revokes_the_users_tokens(app: Flask, db_session: Any) -> None:
    def change(user: User, _: User) -> None:
        auth_services.change_password(user, factories.DEFAULT_PASSWORD, NEW_PASSWORD)

    assert _revoked_by(change, app) == (False, "password_changed")


def test_an_admin_reset_link_revokes_the_users_tokens(app: Flask, db_session: Any) -> None:
    def reset(user: User, admin: User) -> None:
        reset_links.issue_link(user, actor_id=admin.id)

    assert _revoked_by(reset, app) == (False, "password_reset")


def test_deactivation_revokes_the_users_tokens(app: Flask, db_session: Any) -> None:
    def deactivate(user: User, admin: User) -> None:
        user_services.deactivate_user(user, actor_id=admin.id)

    assert _revoked_by(deactivate, app) == (False, "deactivated")


def test_a_role_change_revokes_the_users_tokens(app: Flask, db_session: Any) -> None:
    def promote(user: User, admin: User) -> None:
        user_services.change_role(user, Role.MANAGER, actor_id=admin.id)

    assert _revoked_by(promote, app) == (False, "role_changed")
