"""Two missed calls from one number at the same moment, on two connections that really commit: still one callback
(the caller's row serialises them), and every call is recorded and joined to it. The database is the module's own
(race_app), so nothing is cleaned up between tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from caseapp.callbacks.models import Callback
from caseapp.extensions import db
from caseapp.telephony.models import TelephonyCall
from tests.telephony_support import SETTINGS, event, post_event

NUMBER = "+447911123499"


@pytest.fixture
def configured_race_app(race_app: Flask) -> Iterator[Flask]:
    saved = {name: race_app.config.get(name) for name in SETTINGS}
    race_app.config.update(SETTINGS)
    yield race_app
    race_app.config.update(saved)


def test_two_missed_calls_from_one_number_at_once_make_one_callback(configured_race_app: Flask) -> None:
    app = configured_race_app
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def ring(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(post_event(client, event("missed", f"race-{n}", **{"from": NUMBER})).status_code)

    threads = [threading.Thread(target=ring, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    with app.app_context():
        calls = list(db.session.scalars(sa.select(TelephonyCall).where(TelephonyCall.from_e164 == NUMBER)))
        callbacks = db.session.scalar(sa.select(sa.func.count()).select_from(Callback))
        db.session.remove()
    assert statuses == [200, 200, 200, 200]
    assert len(calls) == 4
    assert callbacks == 1
    assert len({call.callback_id for call in calls}) == 1
