"""Concurrent writers: two first calls from one number at the same moment must land on one caller and one open case;
two corrections of one assessment revision give one revision 2; two PATCHes of one case version give one 409 that
says the current version.

These tests cannot use the rollback-per-test session: the requests must run in separate transactions on separate
connections, as two advisors' browsers would, and see each other's commits. So they run against a database of their
own (built by `upgrade head`, dropped afterwards), with real commits, each advisor with their own token.

How the race is made to happen every time rather than by luck: both threads wait at a Barrier and send together, and
a short pause is added *after* the real read that the decision rests on (find-or-create, the open-case lookup, the
superseded check, the case read: `_widen`). With the production logic the second request is blocked inside the
database (INSERT ... ON CONFLICT waits for the first request's uncommitted row; DO UPDATE locks the row it returns,
so the second upsert waits for that lock) until the first commits, and then sees what it wrote. Without that logic
both requests are inside the pause together, both see "no caller" / "no open case" / "not corrected yet", and both
write. The controls (`..._when_..._removed`) prove it: they swap in the naive logic and assert that it does go wrong
in exactly that way, so a green race test means the locking works, not that the threads happened to take turns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from caseapp.assessments import queries as assessment_queries
from caseapp.assessments.models import Assessment
from caseapp.callers import queries as caller_queries
from caseapp.callers import services as caller_services
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.cases import queries as case_queries
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason
from tests import factories

PAUSE = 0.25


@pytest.fixture(scope="module")
def tokens(race_app: Flask) -> list[str]:
    """Two advisors' API tokens. One each, as in real life: a shared token would serialise the requests by itself
    (both would update its last_used_at row) and hide the race."""
    with race_app.app_context():
        plain = [factories.make_token(factories.make_user())[1] for _ in range(2)]
        db.session.commit()
        db.session.remove()
        return plain


def _widen(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
    """Run the real function, then pause: holds the race window open for the other request."""
    real = getattr(module, name)

    def slow(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        time.sleep(PAUSE)
        return result

    monkeypatch.setattr(module, name, slow)


def _meet(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
    """Run the real function, then wait for the other request to have run it too (for the controls: with the naive
    logic nothing blocks, so both get here, and the overlap no longer depends on timing; with the real logic this
    would wait for ever, as the second request is held in the database)."""
    real = getattr(module, name)
    barrier = threading.Barrier(2)

    def together(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        barrier.wait(timeout=10)
        return result

    monkeypatch.setattr(module, name, together)


def _post_together(
    app: Flask, tokens: list[str], payloads: list[dict[str, Any]], path: str = "/api/v1/calls", method: str = "POST"
) -> list[tuple[int, dict[str, Any]]]:
    """POST each payload to `path` as its own advisor, from its own thread, client and app context, released by one
    Barrier."""
    barrier = threading.Barrier(len(payloads))
    results: list[tuple[int, dict[str, Any]]] = [(0, {})] * len(payloads)

    def advisor(index: int) -> None:
        client = app.test_client()
        with app.app_context():  # each thread its own app context, so its own session and connection
            barrier.wait(timeout=10)
            try:
                response = client.open(
                    path, method=method, json=payloads[index], headers={"Authorization": f"Bearer {tokens[index]}"}
                )
                results[index] = (response.status_code, response.get_json())
            except Exception as exc:  # noqa: BLE001 - TESTING propagates a 500; record it as one
                results[index] = (500, {"exception": repr(exc)})
            finally:
                db.session.remove()

    threads = [threading.Thread(target=advisor, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a request never finished (deadlock?)"
    return results


def _state(app: Flask, e164: str) -> tuple[list[int], list[int]]:
    """(ids of callers with this number, ids of their open cases), read from a fresh session."""
    with app.app_context():
        callers = list(db.session.scalars(sa.select(Caller.id).where(Caller.phone_e164 == e164)))
        open_cases = list(
            db.session.scalars(sa.select(Case.id).where(Case.caller_id.in_(callers), Case.status != CaseStatus.CLOSED))
        )
        db.session.remove()
        return callers, open_cases


@pytest.fixture
def widened(monkeypatch: pytest.MonkeyPatch) -> None:
    _widen(monkeypatch, caller_services, "find_or_create_caller")
    _widen(monkeypatch, case_queries, "find_open_case_for_caller")


def test_log_call_race_from_a_new_number_creates_one_caller_and_one_case(
    race_app: Flask, tokens: list[str], widened: None
) -> None:
    results = _post_together(race_app, tokens, [{"phone": "07400 300001"}, {"phone": "+44 7400 300001"}])

    assert [status for status, _ in results] == [201, 201], results
    callers, open_cases = _state(race_app, "+447400300001")
    assert len(callers) == 1
    assert len(open_cases) == 1
    assert {body["caller_id"] for _, body in results} == set(callers)
    assert {body["case_id"] for _, body in results} == set(open_cases)
    assert sorted(body["created_caller"] for _, body in results) == [False, True]
    with race_app.app_context():
        calls = db.session.scalar(sa.select(sa.func.count()).select_from(Call).where(Call.case_id == open_cases[0]))
        db.session.remove()
    assert calls == 2


def test_log_call_race_on_a_known_caller_without_an_open_case_opens_one_case(
    race_app: Flask, tokens: list[str], widened: None
) -> None:
    with race_app.app_context():
        caller = factories.make_caller(phone="07400 300002")
        factories.make_case(caller, status=CaseStatus.CLOSED, close_reason=CloseReason.SIGNPOSTED)
        db.session.commit()
        db.session.remove()

    results = _post_together(race_app, tokens, [{"phone": "07400300002"}, {"phone": "447400300002"}])

    assert [status for status, _ in results] == [201, 201], results
    callers, open_cases = _state(race_app, "+447400300002")
    assert len(callers) == 1
    assert len(open_cases) == 1
    assert sorted(body["created_case"] for _, body in results) == [False, True]


# --- controls: the same races with the naive logic must go wrong, or the tests above prove nothing -----------------


def _naive_insert(monkeypatch: pytest.MonkeyPatch) -> None:
    """Find-then-insert instead of the INSERT ... ON CONFLICT upsert."""
    barrier = threading.Barrier(2)

    def find_or_insert(e164: str) -> tuple[Caller, bool]:
        found = caller_queries.find_caller_by_phone(e164)
        if found is not None:
            return found, False
        barrier.wait(timeout=10)  # both have seen "no caller"
        caller = Caller(phone_e164=e164)
        db.session.add(caller)
        db.session.flush()
        return caller, True

    monkeypatch.setattr(caller_services, "_upsert_locking", find_or_insert)


def _no_row_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """INSERT ... ON CONFLICT DO NOTHING and a plain SELECT instead of the upsert that locks the row it returns."""
    find: Callable[[str], Caller | None] = caller_queries.find_caller_by_phone
    monkeypatch.setattr(caller_queries, "lock_caller_by_phone", find)
    monkeypatch.setattr(caller_services, "_upsert_locking", caller_services._insert_then_lock)


def test_log_call_race_fails_one_request_when_on_conflict_is_removed(
    race_app: Flask, tokens: list[str], widened: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _naive_insert(monkeypatch)

    results = _post_together(race_app, tokens, [{"phone": "07400 300003"}, {"phone": "07400 300003"}])

    # both saw no caller and inserted; the unique index turns the second insert into an error (not one caller)
    assert sorted(status for status, _ in results) == [201, 500], results


def test_log_call_race_opens_two_cases_when_the_row_lock_is_removed(
    race_app: Flask, tokens: list[str], widened: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_row_lock(monkeypatch)
    _meet(monkeypatch, case_queries, "find_open_case_for_caller")
    with race_app.app_context():
        caller = factories.make_caller(phone="07400 300004")
        factories.make_case(caller, status=CaseStatus.CLOSED, close_reason=CloseReason.SIGNPOSTED)
        db.session.commit()
        db.session.remove()

    results = _post_together(race_app, tokens, [{"phone": "07400300004"}, {"phone": "07400300004"}])

    assert [status for status, _ in results] == [201, 201], results
    _, open_cases = _state(race_app, "+447400300004")
    assert len(open_cases) == 2  # the duplicate the FOR UPDATE lock prevents


def _correct_together(
    race_app: Flask, tokens: list[str], monkeypatch: pytest.MonkeyPatch, *, control: bool = False
) -> tuple[list[Any], int]:
    with race_app.app_context():
        case = factories.make_case(assigned_advisor_id=None)  # in the pool: both advisors may work on it
        first = factories.make_assessment(case)
        db.session.commit()
        case_id, first_id = case.id, first.id
        db.session.remove()
    (_meet if control else _widen)(monkeypatch, assessment_queries, "is_superseded")
    answers = factories.assessment_answers(supersedes_id=first_id, risk_level="high")

    results = _post_together(race_app, tokens, [answers, answers], path=f"/api/v1/cases/{case_id}/assessments")
    return results, case_id


def test_record_assessment_race_on_one_revision_lets_one_correction_through(
    race_app: Flask, tokens: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two advisors correct the same revision at once: one gets revision 2, the other 409 (not a 500 from the unique
    index on supersedes_id). The pause after the real is_superseded() check puts both inside the check-then-insert
    window; the row lock (lock_assessment) makes the second wait and then see the first's correction."""
    results, case_id = _correct_together(race_app, tokens, monkeypatch)

    assert sorted(status for status, _ in results) == [201, 409], results
    with race_app.app_context():
        revisions = list(db.session.scalars(sa.select(Assessment.revision).where(Assessment.case_id == case_id)))
        db.session.remove()
    assert sorted(revisions) == [1, 2]


