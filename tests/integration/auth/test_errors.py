"""Errors: the JSON envelope, HTML error pages, and a 500 that shows and logs a request id and writes nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import current_user, login_required

from caseapp.auth import queries
from caseapp.errors import ValidationError
from tests import factories
from tests.conftest import login, make_app

REQUEST_ID = "test-request-0123456789"


@pytest.fixture(scope="module")
def faulty_app(app: Flask, redis_url: str) -> Iterator[Flask]:
    """A second app on the same database with routes that fail. It uses the same Redis URL: the Limiter extension
    keeps one storage for every app it was initialised on, so a different URL would move the main app's limits."""
    flask_app = make_app(app.config["DATABASE_URL"], redis_url)

    @flask_app.get("/boom")
    def boom() -> str:
        raise RuntimeError("an unexpected bug")

    @flask_app.get("/api/v1/boom")
    def api_boom() -> str:
        raise RuntimeError("an unexpected bug")

    @flask_app.get("/half-done/<kind>")
    @login_required
    def half_done(kind: str) -> str:
        # as a service would: change a row, then fail before the view commits
        current_user.full_name = "Half Done"
        if kind == "domain":
            raise ValidationError("Refused by a rule.")
        raise RuntimeError("an unexpected bug")

    yield flask_app
    with flask_app.app_context():
        from caseapp.extensions import db

        db.engine.dispose()


def test_unknown_api_path_answers_404_json_envelope(client: FlaskClient) -> None:
    response = client.get("/api/v1/nope")

    assert response.status_code == 404
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "not_found"
    assert error["message"]
    assert error["fields"] == {}


def test_unknown_page_answers_404_html_page(client: FlaskClient) -> None:
    response = client.get("/nope")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Page not found" in response.get_data(as_text=True)


def test_wrong_method_answers_405_with_allow_header(client: FlaskClient) -> None:
    response = client.post("/healthz", headers={"Accept": "application/json"})

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_unexpected_exception_shows_500_page_with_request_id_and_logs_it(
    faulty_app: Flask, db_session: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="caseapp.errors")

    response = faulty_app.test_client().get("/boom", headers={"X-Request-ID": REQUEST_ID})

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "something went wrong on our side" in page.lower()
    request_id = response.headers["X-Request-ID"]
    assert request_id != REQUEST_ID  # a client cannot choose the id the audit trail and logs keep
    assert request_id in page
    assert "an unexpected bug" not in page  # no internals shown
    [record] = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert record.request_id == request_id  # type: ignore[attr-defined]
    assert record.exc_info is not None


def test_unexpected_exception_answers_500_json_with_request_id_to_api(faulty_app: Flask, db_session: Any) -> None:
    response = faulty_app.test_client().get("/api/v1/boom")

    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "internal_error"
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert error["request_id"] in error["message"]


@pytest.mark.parametrize(("kind", "status"), [("crash", 500), ("domain", 422)])
def test_failed_request_commits_none_of_its_changes(
    faulty_app: Flask, db_session: Any, time_machine: Any, kind: str, status: int
) -> None:
    time_machine.move_to(datetime(2027, 1, 11, 9, 0, tzinfo=UTC), tick=False)
    user = factories.make_user(full_name="Kept Name")
    db_session.commit()
    browser = faulty_app.test_client()
    assert login(browser, user.email).status_code == 302
    time_machine.shift(timedelta(minutes=2))  # the session's last_seen_at is due a touch, which is committed

    response = browser.get(f"/half-done/{kind}")

    assert response.status_code == status
    assert queries.get_user(user.id).full_name == "Kept Name"
