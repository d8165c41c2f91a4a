"""JSON API fixtures: clients signed in with a bearer token whose every response is checked against the OpenAPI
document the app serves (GET /api/v1/openapi.json), so the document and the API cannot drift apart. A folder's
conftest.py imports the ones its tests use (tests/integration, tests/security)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories
from tests.integration.api_support import Api, ResponseChecker


@pytest.fixture(scope="session")
def openapi_spec(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec: dict[str, Any] = response.get_json()
    return spec


@pytest.fixture(scope="session")
def response_checker(openapi_spec: dict[str, Any]) -> ResponseChecker:
    return ResponseChecker(openapi_spec)


@pytest.fixture
def api_as(app: Flask, db_session: Any, response_checker: ResponseChecker) -> Iterator[Callable[..., Api]]:
    """api_as(Role.MANAGER, full_name=...) -> an Api client for a new user of that role (each its own test client).
    The first advisor opens the cases the test makes without naming who did (factories.sign_in_as)."""

    def _api_as(role: Role = Role.ADVISOR, **overrides: Any) -> Api:
        user = factories.make_user(role=role, **overrides)
        _, token = factories.make_token(user)
        db.session.commit()
        factories.sign_in_as(user)
        return Api(app.test_client(), user, token, response_checker)

    yield _api_as
    factories.signed_out()


@pytest.fixture
def api(api_as: Callable[..., Api]) -> Api:
    """An advisor's API client; the cases the test makes without naming who opened them are theirs."""
    return api_as(Role.ADVISOR)


@pytest.fixture
def anonymous_api(app: Flask, db_session: Any, response_checker: ResponseChecker) -> Api:
    return Api(app.test_client(), None, None, response_checker)
