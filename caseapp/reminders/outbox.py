"""Writing to the outbox: a message to send is a row, written in the transaction that decided to send it.

The outbox knows messages (a kind, a channel, a recipient, the words) and the callback and case they are about as
ids; it knows nothing of what callbacks are. A delivery task is queued for each new row once the transaction
commits, and the row records when the broker took that task (`dispatched_at`), so the sweeper can tell a row whose
task never left from one that is merely queued.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.errors import Conflict
from caseapp.extensions import db
from caseapp.reminders import queries
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxMessage, OutboxStatus
from caseapp.tasks import TaskName, dispatch_after_commit, on_dispatched


@dataclass(frozen=True)
class Rendered:
    """A message's words: only a first name, a case reference, a time and a link (email and SMS leave the
    building)."""

    subject: str
    body: str
    link: str


@dataclass(frozen=True)
class NewMessage:
    callback_id: int
    case_id: int
    kind: OutboxKind
    #: the moment the message is about (a due time, a start, an attempt): with the rest, the row's unique key
    due_at: datetime
    channel: DeliveryChannel
    recipient_id: int
    rendered: Rendered


def configured_channels(setting: str) -> list[DeliveryChannel]:
    """REMINDER_CHANNELS / ESCALATION_CHANNELS: "email,in_app" (or a JSON list) → channels."""
    raw = current_app.config[setting]
    names = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    return [DeliveryChannel(name.strip()) for name in names if name.strip()]


def make_message_id() -> str:
    config = current_app.config
    domain = config.get("MESSAGE_ID_DOMAIN") or str(config["MAIL_FROM"]).rpartition("@")[2] or "caseapp.invalid"
    return f"<reminder.{uuid.uuid4().hex}@{domain}>"


def enqueue(new_messages: list[NewMessage]) -> list[int]:
    """Insert outbox rows, skipping any that exist; returns the ids of the rows now waiting to be delivered.

    INSERT ... ON CONFLICT (callback, kind, due time, channel, recipient): a duplicate does nothing, except that a
    row *withdrawn* unsent is wanted again (e.g. rescheduled back to the same time), so it goes back to pending.
    Each returned id is sent to a delivery task once the transaction commits.
    """
    if not new_messages:
        return []
    now = queries.database_now()
    rows = [
        {
            "callback_id": m.callback_id,
            "case_id": m.case_id,
            "kind": m.kind.value,
            "due_at": m.due_at,
            "channel": m.channel.value,
            "recipient_id": m.recipient_id,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "message_id": make_message_id(),
            "subject": m.rendered.subject,
            "body": m.rendered.body,
            "link": m.rendered.link,
            "next_attempt_at": now,
        }
        for m in new_messages
    ]
    if db.session.get_bind().dialect.name == "postgresql":
        ids = _insert_postgresql(rows)
    else:
        ids = _insert(rows)
    queue_deliveries(ids)
    return ids


#: ON CONFLICT (the row's key): a duplicate does nothing, unless it was withdrawn unsent, when it is wanted again
_ON_CONFLICT = (
    "ON CONFLICT (callback_id, kind, due_at, channel, recipient_id) DO UPDATE "
    "SET status = 'pending', withdrawn_at = NULL, dispatched_at = NULL "
    "WHERE reminder_outbox.status = 'withdrawn' RETURNING id"
)
#: the columns an outbox row is written with, and their PostgreSQL array types
_COLUMNS = {
    "callback_id": "bigint",
    "case_id": "bigint",
    "kind": "varchar",
    "due_at": "timestamptz",
    "channel": "varchar",
    "recipient_id": "bigint",
    "status": "varchar",
    "attempts": "int",
    "message_id": "varchar",
    "subject": "varchar",
    "body": "text",
    "link": "varchar",
    "next_attempt_at": "timestamptz",
}


def _insert_postgresql(rows: list[dict[str, Any]]) -> list[int]:
    """PostgreSQL: every row in one INSERT ... SELECT FROM unnest(one array per column): a scan's thousands of rows
    cost one statement with thirteen parameters, not thousands of VALUES lists to bind and parse."""
    names = ", ".join(_COLUMNS)
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _COLUMNS.items())
    stmt = sa.text(f"INSERT INTO reminder_outbox ({names}) SELECT * FROM unnest({arrays}) {_ON_CONFLICT}")  # noqa: S608 - fixed names
    return [int(i) for i in db.session.scalars(stmt, {name: [row[name] for row in rows] for name in _COLUMNS})]


def _insert(rows: list[dict[str, Any]]) -> list[int]:
    """Elsewhere (SQLite): the same INSERT, a thousand rows a statement. On the table rather than the mapped class
    (the ORM would go row by row to pair each RETURNING row with its parameters, and a conflict returns none), and
    with no bound parameters in ON CONFLICT (SQLAlchemy sends an upsert whose SET has them row by row)."""
    table = cast(sa.Table, OutboxMessage.__table__)
    stmt = (
        sqlite.insert(table)
        .on_conflict_do_update(
            index_elements=["callback_id", "kind", "due_at", "channel", "recipient_id"],
            set_={
                "status": sa.literal_column(f"'{OutboxStatus.PENDING.value}'"),
                "withdrawn_at": sa.null(),
                "dispatched_at": sa.null(),
            },
            where=table.c.status == sa.literal_column(f"'{OutboxStatus.WITHDRAWN.value}'"),
        )
        .returning(table.c.id)
    )
    return [int(row.id) for row in db.session.execute(stmt, rows)]


def id_in(column: sa.orm.QueryableAttribute[int] | sa.ColumnElement[int], ids: list[int]) -> sa.ColumnElement[bool]:
    """`column IN ids`, as `= ANY(array)` on PostgreSQL: one parameter rather than one per id."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("ids", ids, type_=postgresql.ARRAY(sa.BigInteger()), unique=True))
    return column.in_(ids)


