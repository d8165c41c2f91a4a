"""Security headers on every response; HSTS and Secure cookies only in production."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseapp.extensions import db
from tests.conftest import make_app

PATHS = ["/login", "/healthz", "/nope", "/api/v1/nope", "/static/app.css"]


@pytest.fixture(scope="module")
def production_app(app: Flask, redis_url: str) -> Iterator[Flask]:
    """The app as production builds it: a real secret, PostgreSQL and Redis (the same Redis URL as the main app,
    because the Limiter extension keeps one storage for every app)."""
    flask_app = make_app(
        app.config["DATABASE_URL"], redis_url, ENV_NAME="production", SECRET_KEY=secrets.token_urlsafe(30)[:40]
    )
    yield flask_app
    with flask_app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("path", PATHS)
def test_response_carries_security_headers(client: FlaskClient, path: str) -> None:
    with client.get(path) as response:  # closes a static file's handle
        headers = response.headers

    csp = headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers


def test_pages_are_not_cached_but_static_files_may_be(client: FlaskClient) -> None:
    with client.get("/static/app.css") as static:
        static_cache = static.headers.get("Cache-Control")

    assert client.get("/login").headers["Cache-Control"] == "no-store"
    assert static_cache != "no-store"


@pytest.mark.parametrize("path", ["/healthz", "/login", "/nope"])
def test_production_response_carries_hsts(production_app: Flask, path: str) -> None:
    response = production_app.test_client().get(path)

    hsts = response.headers["Strict-Transport-Security"]
    max_age = int(hsts.split("max-age=")[1].split(";")[0])
    assert max_age >= 365 * 24 * 3600
    assert "includeSubDomains" in hsts
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_production_session_cookie_is_secure_httponly_and_samesite_lax(production_app: Flask) -> None:
    response = production_app.test_client().get("/login")  # the CSRF token starts a session

    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("caseapp_session=")]
    assert "; Secure" in cookie
    assert "; HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
