"""Report fixtures: a database of its own, seeded once per module by `caseapp seed`'s generator around the four UK
clock changes of 2026-2027 (while the clock reads 1 December 2027), and API clients signed in to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask_migrate import upgrade

from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.reports.seed import SeedPlan, seed
from tests import factories
from tests.conftest import create_database, drop_database, make_app
from tests.integration.api_support import Api, ResponseChecker
from tests.integration.reports import expected

#: "now" while the data is generated and read (after the last clock change the tests cover)
NOW = datetime(2027, 12, 1, 12, 0, tzinfo=UTC)
#: three local days around each clock change, 600 calls each
WINDOWS = tuple((day, 600) for day in expected.CLOCK_CHANGE_DAYS)


@dataclass
class Seeded:
    app: Flask
    calls: list[expected.CallRow]
    cases: list[expected.CaseRow]
    callbacks: list[expected.CallbackRow]
    manager: User
    token: str
    checker: ResponseChecker

    def api(self, token: str | None = None) -> Api:
        return Api(self.app.test_client(), self.manager, token or self.token, self.checker)


@pytest.fixture(scope="module")
def seeded(pg_server_url: str, redis_url: str) -> Iterator[Seeded]:
    url = create_database(pg_server_url, "caseapp_reports")
    app = make_app(url, redis_url)
    try:
        with app.app_context(), time_machine.travel(NOW, tick=False):
            upgrade()
            for n, (day, calls) in enumerate(WINDOWS):
                seed(SeedPlan(calls=calls, days=3, seed=100 + n, end=date.fromordinal(day.toordinal() + 1)))
            manager = factories.make_user(role=Role.MANAGER)
            _, token = factories.make_token(manager)
            db.session.commit()
            rows = expected.load_calls(), expected.load_cases(), expected.load_callbacks()
            db.session.refresh(manager)
            db.session.expunge(manager)
            db.session.remove()
        spec: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").get_json()
        yield Seeded(app, *rows, manager, token, ResponseChecker(spec))
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_database(pg_server_url, url)


@pytest.fixture
def reports(seeded: Seeded) -> Iterator[Api]:
    """The manager's API client on the seeded database, with the clock at NOW."""
    with time_machine.travel(NOW, tick=False):
        yield seeded.api()
