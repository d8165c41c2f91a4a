"""The directory in embedded mode (`make run`): the demo directory loads into SQLite built by `upgrade head`, once,
and the list filters on JSON lists (substances, funding) work without PostgreSQL's JSONB."""

from __future__ import annotations

import csv

import sqlalchemy as sa
from flask import Flask

from caseapp.cli import EXAMPLE_SERVICES, ensure_demo_directory
from caseapp.directory import queries, services
from caseapp.directory.models import Funding
from caseapp.extensions import db
from caseapp.reference import Substance


def test_the_demo_directory_loads_once_on_sqlite_and_filters_on_its_lists(sqlite_app: Flask) -> None:
    with EXAMPLE_SERVICES.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    active = [r for r in rows if r["active"] == "yes"]
    treats_cocaine = {r["name"] for r in active if "cocaine" in r["substances"].split(";") or not r["substances"]}
    insured = {r["name"] for r in rows if "insurance" in r["funding"].split(";")}

    with sqlite_app.app_context():
        ensure_demo_directory()
        ensure_demo_directory()
        found_cocaine = {s.name for s in db.session.scalars(queries.select_services(substance=Substance.COCAINE))}
        found_insured = {
            s.name for s in db.session.scalars(queries.select_services(funding=Funding.INSURANCE, active=None))
        }
        service = queries.lock_service(1)
        changed = services.update_service(service, {"name": "Renamed"}, version=service.version, actor=None)
        db.session.commit()

        assert queries.count_services() == len(rows)
        assert found_cocaine == treats_cocaine
        assert found_insured == insured
        assert changed == ["name"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("treatment_services"))) == len(rows)
