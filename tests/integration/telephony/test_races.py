"""Missed calls from one number at the same moment, on connections that really commit: still one callback (the
caller's row serialises them), and every call is recorded and joined to it. The window between "is there an open
callback for this number?" and booking one is held open by a pause; the control swaps in the naive logic (no row
lock) and shows two callbacks, so the tests above it prove something. The database is the module's own
(race_app)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from caseapp.callbacks.models import Callback
from caseapp.callers import queries as caller_queries
from caseapp.callers import services as caller_services
from caseapp.extensions import db
from caseapp.telephony import queries as telephony_queries
from caseapp.telephony.models import TelephonyCall
from tests import factories
from tests.telephony_support import SETTINGS, event, post_event

PAUSE = 0.25


@pytest.fixture
def app(race_app: Flask) -> Iterator[Flask]:
    saved = {name: race_app.config.get(name) for name in SETTINGS}
    race_app.config.update(SETTINGS)
    yield race_app
    race_app.config.update(saved)


def _widen(monkeypatch: pytest.MonkeyPatch) -> None:
    real = telephony_queries.find_open_missed_call_callback

    def slow(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        time.sleep(PAUSE)
        return result

    monkeypatch.setattr(telephony_queries, "find_open_missed_call_callback", slow)


def _meet(monkeypatch: pytest.MonkeyPatch, parties: int) -> None:
    """For the control: each request waits after the lookup until all have looked (nothing blocks them there)."""
    real = telephony_queries.find_open_missed_call_callback
    barrier = threading.Barrier(parties)

    def together(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        barrier.wait(timeout=10)
        return result

    monkeypatch.setattr(telephony_queries, "find_open_missed_call_callback", together)


def _ring_together(app: Flask, number: str, prefix: str, count: int) -> list[int]:
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def ring(n: int) -> None:
        client = app.test_client()
        with app.app_context():
            barrier.wait(timeout=10)
            try:
                statuses.append(post_event(client, event("missed", f"{prefix}-{n}", **{"from": number})).status_code)
            except Exception:  # noqa: BLE001 - TESTING propagates a 500; record it as one
                statuses.append(500)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=ring, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a request never finished (deadlock?)"
    return statuses


def _outcome(app: Flask, number: str) -> tuple[int, set[int | None]]:
    """(callbacks made for the number, the callback ids its calls point to)."""
    with app.app_context():
        calls = list(db.session.scalars(sa.select(TelephonyCall).where(TelephonyCall.from_e164 == number)))
        ids = {call.callback_id for call in calls}
        made = db.session.scalar(sa.select(sa.func.count()).where(Callback.id.in_([i for i in ids if i])))
        db.session.remove()
    return int(made or 0), ids


def _known_caller(app: Flask, number: str) -> None:
    with app.app_context():
        factories.make_caller(phone=number)
        db.session.commit()
        db.session.remove()


def test_missed_calls_at_once_from_a_new_number_make_one_callback(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    _widen(monkeypatch)

    statuses = _ring_together(app, "+447911123499", "new", 4)

    assert statuses == [200, 200, 200, 200]
    made, ids = _outcome(app, "+447911123499")
    assert made == 1
    assert len(ids) == 1
    assert None not in ids


def test_missed_calls_at_once_from_a_known_caller_make_one_callback(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    _known_caller(app, "+447911123498")
    _widen(monkeypatch)

    statuses = _ring_together(app, "+447911123498", "known", 3)

    assert statuses == [200, 200, 200]
    assert _outcome(app, "+447911123498")[0] == 1


# --- control: without the caller's row lock, the same race makes two callbacks ---------------------------------


def test_missed_calls_at_once_make_two_callbacks_when_the_row_lock_is_removed(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    _known_caller(app, "+447911123497")
    monkeypatch.setattr(caller_queries, "lock_caller_by_phone", caller_queries.find_caller_by_phone)
    monkeypatch.setattr(caller_services, "_upsert_locking", caller_services._insert_then_lock)
    _meet(monkeypatch, 2)

    statuses = _ring_together(app, "+447911123497", "naive", 2)

    assert statuses == [200, 200]
    made, ids = _outcome(app, "+447911123497")
    assert made == 2  # the duplicate the lock prevents
    assert len(ids) == 2
