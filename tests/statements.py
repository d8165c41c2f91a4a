"""Counting the SQL statements a piece of code sends (for tests that hold a page to a constant number as rows grow:
no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from caseapp.extensions import db


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """The statements sent on the app's engine inside the block."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
