"""The embedded SQLite database built by `upgrade head` fills every timestamp default itself: SQLite has no now()
function, so a default written as now() makes every insert that leaves the column out fail there."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from caseapp.extensions import db
from tests import factories


def test_no_table_of_the_embedded_database_defaults_to_now(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        rows = db.session.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all()
        tables = {str(row.name): str(row.sql) for row in rows}

    assert tables, "upgrade head made no tables"
    assert sorted(name for name, sql in tables.items() if "now()" in sql.lower()) == []


def test_a_safeguarding_record_is_written_on_the_embedded_database(sqlite_app: Flask) -> None:
    """One of the tables whose created_at defaulted to now(): writing a record failed on SQLite."""
    with sqlite_app.app_context():
        record = factories.make_safeguarding()
        db.session.commit()

        assert record.created_at is not None
