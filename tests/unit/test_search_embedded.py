"""Name search in embedded mode (`make run`): SQLite built by `upgrade head` has no trigram index, and the same search
(a plain LIKE on lower(name), the callers' cases by IN) finds part of a name in any case, newest first."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from caseapp.cases import queries
from caseapp.extensions import db
from caseapp.timeutil import now_utc
from tests import factories


def test_name_search_works_on_sqlite_without_a_trigram_index(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        older = factories.make_case(factories.make_caller(name="Priya Kowalczyk"))
        newer = factories.make_case(factories.make_caller(name="KOWALSKI"))
        factories.make_case(factories.make_caller(name="Sam Brown"))
        older.updated_at = now_utc() - timedelta(hours=1)
        db.session.commit()
        indexes = set(db.session.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")))

        found = queries.search_cases_by_name("kowal", limit=1)

        assert "ix_callers_lower_name" in indexes
        assert "ix_callers_name_trgm" not in indexes
        assert [c.id for c in found] == [newer.id, older.id]  # one more than the limit: there are more
        assert queries.search_cases_by_name("BROWN", limit=5)[0].caller.name == "Sam Brown"
        assert queries.search_cases_by_name("br", limit=5) == []  # fewer than 3 letters
