"""Handovers raced for real: two advisors accepting one handover to the pool at the same moment, and a receiver
accepting at the moment the clock returns their handover to the pool. Like tests/integration/calls/test_race.py these
run on a database of their own with real commits, each request in its own thread, connection and transaction.

How the overlap is made to happen every time: in the first, a pause after the unlocked read of the handover puts both
requests past it before either takes the callback's lock; the second then waits in the database and reads the
handover afresh once the first has committed. In the second, the receiver's request holds the callback's lock while
the clock runs (it waits for the clock to finish), so the clock's SKIP LOCKED passes the callback by. The controls
take the locks away and show what they give: the loser told who won, and no receiver told "accepted" while the
callback went to the pool.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from caseapp.auth.models import Role, User
from caseapp.callbacks import due, handover, queries
from caseapp.callbacks.models import Callback, Handover
from caseapp.extensions import db
from caseapp.reference import HandoverStatus
from caseapp.timeutil import now_utc
from tests import factories

PAUSE = 0.25


def _seed(app: Flask, *, to_pool: bool) -> tuple[int, int, list[str]]:
    """A giver who clocked off handing one callback over (to the pool, or to the first of two advisors on shift),
    committed: (handover id, callback id, the two advisors' tokens)."""
    with app.app_context():
        giver = factories.make_shift(factories.make_user(role=Role.ADVISOR)).user
        advisors = [factories.make_shift(factories.make_user(role=Role.ADVISOR)).user for _ in range(2)]
        callback = factories.make_callback(actor=giver, assignee_id=giver.id, due_at=now_utc() + timedelta(hours=2))
        to = None if to_pool else advisors[0].id
        (made,) = handover.clock_off(actor=giver, handovers=[handover.HandoverRequest(callback.id, to)]).handovers
        tokens = [factories.make_token(user)[1] for user in advisors]
        db.session.commit()
        ids = made.id, callback.id
        db.session.remove()
    return ids[0], ids[1], tokens


def _state(app: Flask, handover_id: int) -> tuple[HandoverStatus, int | None, int | None]:
    """(the handover's status, who accepted it, who holds its callback), read afresh."""
    with app.app_context():
        row = db.session.get_one(Handover, handover_id)
        result = row.status, row.accepted_by_id, db.session.get_one(Callback, row.callback_id).assignee_id
        db.session.remove()
    return result


def _accept(app: Flask, token: str, handover_id: int, results: list[Any], index: int, start: Any) -> None:
    client = app.test_client()
    with app.app_context():
        start()
        try:
            response = client.post(
                f"/api/v1/handovers/{handover_id}/accept", headers={"Authorization": f"Bearer {token}"}
            )
            results[index] = (response.status_code, response.get_json())
        except Exception as exc:  # noqa: BLE001 - TESTING propagates a 500; record it as one
            results[index] = (500, {"exception": repr(exc)})
        finally:
            db.session.remove()


def _run(*targets: threading.Thread) -> None:
    for thread in targets:
        thread.start()
    for thread in targets:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in targets), "a request never finished (deadlock?)"


def _user_id(app: Flask, token: str) -> int:
    from caseapp.auth.services import resolve_token

    with app.app_context():
        user = resolve_token(token)
        assert isinstance(user, User)
        db.session.commit()
        user_id = user.id
        db.session.remove()
    return user_id


# --- two receivers, one handover to the pool --------------------------------------------------------------------


