"""Reading the encrypted columns as stored (tokens, not text): what rotate-key works through."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from caseapp.extensions import db


def raw_table(name: str, columns: Sequence[str]) -> sa.TableClause:
    """A lightweight table with untyped columns: values go in and out as the database holds them (no decryption,
    and none of the models' onupdate defaults)."""
    return sa.table(name, sa.column("id"), *(sa.column(column) for column in columns))


def count_rows(table: sa.TableClause) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def lock_batch(table: sa.TableClause, after_id: int, size: int) -> list[sa.Row[tuple[object, ...]]]:
    """The next `size` rows after `after_id` in id order, locked until the transaction ends (PostgreSQL; SQLite locks
    the file for the write), so a change the app makes meanwhile waits and is not overwritten."""
    stmt = sa.select(table).where(table.c.id > after_id).order_by(table.c.id).limit(size).with_for_update()
    return list(db.session.execute(stmt).all())
