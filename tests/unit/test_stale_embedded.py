"""The stale cases in embedded mode (`make run`): the same rule on SQLite built by `upgrade head` (its two-argument
UPDATEs, the expression index, ON CONFLICT), the bulk seed's contacts, and the daily notice once per day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
import time_machine
from flask import Flask

from caseapp.auth.models import Role
from caseapp.callbacks import workflow
from caseapp.cases import stale
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import AttemptOutcome, Direction
from caseapp.reports.seed import SeedPlan, seed
from tests import factories

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)


def _listed() -> list[int]:
    return [c.id for c in db.session.scalars(stale.select_stale_cases(14, NOW))]


def test_the_rule_holds_on_sqlite(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        advisor = factories.make_user(role=Role.ADVISOR)
        manager = factories.make_user(role=Role.MANAGER)
        opened = NOW - timedelta(days=40)
        reached_long_ago, reached_lately, failed = (
            factories.make_case(factories.make_caller(consent_callback=True), created_at=opened) for _ in range(3)
        )
        never = factories.make_case(created_at=opened - timedelta(days=1))
        factories.make_call(reached_long_ago, actor=advisor, started_at=NOW - timedelta(days=20))
        factories.make_call(reached_lately, actor=advisor, started_at=NOW - timedelta(days=3))
        factories.make_call(failed, actor=advisor, started_at=NOW - timedelta(days=30))
        ringing = factories.make_call(
            failed, actor=advisor, started_at=NOW - timedelta(days=2), direction=Direction.OUTBOUND
        )
        with time_machine.travel(NOW - timedelta(days=2, hours=1), tick=False):
            callback = factories.make_callback(failed, actor=advisor, due_at=NOW - timedelta(days=2))
        with time_machine.travel(NOW - timedelta(days=2), tick=False):
            workflow.record_attempt(callback.id, outcome=AttemptOutcome.WRONG_NUMBER, actor=advisor, call_id=ringing.id)
        db.session.commit()

        assert _listed() == [never.id, failed.id, reached_long_ago.id]
        assert stale.count_stale_cases(14, NOW) == 3
        assert db.session.get(Case, failed.id).last_contact_at == NOW - timedelta(days=30)  # type: ignore[union-attr]
        items, cursor = stale.stale_after(14, NOW, cursor=None, limit=2)
        rest, end = stale.stale_after(14, NOW, cursor=cursor, limit=2)
        assert [i.id for i in items + rest] == _listed()
        assert end is None

        first = stale.notify_managers(NOW)
        again = stale.notify_managers(NOW + timedelta(hours=2))
        db.session.commit()
        assert first is not None
        assert (first.local_date, first.case_count) == (date(2026, 6, 15), 3)
        assert again is None
        assert manager.id in {n for (n,) in db.session.execute(sa.text("SELECT user_id FROM notifications"))}


def test_the_bulk_seed_fills_each_case_s_last_contact(sqlite_app: Flask) -> None:
    with sqlite_app.app_context(), time_machine.travel(NOW, tick=False):
        seed(SeedPlan(calls=300, days=30, seed=4, end=date(2026, 6, 14)))
        db.session.commit()
        ids = list(db.session.scalars(sa.select(Case.id)))
        kept = dict(db.session.execute(sa.select(Case.id, Case.last_contact_at)).all())

        assert kept == {case_id: stale.last_contact_of(case_id) for case_id in ids}
        assert sum(value is not None for value in kept.values()) > len(ids) / 2
