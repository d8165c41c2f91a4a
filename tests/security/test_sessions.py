"""Session fixation: whatever a browser's session held before sign-in (a cookie an attacker planted, keys they put
in it, the CSRF token of its forms), sign-in starts a new session that shares none of it, and the old cookie signs
nobody in. (Timeouts and revocation are tests/integration/auth/test_sessions.py.)"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.auth.access import SESSION_KEY
from caseapp.auth.models import UserSession
from caseapp.extensions import db
from tests import factories
from tests.conftest import client_with_session_cookie, csrf_token_from, login, session_cookie


def _contents(app: Flask, cookie: str) -> dict[str, Any]:
    """What a session cookie holds (it is signed, not encrypted)."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    contents: dict[str, Any] = serializer.loads(cookie)
    return contents


def _sent_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_login_rotates_the_session_cookie_and_the_old_one_does_not_authenticate(
    app: Flask, client: FlaskClient
) -> None:
    user = factories.make_user()
    db.session.commit()
    client.get("/login")
    before = session_cookie(client)

    response = login(client, user.email)
    after = session_cookie(client)

    assert response.status_code == 302
    assert before is not None
    assert after is not None
    assert after != before
    assert client_with_session_cookie(app, after).get("/").status_code == 200
    assert _sent_to_login(client_with_session_cookie(app, before).get("/"))


def test_sign_in_keeps_nothing_of_a_planted_session(app: Flask, client: FlaskClient) -> None:
    user = factories.make_user()
    db.session.commit()
    planted_secret = "attacker-chosen-session-secret-0123456789"
    with client.session_transaction() as planted:  # what an attacker could put in the victim's browser at most
        planted[SESSION_KEY] = planted_secret
        planted["_user_id"] = str(user.id)
        planted["planted"] = "by an attacker"
    assert _sent_to_login(client.get("/"))  # a session secret the server never issued signs nobody in

    assert login(client, user.email).status_code == 302
    cookie = session_cookie(client)
    assert cookie is not None
    after = _contents(app, cookie)

    assert "planted" not in after
    assert after[SESSION_KEY] != planted_secret
    [row] = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)).all()
    assert row.token_hash == hashlib.sha256(after[SESSION_KEY].encode()).hexdigest()
    assert row.token_hash != hashlib.sha256(planted_secret.encode()).hexdigest()
    assert client.get("/").status_code == 200


def test_a_form_token_from_before_sign_in_is_refused_after_it(client: FlaskClient) -> None:
    user = factories.make_user()
    db.session.commit()
    old_token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert login(client, user.email).status_code == 302

    stale = client.post("/shifts/start", data={"csrf_token": old_token})
    fresh = client.post("/shifts/start", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))})

    assert stale.status_code == 400
    assert fresh.status_code == 302


def test_sign_out_then_sign_in_gets_a_new_session_and_the_first_stays_ended(app: Flask, client: FlaskClient) -> None:
    user = factories.make_user()
    db.session.commit()
    login(client, user.email)
    first = session_cookie(client)
    assert first is not None
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))})
    signed_out = session_cookie(client)

    login(client, user.email)
    second = session_cookie(client)
    assert second is not None

    assert signed_out is None or SESSION_KEY not in _contents(app, signed_out)
    assert _contents(app, second)[SESSION_KEY] != _contents(app, first)[SESSION_KEY]
    assert _sent_to_login(client_with_session_cookie(app, first).get("/"))
    assert client_with_session_cookie(app, second).get("/").status_code == 200
