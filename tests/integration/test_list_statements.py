"""The lists an advisor or manager waits on send as many statements for 12 rows as for 2: reading them is audited and
committed, and nothing shown is loaded again row by row afterwards (no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.callbacks import booking
from caseapp.extensions import db
from caseapp.timeutil import now_utc
from tests import factories
from tests.statements import counted_queries

PAGES = ["/cases/", "/callbacks/", "/callbacks/all", "/"]


@pytest.mark.parametrize("path", PAGES)
def test_a_list_page_takes_the_same_statements_for_2_rows_as_for_12(
    client: FlaskClient, login_as: Callable[..., User], path: str
) -> None:
    me = login_as(Role.MANAGER)
    factories.make_shift(me)
    advisor = factories.make_user(role=Role.ADVISOR)

    def statements_for(rows: int) -> int:
        for i in range(rows - made[0]):
            caller = factories.make_caller(consent_callback=True, name=f"Caller {made[0] + i}")
            case = factories.make_case(caller, assigned_advisor_id=advisor.id)
            due_at = now_utc() + timedelta(minutes=30 + i)
            booking.book_callback(case, due_at=due_at, actor=me, assignee_id=me.id)
        made[0] = rows
        db.session.commit()
        assert client.get(path).status_code == 200  # the session's own first-request bookkeeping is no part of it
        with counted_queries() as seen:
            assert client.get(path).status_code == 200
        return len(seen)

    made = [0]
    assert statements_for(2) == statements_for(12)


@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/callbacks"])
def test_an_api_list_takes_the_same_statements_for_2_rows_as_for_12(client: FlaskClient, path: str) -> None:
    manager = factories.make_user(role=Role.MANAGER)
    _, token = factories.make_token(manager)
    headers = {"Authorization": f"Bearer {token}"}

    def statements_for(rows: int) -> int:
        for i in range(rows - made[0]):
            case = factories.make_case(factories.make_caller(consent_callback=True, name=f"Caller {made[0] + i}"))
            booking.book_callback(case, due_at=now_utc() + timedelta(minutes=30 + i), actor=manager)
        made[0] = rows
        db.session.commit()
        assert client.get(path, headers=headers).status_code == 200
        with counted_queries() as seen:
            response = client.get(path, headers=headers)
        assert len(response.get_json()["items"]) == rows
        return len(seen)

    made = [0]
    assert statements_for(2) == statements_for(12)
