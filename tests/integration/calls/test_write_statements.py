"""Logging a call sends one statement per row it writes: the caller in one upsert that also locks it (after one
indexed lookup of the number among callers' other numbers), the audit rows of the request in one INSERT, and nothing
after the commit (the response is built from the rows already loaded)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.auth.models import Role
from caseapp.callers.models import Caller, NumberKind
from caseapp.callers.numbers import add_number
from caseapp.extensions import db
from caseapp.timeutil import now_utc
from tests import factories
from tests.statements import counted_queries


def _post(client: FlaskClient, token: str, phone: str) -> list[str]:
    """The statements of one POST /api/v1/calls (201), the savepoint bookkeeping of the test's session left out but
    the commit kept as COMMIT; a rollback at the request's teardown (which would also empty psycopg's cache of prepared
    statements) counted as ROLLBACK."""
    rollbacks: list[str] = []

    def rolled_back(*_: Any) -> None:
        rollbacks.append("ROLLBACK")

    for name in ("rollback", "rollback_savepoint"):
        sa.event.listen(db.engine, name, rolled_back)
    try:
        with counted_queries() as seen:
            response = client.post(
                "/api/v1/calls",
                json={"phone": phone, "caller_name": "Sam", "reason": "Asked about detox"},
                headers={"Authorization": f"Bearer {token}"},
            )
    finally:
        for name in ("rollback", "rollback_savepoint"):
            sa.event.remove(db.engine, name, rolled_back)
    assert response.status_code == 201, response.get_json()
    statements = ["COMMIT" if s.startswith("RELEASE SAVEPOINT") else s for s in seen if not s.startswith("SAVEPOINT")]
    return statements + rollbacks


def _verbs(statements: list[str]) -> list[str]:
    return [" ".join(s.split()[:3]) for s in statements]


@pytest.fixture
def advisor_token(db_session: object) -> str:
    advisor = factories.make_user(role=Role.ADVISOR)
    api_token, token = factories.make_token(advisor)
    api_token.last_used_at = now_utc()  # its first use notes the time once: not part of logging a call
    db.session.commit()
    return token


def test_a_new_callers_first_call_writes_each_row_once_and_reads_nothing_back(
    client: FlaskClient, advisor_token: str
) -> None:
    statements = _post(client, advisor_token, factories.unique_phone())

    assert _verbs(statements) == [
        "SELECT api_tokens.id, api_tokens.user_id,",  # who is asking
        "SELECT caller_numbers.caller_id FROM",  # is it one of a caller's other numbers?
        "INSERT INTO callers",  # the upsert that also locks the caller
        "INSERT INTO cases",
        "UPDATE callers SET",  # the name given
        "INSERT INTO calls",
        "INSERT INTO audit_events",  # every event of the request
        "COMMIT",
    ]
    upsert = statements[2]
    assert "ON CONFLICT (phone_e164) DO UPDATE" in upsert
    assert "RETURNING" in upsert


def test_a_repeat_callers_call_finds_the_open_case_and_reads_nothing_back(
    client: FlaskClient, advisor_token: str
) -> None:
    phone = factories.unique_phone()
    _post(client, advisor_token, phone)

    statements = _post(client, advisor_token, phone)

    assert _verbs(statements) == [
        "SELECT api_tokens.id, api_tokens.user_id,",
        "SELECT caller_numbers.caller_id FROM",
        "INSERT INTO callers",  # the same upsert finds (and locks) the caller
        "SELECT cases.id, cases.reference_year,",  # the open case
        "INSERT INTO calls",
        "UPDATE cases SET",  # the case's last contact
        "INSERT INTO audit_events",
        "COMMIT",
    ]


def test_the_upsert_tells_a_new_caller_from_a_known_one(client: FlaskClient, advisor_token: str) -> None:
    phone = factories.unique_phone()
    headers = {"Authorization": f"Bearer {advisor_token}"}

    first = client.post("/api/v1/calls", json={"phone": phone}, headers=headers).get_json()
    second = client.post("/api/v1/calls", json={"phone": phone}, headers=headers).get_json()

    assert (first["created_caller"], first["created_case"]) == (True, True)
    assert (second["created_caller"], second["created_case"]) == (False, False)
    assert (second["caller_id"], second["case_id"]) == (first["caller_id"], first["case_id"])
    assert db.session.query(Caller).filter_by(id=first["caller_id"]).one().name is None


def test_a_call_from_an_other_number_locks_its_caller_without_the_upsert(
    client: FlaskClient, advisor_token: str
) -> None:
    caller = factories.make_caller()
    factories.make_case(caller)
    other = factories.unique_phone()
    add_number(caller, phone=other, kind=NumberKind.MOBILE, actor=factories.make_user())
    db.session.commit()

    statements = _post(client, advisor_token, other)

    assert _verbs(statements)[1:3] == ["SELECT caller_numbers.caller_id FROM", "SELECT callers.id, callers.phone_e164,"]
    assert "FOR UPDATE" in statements[2]
    assert not any(s.startswith("INSERT INTO callers") for s in statements)
