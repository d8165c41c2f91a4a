"""The audit rows of a transaction, held until it commits and then written in one INSERT.

A request records several events (a caller created, a case opened, a call logged); each used to be its own INSERT.
They are kept on the session instead and written just before the commit; a query of the trail in the same
transaction writes them first, so it sees them. A rollback discards them with the rest of the transaction's work, a
savepoint's rollback the ones recorded inside it."""

from __future__ import annotations

from functools import cache
from itertools import count
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from caseapp.audit.models import AuditEvent

#: session.info keys: [(sequence number, row)] not yet written; {savepoint: first sequence number inside it}
_ROWS = "caseapp.audit.pending"
_SAVEPOINTS = "caseapp.audit.savepoints"
_sequence = count()


def add(session: Session, row: dict[str, Any]) -> None:
    session.info.setdefault(_ROWS, []).append((next(_sequence), row))


def write(session: Session) -> None:
    """Before a commit (or a savepoint's release): the pending rows in one statement."""
    pending = session.info.pop(_ROWS, None)
    if not pending:
        return
    session.connection().execute(_audit_insert(), [row for _, row in pending])


@cache
def _audit_insert() -> sa.Insert:
    return sa.insert(cast(sa.Table, AuditEvent.__table__))


def _before_reading(state: ORMExecuteState) -> None:
    if state.is_select and state.session.info.get(_ROWS) and _reads_the_trail(state):
        write(state.session)


def _reads_the_trail(state: ORMExecuteState) -> bool:
    if any(mapper.class_ is AuditEvent for mapper in state.all_mappers):
        return True
    froms = getattr(state.statement, "get_final_froms", None)
    return froms is not None and AuditEvent.__table__ in froms()


def _savepoint_begun(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(_SAVEPOINTS, {})[transaction] = next(_sequence)


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_ROWS, None)
        session.info.pop(_SAVEPOINTS, None)
        return
    first = session.info.get(_SAVEPOINTS, {}).pop(transaction, None)
    if transaction.nested and first is not None and session.info.get(_ROWS):
        # a released savepoint has written its rows (write() ran first): any left were rolled back with it
        session.info[_ROWS] = [(number, row) for number, row in session.info[_ROWS] if number < first]


def listen(session_class: type[Session]) -> None:
    """In every session of `session_class` (Flask-SQLAlchemy's, and the tests' subclass of it); once per process,
    however many apps are made."""
    for name, listener in (
        ("before_commit", write),
        ("do_orm_execute", _before_reading),
        ("after_transaction_create", _savepoint_begun),
        ("after_transaction_end", _transaction_ended),
    ):
        if not sa.event.contains(session_class, name, listener):
            sa.event.listen(session_class, name, listener)