def _accept_together(race_app: Flask, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """Two advisors accept one handover to the pool at once: (its id, the 200's body, the 409's body)."""
    handover_id, _, tokens = _seed(race_app, to_pool=True)
    real = queries.get_handover

    def slow(handover_id: int) -> Handover:
        found = real(handover_id)
        time.sleep(PAUSE)  # both requests read "offered" before either locks the callback
        return found

    monkeypatch.setattr(queries, "get_handover", slow)
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    _run(
        *(
            threading.Thread(target=_accept, args=(race_app, tokens[i], handover_id, results, i, barrier.wait))
            for i in range(2)
        )
    )

    assert sorted(status for status, _ in results) == [200, 409], results
    [(_, won)] = [r for r in results if r[0] == 200]
    [(_, lost)] = [r for r in results if r[0] == 409]
    return handover_id, won, lost


def test_two_advisors_accepting_one_handover_to_the_pool_at_once_one_gets_it_the_other_409(
    race_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    handover_id, won, lost = _accept_together(race_app, monkeypatch)

    assert lost["error"]["message"].startswith("This handover was already accepted by ")
    assert lost["error"]["handover_status"] == "accepted"
    winner = won["accepted_by_id"]
    assert _state(race_app, handover_id) == (HandoverStatus.ACCEPTED, winner, winner)


def test_without_the_locks_the_second_advisor_is_told_only_that_something_changed(
    race_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: without lock_callback and lock_handover both read "offered" and both claim; the callback's
    version column still refuses the second write, but the loser cannot be told who has the callback."""
    monkeypatch.setattr(queries, "lock_callback", queries.get_callback)
    monkeypatch.setattr(queries, "lock_handover", queries.get_handover)

    _, _, lost = _accept_together(race_app, monkeypatch)

    assert lost["error"]["message"] == "Someone else changed this record at the same time. Reload and try again."
    assert "handover_status" not in lost["error"]


# --- the receiver and the clock ------------------------------------------------------------------------------------


def _accept_while_the_clock_runs(race_app: Flask, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[int], int]:
    """The receiver accepts; once it has read the handover (under the callback's lock, unless a control took the
    locks away) the clock runs at the handover's deadline and commits, and only then does the accept go on.
    Returns (the accept's answer, the callbacks the clock returned, the handover id)."""
    handover_id, _, tokens = _seed(race_app, to_pool=False)
    with race_app.app_context():
        deadline = db.session.get_one(Handover, handover_id).created_at + timedelta(minutes=15)
        db.session.remove()
    read, clock_done = threading.Event(), threading.Event()
    real = queries.lock_handover

    def then_wait_for_the_clock(handover_id: int) -> Handover:
        found = real(handover_id)
        read.set()
        assert clock_done.wait(timeout=10), "the clock never finished"
        return found

    monkeypatch.setattr(queries, "lock_handover", then_wait_for_the_clock)
    results: list[Any] = [None]
    returned: list[int] = []

    def clock() -> None:
        with race_app.app_context():
            assert read.wait(timeout=10), "the accept never read the handover"
            try:
                returned.extend(due.run_clocks(now=deadline).returned)
                db.session.commit()
            finally:
                db.session.remove()
                clock_done.set()

    _run(
        threading.Thread(target=_accept, args=(race_app, tokens[0], handover_id, results, 0, lambda: None)),
        threading.Thread(target=clock),
    )
    return results[0], returned, handover_id


def test_a_receiver_accepting_as_the_clock_runs_keeps_the_callback_and_the_clock_passes_it_by(
    race_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    (status, body), returned, handover_id = _accept_while_the_clock_runs(race_app, monkeypatch)

    assert status == 200, body
    assert returned == []  # SKIP LOCKED: the accept held the callback
    receiver = body["accepted_by_id"]
    assert _state(race_app, handover_id) == (HandoverStatus.ACCEPTED, receiver, receiver)
    with race_app.app_context():
        assert due.run_clocks(now=now_utc() + timedelta(hours=1)).returned == []  # accepted: never returned
        db.session.rollback()
        db.session.remove()


def test_without_the_locks_the_receiver_is_told_accepted_while_the_callback_goes_to_the_pool(
    race_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: reads without FOR UPDATE instead of lock_callback and lock_handover."""
    monkeypatch.setattr(queries, "lock_callback", queries.get_callback)
    monkeypatch.setattr(queries, "lock_handover", queries.get_handover)

    (status, body), returned, handover_id = _accept_while_the_clock_runs(race_app, monkeypatch)

    assert status == 200  # the receiver is told it is theirs …
    assert len(returned) == 1  # … but the clock, finding the callback unlocked, returned it meanwhile
    assert _state(race_app, handover_id) == (HandoverStatus.RETURNED, None, None)


def test_the_seeded_handover_is_offered_to_the_first_advisor(race_app: Flask) -> None:
    handover_id, callback_id, tokens = _seed(race_app, to_pool=False)
    receiver = _user_id(race_app, tokens[0])

    assert _state(race_app, handover_id) == (HandoverStatus.OFFERED, None, receiver)
    with race_app.app_context():
        offered = db.session.scalar(sa.select(Handover.to_user_id).where(Handover.callback_id == callback_id))
        db.session.remove()
    assert offered == receiver
