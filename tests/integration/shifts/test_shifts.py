"""Shifts: clock on and off, one open shift per user (enforced by the database), who is on shift."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.errors import Conflict, Forbidden
from caseapp.extensions import db
from caseapp.shifts import queries, services
from caseapp.shifts.models import Shift
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import Api, audit_events


def test_start_then_end_a_shift(db_session: Any) -> None:
    user = factories.make_user()

    shift = services.start_shift(actor=user)
    on = [u.id for u in queries.on_shift_users()]
    services.end_shift(actor=user)

    assert on == [user.id]
    assert shift.ended_at is not None
    assert queries.find_open_shift(user.id) is None
    assert [e.action for e in audit_events(entity_type="shift")] == ["shift.started", "shift.ended"]


def test_a_second_open_shift_is_refused_by_the_service_and_by_the_database(db_session: Any) -> None:
    user = factories.make_user()
    services.start_shift(actor=user)

    with pytest.raises(Conflict):
        services.start_shift(actor=user)
    db.session.add(Shift(user_id=user.id, started_at=now_utc()))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()


def test_only_a_manager_ends_someone_elses_shift(db_session: Any) -> None:
    advisor, other, manager = factories.make_user(), factories.make_user(), factories.make_user(role=Role.MANAGER)
    services.start_shift(actor=advisor)

    with pytest.raises(Forbidden):
        services.end_shift(actor=other, user_id=advisor.id)
    shift = services.end_shift(actor=manager, user_id=advisor.id)

    assert shift.ended_by_id == manager.id


def test_on_shift_users_by_role(db_session: Any) -> None:
    advisor = factories.make_shift().user
    manager = factories.make_shift(factories.make_user(role=Role.MANAGER)).user
    factories.make_user(role=Role.MANAGER)

    assert [u.id for u in queries.on_shift_users([Role.MANAGER, Role.ADMIN])] == [manager.id]
    assert {u.id for u in queries.on_shift_users()} == {advisor.id, manager.id}


def test_shift_api_start_end_me_and_current(api_as: Callable[..., Api]) -> None:
    advisor, manager = api_as(Role.ADVISOR), api_as(Role.MANAGER)

    started = advisor.post("/api/v1/shifts/start")
    again = advisor.post("/api/v1/shifts/start")
    me = advisor.get("/api/v1/shifts/me").get_json()
    current = manager.get("/api/v1/shifts/current")
    advisor_cannot_see = advisor.get("/api/v1/shifts/current")
    ended = advisor.post("/api/v1/shifts/end")
    not_on = advisor.post("/api/v1/shifts/end")

    assert started.status_code == 201
    assert again.status_code == 409
    assert me["on_shift"] is True
    assert me["shift"]["id"] == started.get_json()["id"]
    assert current.status_code == 200
    assert advisor.user is not None
    assert [(s["user_id"], s["role"]) for s in current.get_json()["items"]] == [(advisor.user.id, "advisor")]
    assert advisor_cannot_see.status_code == 403
    assert ended.status_code == 200
    assert ended.get_json()["ended_at"] is not None
    assert not_on.status_code == 409


def test_manager_ends_a_forgotten_shift_through_the_api(api_as: Callable[..., Api]) -> None:
    advisor, manager = api_as(Role.ADVISOR), api_as(Role.MANAGER)
    advisor.post("/api/v1/shifts/start")
    assert advisor.user is not None

    response = manager.post(f"/api/v1/shifts/end?user_id={advisor.user.id}")

    assert response.status_code == 200
    assert advisor.get("/api/v1/shifts/me").get_json() == {"on_shift": False, "shift": None}
