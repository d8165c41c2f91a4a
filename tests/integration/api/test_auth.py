"""Who may call the JSON API: a bearer token, or a signed-in browser session that sends the CSRF token on writes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.auth.models import ApiToken, Role, User
from caseapp.auth.services import revoke_token
from caseapp.extensions import db
from tests.integration.api_support import Api


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwYXNz"])
def test_api_refuses_a_bad_authorization_header_with_401(anonymous_api: Api, header: str) -> None:
    response = anonymous_api.get("/api/v1/cases", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_api_refuses_a_revoked_token(api: Api) -> None:
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == api.user_id)).one()
    revoke_token(token.id, actor_id=None)
    db.session.commit()

    response = api.get("/api/v1/cases")

    assert response.status_code == 401


def test_api_refuses_the_token_of_a_deactivated_user(api: Api) -> None:
    api.account.is_active = False
    db.session.commit()

    response = api.get("/api/v1/cases")

    assert response.status_code == 401


# --- a browser session using the API (the log-a-call page's scripts; tests/security/test_csrf.py refuses every write
# without the header) ------------------------------------------------------------------------------------------------


@pytest.fixture
def browser(client: FlaskClient, login_as: Callable[..., User]) -> FlaskClient:
    login_as(Role.ADVISOR)
    return client


def test_session_api_post_with_the_csrf_header_works(browser: FlaskClient, page_csrf: Callable[[str], str]) -> None:
    token = page_csrf("/account")

    response = browser.post("/api/v1/calls", json={"phone": "07811 606 606"}, headers={"X-CSRFToken": token})

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["case_reference"].startswith("CA-")


def test_session_api_get_needs_no_csrf_header(browser: FlaskClient) -> None:
    response = browser.get("/api/v1/cases")

    assert response.status_code == 200
