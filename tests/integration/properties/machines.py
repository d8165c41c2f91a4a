"""What the state machines share: each example in a rolled-back transaction of its own, and each step run the way a
view or API endpoint runs a service (a domain error rolls back everything the step did)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from caseapp.audit.models import AuditEvent
from caseapp.errors import AppError
from caseapp.extensions import db
from tests.conftest import rolled_back_session

T = TypeVar("T")


class Refused:
    """What a step gave back when the service refused it with a domain error."""

    def __init__(self, error: AppError) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"Refused({type(self.error).__name__}: {self.error.message})"


class TransactionPerExample(RuleBasedStateMachine):
    """A state machine whose example runs in its own rolled-back transaction on the migrated PostgreSQL."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self._stack = ExitStack()
        self._stack.enter_context(rolled_back_session(app))

    def teardown(self) -> None:
        self._stack.close()

    @staticmethod
    def as_edge(step: Callable[[], T]) -> T | Refused:
        """Run one service call as the edge does: all of it, or (on a domain error) none of it."""
        savepoint = db.session.begin_nested()
        try:
            result = step()
        except AppError as error:
            savepoint.rollback()
            return Refused(error)
        savepoint.commit()
        db.session.expire_all()  # what the next step reads comes from the database
        return result


def audit_actions(entity_type: str, entity_id: int) -> list[tuple[str, dict[str, Any]]]:
    query = (
        sa.select(AuditEvent.action, AuditEvent.detail)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.id)
    )
    return [(action, detail) for action, detail in db.session.execute(query)]


M = TypeVar("M", bound=TransactionPerExample)


@contextmanager
def replaying(machine: M) -> Iterator[M]:
    """A machine to drive step by step (a failing example Hypothesis found, kept as a test), torn down after."""
    try:
        yield machine
    finally:
        machine.teardown()


def run_machine(factory: Callable[[], RuleBasedStateMachine], with_settings: settings) -> None:
    """Run a state machine made by `factory` (a closure over the session's app) as a test."""
    run_state_machine_as_test(factory, settings=with_settings)  # type: ignore[arg-type]  # the stub says a class
