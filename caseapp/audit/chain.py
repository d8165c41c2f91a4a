"""The audit trail's hash chain: sealing committed rows into it, and checking it.

Rows are written unsealed (one INSERT per transaction, no lock: caseapp/audit/pending.py). The sealer, one at a time
(an advisory lock), takes the committed unsealed rows in id order and gives each the next `chain_seq` and
`row_hash = sha256(previous row_hash + "\\n" + canonical(row))`; the first row follows GENESIS. A row committed after
a newer one was sealed is simply sealed later, with a higher chain_seq. The database allows exactly that UPDATE and
no other (the migration's trigger).

What it proves: a sealed row changed, or removed, by anyone (a superuser bypassing the trigger included) breaks the
chain at that row, and `caseapp audit verify` names it. What it cannot prove on its own: someone able to write the
table could recompute every hash from a point on. That is why the head (seq and hash) is printed by verify, shown on
the chain page and logged by every seal: a head kept outside the database (`verify --head SEQ:HASH`) must still be in
the chain, with the same hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa

from caseapp.audit import queries
from caseapp.audit.models import AuditEvent
from caseapp.extensions import db

logger = logging.getLogger(__name__)

#: what the first row's hash follows
GENESIS = "0" * 64
SEAL_BATCH = 1000


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    event_id: int
    occurred_at: datetime

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True)
class Sealed:
    #: False when another sealer held the lock (nothing was done)
    ran: bool
    count: int
    head: Head | None


@dataclass(frozen=True)
class Break:
    seq: int
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class Verification:
    #: sealed rows checked and found good (all of them when the chain is intact)
    verified: int
    unsealed: int
    head: Head | None
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _instant(value: datetime) -> str:
    """UTC, microseconds, Z: the same text from PostgreSQL's and SQLite's values, on any Python."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(seq: int, row: Any) -> bytes:
    """The bytes a row's hash covers: its place in the chain and every column but the chain's own, as JSON with
    sorted keys, no spaces and ASCII only (stable across databases and Python versions)."""
    document = {
        "seq": seq,
        "id": row.id,
        "occurred_at": _instant(row.occurred_at),
        "actor_id": row.actor_id,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "request_id": row.request_id,
        "ip": row.ip,
        "detail": row.detail,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def link_hash(previous: str, seq: int, row: Any) -> str:
    return hashlib.sha256(previous.encode("ascii") + b"\n" + canonical(seq, row)).hexdigest()


def head() -> Head | None:
    row = queries.find_chain_head()
    return Head(row.chain_seq, row.row_hash, row.id, row.occurred_at) if row is not None else None


@dataclass(frozen=True)
class Status:
    head: Head | None
    unsealed: int


def status() -> Status:
    return Status(head(), queries.count_unsealed())


def _seal_statement() -> sa.Update:
    table = cast(sa.Table, AuditEvent.__table__)
    return (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"), table.c.chain_seq.is_(None))
        .values(chain_seq=sa.bindparam("seq"), row_hash=sa.bindparam("hash"))
    )


def seal(limit: int = SEAL_BATCH) -> Sealed:
    """Seal up to `limit` committed rows into the chain, in this transaction (the caller commits; the lock is held
    until then). A second sealer meanwhile does nothing (`ran` False)."""
    if not queries.take_sealer_lock():
        return Sealed(ran=False, count=0, head=None)
    last = head()
    seq, previous = (last.seq, last.hash) if last is not None else (0, GENESIS)
    rows = queries.unsealed_rows(limit)
    if not rows:
        return Sealed(ran=True, count=0, head=last)
    updates = []
    for row in rows:
        seq += 1
        previous = link_hash(previous, seq, row)
        updates.append({"row_id": row.id, "seq": seq, "hash": previous})
    db.session.execute(_seal_statement(), updates)
    sealed_head = Head(seq, previous, rows[-1].id, rows[-1].occurred_at)
    logger.debug(  # every few seconds: the head a DPO keeps comes from `caseapp audit verify` or the chain page
        "audit chain sealed %s rows; head %s", len(rows), sealed_head, extra={"seq": seq, "head_hash": previous}
    )
    return Sealed(ran=True, count=len(rows), head=sealed_head)


def _parse_head(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("A head is SEQ:HASH, e.g. 1042:9f86d0…, as `caseapp audit verify` prints it.")
    return int(seq), digest


def verify(expected_head: str | None = None) -> Verification:
    """Walk the chain from the first row: each chain_seq must follow the last, and each hash must be the hash of the
    row's contents after the previous hash. Stops at the first break. `expected_head` (SEQ:HASH, kept from an
    earlier run) must still be in the chain with that hash. Raises ValueError for a malformed head."""
    wanted = _parse_head(expected_head) if expected_head else None
    previous, expected, last = GENESIS, 1, None
    broken: Break | None = None
    for row in queries.sealed_rows():
        if row.chain_seq != expected:
            broken = Break(expected, None, f"missing: the chain goes from {expected - 1} to {row.chain_seq}")
            break
        if row.row_hash != link_hash(previous, row.chain_seq, row):
            broken = Break(row.chain_seq, row.id, "the row does not match its hash: changed after it was sealed")
            break
        if wanted is not None and row.chain_seq == wanted[0] and row.row_hash != wanted[1]:
            broken = Break(row.chain_seq, row.id, "its hash is not the recorded head's: the chain was rewritten")
            break
        previous, expected, last = row.row_hash, expected + 1, row
    if broken is None and wanted is not None and wanted[0] >= expected:
        broken = Break(wanted[0], None, f"the recorded head is gone: the chain ends at {expected - 1}")
    found = Head(last.chain_seq, last.row_hash, last.id, last.occurred_at) if last is not None else None
    return Verification(verified=expected - 1, unsealed=queries.count_unsealed(), head=found, broken=broken)
