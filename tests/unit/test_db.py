"""UTCDateTime: aware UTC in and out, on SQLite as on PostgreSQL; naive datetimes refused."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from caseapp.auth.models import Role, User
from caseapp.db import UTCDateTime
from caseapp.extensions import db


def _user(**values: object) -> User:
    return User(email="sam@example.org", full_name="Sam", role=Role.ADVISOR, password_hash="x", **values)


def test_utcdatetime_round_trips_an_aware_datetime_as_utc_on_sqlite(sqlite_app: Flask) -> None:
    summer_in_london = datetime(2027, 7, 1, 12, 0, 30, 123456, tzinfo=ZoneInfo("Europe/London"))
    with sqlite_app.app_context():
        db.session.add(_user(last_login_at=summer_in_london))
        db.session.commit()
        db.session.expire_all()

        loaded = db.session.scalars(sa.select(User)).one()
        stored = db.session.execute(sa.text("SELECT last_login_at FROM users")).scalar_one()

    assert loaded.last_login_at == summer_in_london
    assert loaded.last_login_at.tzinfo is UTC
    assert loaded.last_login_at.hour == 11
    assert str(stored).startswith("2027-07-01 11:00:30")  # stored as UTC wall time
    assert loaded.created_at.tzinfo is UTC  # server default, read back aware too


def test_utcdatetime_refuses_a_naive_datetime_on_flush(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        db.session.add(_user(last_login_at=datetime(2027, 7, 1, 12, 0)))

        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            db.session.flush()
        db.session.rollback()
        count = db.session.scalar(sa.select(sa.func.count()).select_from(User))

    assert count == 0


def test_utcdatetime_refuses_a_naive_datetime_in_a_query_parameter() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2027, 7, 1, 12, 0), sa.create_engine("sqlite://").dialect)


def test_utcdatetime_keeps_none() -> None:
    dialect = sa.create_engine("sqlite://").dialect

    assert UTCDateTime().process_bind_param(None, dialect) is None
    assert UTCDateTime().process_result_value(None, dialect) is None
