"""Re-encrypting every encrypted value with the newest data key (`caseapp rotate-key`), a batch at a time.

Each batch locks its rows, rewrites the tokens made with an older key (MultiFernet.rotate) and leaves those already
made with the newest one, so a run that stopped half-way is finished by running it again, and a second run changes
nothing. The command commits after each batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from caseapp.encryption import queries
from caseapp.encryption.keys import current_keyring
from caseapp.encryption.types import encrypted_columns
from caseapp.extensions import db


class UnreadableValue(Exception):
    """A stored value no key of the ring decrypts (made with a key taken out too soon, or not a token at all)."""

    def __init__(self, table: str, column: str, row_id: int) -> None:
        super().__init__(f"{table}.{column} of row {row_id}")
        self.table, self.column, self.row_id = table, column, row_id


@dataclass
class Batch:
    #: the last row id seen (where the next batch starts); None: the table is done
    last_id: int | None
    rows: int = 0
    #: values re-encrypted with the newest key
    rotated: int = 0


def encrypted_tables() -> dict[str, list[str]]:
    """table → encrypted columns, from the models (EncryptedText/EncryptedJSON columns)."""
    return encrypted_columns(db.metadata)


def rotate_batch(table_name: str, columns: Sequence[str], after_id: int, size: int) -> Batch:
    """Rotate the values of the next `size` rows after `after_id` (flushes; the caller commits)."""
    ring = current_keyring()
    table = queries.raw_table(table_name, columns)
    rows = queries.lock_batch(table, after_id, size)
    if not rows:
        return Batch(last_id=None)
    changes = []
    rotated = 0
    for row in rows:
        values = row._mapping
        new = {}
        for name in columns:
            if values[name] is None:
                continue
            try:
                token = ring.rotate(str(values[name]))
            except InvalidToken:
                raise UnreadableValue(table_name, name, int(row.id)) from None
            if token is not None:
                new[name] = token
        if new:
            rotated += len(new)
            changes.append({"row_id": row.id, **{f"new_{name}": new.get(name, values[name]) for name in columns}})
    if changes:
        update = (
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values({name: sa.bindparam(f"new_{name}") for name in columns})
        )
        db.session.execute(update, changes)
    return Batch(last_id=int(rows[-1].id), rows=len(rows), rotated=rotated)