def queue_deliveries(ids: list[int]) -> None:
    """Ask for delivery tasks once the transaction commits: one task per DELIVERY_BATCH_SIZE rows, in id order."""
    size = max(1, int(current_app.config["DELIVERY_BATCH_SIZE"]))
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        dispatch_after_commit(db.session(), TaskName.DELIVER_REMINDER, ordered[start : start + size])


def task_ids(argument: object) -> list[int]:
    """The outbox ids a delivery task was given: a list of them (or a single id, as tasks queued before deliveries
    went in batches carry)."""
    if isinstance(argument, list | tuple):
        return [int(outbox_id) for outbox_id in argument]
    return [int(str(argument))]


@on_dispatched(TaskName.DELIVER_REMINDER)
def _handed_over(calls: list[tuple[object, ...]]) -> None:
    """The broker has these rows' delivery tasks: note when (one UPDATE, on its own connection, as the committed
    session may not emit SQL). A row left without `dispatched_at` never reached the broker. Rows a delivery has
    locked are skipped (SKIP LOCKED), never waited for: that delivery is taking them anyway."""
    ids = [outbox_id for args in calls for outbox_id in task_ids(args[0])]
    unlocked = (
        sa.select(OutboxMessage.id)
        .where(id_in(OutboxMessage.id, ids), OutboxMessage.status == OutboxStatus.PENDING)
        .with_for_update(skip_locked=True)
    )
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(unlocked), OutboxMessage.status == OutboxStatus.PENDING)
            .values(dispatched_at=sa.func.now())
        )


def withdraw(
    callback_id: int,
    *,
    kinds: tuple[OutboxKind, ...] = (),
    recipient_ids: tuple[int, ...] = (),
    due_at: datetime | None = None,
) -> int:
    """Withdraw a callback's unsent (pending) messages; returns how many. A row being sent right now is left be."""
    stmt = sa.update(OutboxMessage).where(
        OutboxMessage.callback_id == callback_id, OutboxMessage.status == OutboxStatus.PENDING
    )
    if kinds:
        stmt = stmt.where(OutboxMessage.kind.in_(kinds))
    if recipient_ids:
        stmt = stmt.where(OutboxMessage.recipient_id.in_(recipient_ids))
    if due_at is not None:
        stmt = stmt.where(OutboxMessage.due_at == due_at)
    stmt = stmt.values(status=OutboxStatus.WITHDRAWN, withdrawn_at=queries.database_now())
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def requeue_failed(outbox_id: int, *, actor: User) -> OutboxMessage:
    """A manager sends a failed message again (after fixing the mail server, say): same Message-ID, attempts reset."""
    queries.get_message(outbox_id)  # 404 when there is no such row
    row = queries.lock_message(outbox_id)
    if row is None or row.status != OutboxStatus.FAILED:
        raise Conflict("Only a failed message can be sent again.")
    row.status, row.attempts, row.failed_at = OutboxStatus.PENDING, 0, None
    row.next_attempt_at, row.dispatched_at = queries.database_now(), None
    record_event(
        "reminder.requeued",
        actor_id=actor.id,
        entity_type="callback",
        entity_id=row.callback_id,
        detail={"outbox_id": row.id},
    )
    queue_deliveries([row.id])
    db.session.flush()
    return row
