"""Fixtures for the integration tests: the JSON API clients (tests/api_fixtures.py), whose every response is checked
against the OpenAPI document the app serves, and an app on a database of its own whose transactions really commit,
for the race tests (two threads, two connections)."""

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade

from caseapp.extensions import db
from tests.api_fixtures import anonymous_api, api, api_as, openapi_spec, response_checker
from tests.conftest import create_database, drop_database, make_app

__all__ = ["anonymous_api", "api", "api_as", "openapi_spec", "response_checker"]


@pytest.fixture(scope="module")
def race_app(pg_server_url: str, redis_url: str) -> Iterator[Flask]:
    database_url = create_database(pg_server_url, prefix="caseapp_race")
    flask_app = make_app(database_url, redis_url)
    try:
        with flask_app.app_context():
            upgrade()
        yield flask_app
    finally:
        with flask_app.app_context():
            db.engine.dispose()
        drop_database(pg_server_url, database_url)