def test_record_assessment_race_fails_one_request_when_the_row_locks_are_removed(
    race_app: Flask, tokens: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(assessment_queries, "lock_assessment", lambda i: db.session.get(Assessment, i))
    monkeypatch.setattr(case_queries, "lock_case", case_queries.get_case)  # the API's lock on the case, too

    results, _ = _correct_together(race_app, tokens, monkeypatch, control=True)

    assert sorted(status for status, _ in results) == [201, 500], results  # the unique index, not a 409


def _patch_together(
    race_app: Flask, tokens: list[str], monkeypatch: pytest.MonkeyPatch, *, control: bool = False
) -> tuple[list[Any], int]:
    with race_app.app_context():
        case = factories.make_case(assigned_advisor_id=None)  # in the pool: both advisors may work on it
        db.session.commit()
        case_id, version = case.id, case.version
        db.session.remove()
    (_meet if control else _widen)(monkeypatch, case_queries, "lock_case")
    payloads = [{"version": version, "risk_level": "high"}, {"version": version, "status": "assessing"}]
    return _post_together(race_app, tokens, payloads, path=f"/api/v1/cases/{case_id}", method="PATCH"), version


def test_patch_case_race_with_one_version_keeps_the_first_and_tells_the_second_the_new_version(
    race_app: Flask, tokens: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    results, version = _patch_together(race_app, tokens, monkeypatch)

    assert sorted(status for status, _ in results) == [200, 409], results
    [conflict] = [body for status, body in results if status == 409]
    assert conflict["error"]["current_version"] == version + 1


def test_patch_case_race_loses_the_current_version_when_the_row_lock_is_removed(
    race_app: Flask, tokens: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_queries, "lock_case", case_queries.get_case)

    results, _ = _patch_together(race_app, tokens, monkeypatch, control=True)

    # still no lost update (the versioned UPDATE matches no row), but the 409 cannot say what the version is now
    assert sorted(status for status, _ in results) == [200, 409], results
    [conflict] = [body for status, body in results if status == 409]
    assert "current_version" not in conflict["error"]
