"""Two advisors adding the same number to two callers at the same moment: one gets it, the other a 409 (never a 500
and never two owners); two managers merging a pair each way at once: one merge and a 409. Like
tests/integration/calls/test_race.py, on a database of its own with real commits; a pause after the check holds the
race open, and the control without the number lock shows that it matters."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from caseapp.auth.models import Role
from caseapp.callers import queries as caller_queries
from caseapp.callers.models import Caller, CallerNumber
from caseapp.extensions import db
from tests import factories
from tests.integration.calls.test_race import _meet, _widen


@pytest.fixture(scope="module")
def tokens(race_app: Flask) -> list[str]:
    with race_app.app_context():
        plain = [factories.make_token(factories.make_user())[1] for _ in range(2)]
        db.session.commit()
        db.session.remove()
        return plain


def _two_callers(app: Flask) -> list[int]:
    with app.app_context():
        ids = [factories.make_caller().id for _ in range(2)]
        db.session.commit()
        db.session.remove()
        return ids


def _owners(app: Flask, e164: str) -> list[int]:
    with app.app_context():
        owners = list(db.session.scalars(sa.select(CallerNumber.caller_id).where(CallerNumber.phone_e164 == e164)))
        db.session.remove()
        return owners


def _race(app: Flask, tokens: list[str], phone: str) -> tuple[list[int], list[tuple[int, Any]]]:
    """Each advisor adds `phone` to their own caller, released together."""
    ids = _two_callers(app)
    barrier = threading.Barrier(2)
    results: list[tuple[int, Any]] = [(0, {})] * 2

    def advisor(index: int) -> None:
        client = app.test_client()
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                response = client.post(
                    f"/api/v1/callers/{ids[index]}/numbers",
                    json={"phone": phone, "kind": "mobile"},
                    headers={"Authorization": f"Bearer {tokens[index]}"},
                )
                results[index] = (response.status_code, response.get_json())
            except Exception as exc:  # noqa: BLE001 - TESTING propagates a 500; record it as one
                results[index] = (500, {"exception": repr(exc)})
            finally:
                db.session.remove()

    threads = [threading.Thread(target=advisor, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a request never finished (deadlock?)"
    return ids, results


def test_two_advisors_adding_one_number_to_two_callers_give_one_owner_and_one_409(
    race_app: Flask, tokens: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _widen(monkeypatch, caller_queries, "find_other_number_owner")

    ids, results = _race(race_app, tokens, "07400 300777")

    assert sorted(status for status, _ in results) == [201, 409], results
    [owner] = _owners(race_app, "+447400300777")
    assert owner in ids


def test_without_the_lock_the_same_race_fails_with_a_database_error(
    race_app: Flask, tokens: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(caller_queries, "lock_number", lambda e164: None)
    _meet(monkeypatch, caller_queries, "find_other_number_owner")

    _ids, results = _race(race_app, tokens, "07400 300778")

    assert sorted(status for status, _ in results) == [201, 500], results  # the unique index saved the data
    assert len(_owners(race_app, "+447400300778")) == 1


@pytest.fixture(scope="module")
def manager_tokens(race_app: Flask) -> list[str]:
    with race_app.app_context():
        plain = [factories.make_token(factories.make_user(role=Role.MANAGER))[1] for _ in range(2)]
        db.session.commit()
        db.session.remove()
        return plain


def test_two_managers_merging_a_pair_each_way_at_once_give_one_merge_and_one_409(
    race_app: Flask, manager_tokens: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _widen(monkeypatch, caller_queries, "lock_callers")
    first, second = _two_callers(race_app)
    barrier = threading.Barrier(2)
    results: list[int] = [0, 0]
    paths = [(first, second), (second, first)]

    def manager(index: int) -> None:
        app_client = race_app.test_client()
        kept, duplicate = paths[index]
        with race_app.app_context():
            barrier.wait(timeout=10)
            try:
                response = app_client.post(
                    f"/api/v1/callers/{kept}/merge",
                    json={"duplicate_id": duplicate},
                    headers={"Authorization": f"Bearer {manager_tokens[index]}"},
                )
                results[index] = response.status_code
            except Exception:  # noqa: BLE001 - TESTING propagates a 500; record it as one
                results[index] = 500
            finally:
                db.session.remove()

    threads = [threading.Thread(target=manager, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a merge never finished (deadlock?)"

    assert sorted(results) == [201, 409], results
    with race_app.app_context():
        merged = db.session.scalars(sa.select(Caller.id).where(Caller.merged_into_id.is_not(None))).all()
        db.session.remove()
    assert len(merged) == 1
