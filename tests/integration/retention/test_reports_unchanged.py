"""Every report endpoint (all of /api/v1/reports/..., JSON and CSV, from the URL map) answers the same before and
after every caller and case of a seeded database is anonymised; and no seeded name or number survives anywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask_migrate import upgrade

from caseapp.auth.models import Role
from caseapp.callers.models import Caller
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reports.params import Dimension
from caseapp.reports.seed import SeedPlan, seed
from caseapp.retention import anonymise
from tests import factories
from tests.conftest import create_database, drop_database, make_app
from tests.integration.retention.support import where_found

NOW = datetime(2027, 12, 1, 12, 0, tzinfo=UTC)
PERIOD = {"from": "2027-11-01", "to": "2027-12-01"}
#: the extra queries some reports take (each value of `by`)
VARIANTS: dict[str, list[dict[str, str]]] = {
    "volume": [{}, *({"by": d.value} for d in Dimension), {"bucket": "hour"}, {"bucket": "week"}],
    "volume.csv": [{}, *({"by": d.value} for d in Dimension)],
    "breakdown": [{"by": d.value} for d in Dimension],
    "breakdown.csv": [{"by": d.value} for d in Dimension],
    "callbacks.csv": [{"by": "day"}, {"by": "advisor"}],
}


@pytest.fixture(scope="module")
def seeded(pg_server_url: str, redis_url: str) -> Iterator[tuple[Flask, str]]:
    url = create_database(pg_server_url, "caseapp_retention")
    app = make_app(url, redis_url)
    try:
        with app.app_context(), time_machine.travel(NOW, tick=False):
            upgrade()
            seed(SeedPlan(calls=800, days=21, seed=5, end=date(2027, 11, 30), names=True))
            manager = factories.make_user(role=Role.MANAGER)
            _, token = factories.make_token(manager)
            db.session.commit()
            db.session.remove()
        yield app, token
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_database(pg_server_url, url)


def _report_paths(app: Flask) -> list[str]:
    paths = sorted(rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/reports/"))
    assert len(paths) >= 11  # volume, heatmap, breakdown, funnel, callbacks, today and the five CSVs
    return paths


def _answers(app: Flask, token: str) -> dict[tuple[str, str], tuple[int, bytes]]:
    answers = {}
    client = app.test_client()
    for path in _report_paths(app):
        name = path.removeprefix("/api/v1/reports/")
        for extra in VARIANTS.get(name, [{}]):
            query = {} if name == "today" else {**PERIOD, **extra}
            with client:
                response = client.get(path, query_string=query, headers={"Authorization": f"Bearer {token}"})
                body = response.get_data()
            assert response.status_code == 200, (path, query, body[:300])
            answers[(path, repr(sorted(query.items())))] = (response.status_code, body)
    return answers


def test_every_report_answers_the_same_after_everyone_is_anonymised(seeded: tuple[Flask, str]) -> None:
    app, token = seeded
    with time_machine.travel(NOW, tick=False):
        before = _answers(app, token)
        volume = json.loads(before[("/api/v1/reports/volume", repr(sorted(PERIOD.items())))][1])
        assert sum(row["calls"] for row in volume["rows"]) > 500  # the seeded calls are in the period
        with app.app_context():
            callers = db.session.execute(
                sa.select(Caller.id, Caller.name, Caller.phone_e164).where(Caller.name.is_not(None)).limit(8)
            ).all()
            needles = [str(value) for _id, name, phone in callers for value in (name, phone) if value]
            assert needles
            caller_ids = list(db.session.scalars(sa.select(Caller.id).order_by(Caller.id)))
            case_ids = list(db.session.scalars(sa.select(Case.id).order_by(Case.id)))
            for start in range(0, max(len(caller_ids), len(case_ids)), 200):
                anonymise.anonymise(case_ids[start : start + 200], caller_ids[start : start + 200], NOW)
                db.session.commit()
            assert db.session.scalar(sa.select(sa.func.count()).where(Caller.anonymised_at.is_(None))) == 0
            assert where_found(needles) == []
            db.session.remove()
        after = _answers(app, token)

    assert after.keys() == before.keys()
    changed = [key for key in before if before[key] != after[key]]
    assert changed == []
