"""The audit events of a transaction are written together as it commits, and go with it when it rolls back."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from caseapp.audit.models import AuditEvent
from caseapp.audit.services import record_event
from caseapp.extensions import db
from tests import factories
from tests.statements import counted_queries


def _actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_transactions_events_are_written_in_one_insert_as_it_commits(db_session: Any) -> None:
    actor_id = factories.make_user().id
    db.session.commit()

    with counted_queries() as seen:
        for action in ("test.one", "test.two", "test.three"):
            record_event(action, actor_id=actor_id)
        assert seen == []  # nothing is sent until the commit
        db.session.commit()

    assert sum(s.startswith("INSERT INTO audit_events") for s in seen) == 1
    assert _actions()[-3:] == ["test.one", "test.two", "test.three"]


def test_a_rollback_discards_the_events_with_the_rest_of_the_transaction(db_session: Any) -> None:
    actor = factories.make_user()
    db.session.commit()
    before = _actions()

    record_event("test.rolled_back", actor_id=actor.id)
    db.session.rollback()
    record_event("test.kept", actor_id=actor.id)
    db.session.commit()

    assert _actions() == [*before, "test.kept"]
