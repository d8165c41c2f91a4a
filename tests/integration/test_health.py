"""Liveness and readiness probes, including the broker (Redis) and the database going away."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from caseapp.extensions import db
from tests import servers
from tests.conftest import make_app


def test_healthz_answers_200(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_answers_200_when_database_and_broker_are_reachable(client: FlaskClient) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_readyz_answers_503_naming_the_broker_while_redis_is_stopped(
    app: Flask, client: FlaskClient, monkeypatch: Any
) -> None:
    redis = servers.start_redis()
    try:
        monkeypatch.setitem(app.config, "REDIS_URL", redis.url)
        assert client.get("/readyz").status_code == 200

        redis.stop()
        down = client.get("/readyz")
        redis.start_again()
        back = client.get("/readyz")
    finally:
        redis.stop()

    assert down.status_code == 503
    assert down.get_json() == {"status": "unavailable", "checks": {"database": "ok", "broker": "unreachable"}}
    assert back.status_code == 200


def test_readyz_answers_503_naming_the_database_when_it_is_unreachable(redis_url: str) -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{servers.free_port()}/caseapp"
    unreachable_app = make_app(nowhere, redis_url)  # the same Redis URL: the Limiter keeps one storage for all apps
    try:
        response = unreachable_app.test_client().get("/readyz")
    finally:
        with unreachable_app.app_context():
            db.engine.dispose()

    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "unreachable", "broker": "ok"}
