from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from caseapp.auth.models import User
from caseapp.callbacks.models import OPEN_STATUSES, Callback, CallbackAttempt, CaseFlag
from caseapp.cases.models import Case, format_reference
from caseapp.errors import NotFound
from caseapp.extensions import db
from caseapp.reference import CallbackPriority, CallbackStatus
from caseapp.reminders.models import OutboxKind, OutboxMessage, OutboxStatus
from caseapp.shifts.queries import is_on_shift_clause


def get_callback(callback_id: int) -> Callback:
    callback = db.session.get(Callback, callback_id)
    if callback is None:
        raise NotFound("No such callback.")
    return callback


def lock_callback(callback_id: int) -> Callback:
    """The callback, locked for the rest of the transaction (FOR UPDATE OF callbacks; nothing on SQLite)."""
    query = (
        sa.select(Callback)
        .where(Callback.id == callback_id)
        .with_for_update(of=Callback)
        .execution_options(populate_existing=True)
    )
    callback = db.session.scalar(query)
    if callback is None:
        raise NotFound("No such callback.")
    return callback


def select_callbacks(
    *,
    statuses: Sequence[CallbackStatus] = (),
    assignee_id: int | None = None,
    pool_only: bool = False,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
    case_id: int | None = None,
) -> sa.Select[Callback]:
    """Callbacks filtered (the managers' list and GET /api/v1/callbacks); the caller orders (keyset due_at, id)."""
    query = sa.select(Callback)
    if statuses:
        query = query.where(Callback.status.in_(statuses))
    if pool_only:
        query = query.where(Callback.assignee_id.is_(None))
    elif assignee_id is not None:
        query = query.where(Callback.assignee_id == assignee_id)
    if due_before is not None:
        query = query.where(Callback.due_at < due_before)
    if due_after is not None:
        query = query.where(Callback.due_at >= due_after)
    if case_id is not None:
        query = query.where(Callback.case_id == case_id)
    return query


def my_callbacks(user_id: int, until: datetime) -> list[Callback]:
    """ "My callbacks": still to make, assigned to me, due before `until` (the end of my local day), so today's and
    every overdue one; soonest (most overdue) first."""
    query = (
        sa.select(Callback)
        .where(Callback.assignee_id == user_id, Callback.status.in_(OPEN_STATUSES), Callback.due_at < until)
        .order_by(Callback.due_at, Callback.id)
    )
    return list(db.session.scalars(query))


def pool(limit: int = 200) -> list[Callback]:
    """The shared pool: open callbacks nobody holds, soonest first."""
    query = (
        sa.select(Callback)
        .where(Callback.assignee_id.is_(None), Callback.status.in_(OPEN_STATUSES))
        .order_by(Callback.due_at, Callback.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def open_callbacks_for_case(case_id: int) -> list[Callback]:
    """A case's callbacks still to be made, soonest first (the repeat-caller banner)."""
    query = (
        sa.select(Callback)
        .where(Callback.case_id == case_id, Callback.status.in_(OPEN_STATUSES))
        .order_by(Callback.due_at, Callback.id)
    )
    return list(db.session.scalars(query))


def count_pool() -> int:
    query = sa.select(sa.func.count()).where(Callback.assignee_id.is_(None), Callback.status.in_(OPEN_STATUSES))
    return db.session.scalar(query) or 0


def callbacks_for_case(case_id: int) -> list[Callback]:
    query = sa.select(Callback).where(Callback.case_id == case_id).order_by(Callback.due_at.desc(), Callback.id.desc())
    return list(db.session.scalars(query))


def attempts_for_callback(callback_id: int) -> list[CallbackAttempt]:
    query = (
        sa.select(CallbackAttempt)
        .where(CallbackAttempt.callback_id == callback_id)
        .order_by(CallbackAttempt.attempted_at, CallbackAttempt.id)
    )
    return list(db.session.scalars(query))


def attempts_for_case(case_id: int) -> list[CallbackAttempt]:
    query = (
        sa.select(CallbackAttempt)
        .join(Callback, Callback.id == CallbackAttempt.callback_id)
        .where(Callback.case_id == case_id)
        .order_by(CallbackAttempt.attempted_at.desc(), CallbackAttempt.id.desc())
    )
    return list(db.session.scalars(query))


def open_flags_for_case(case_id: int) -> list[CaseFlag]:
    query = sa.select(CaseFlag).where(CaseFlag.case_id == case_id, CaseFlag.cleared_at.is_(None))
    return list(db.session.scalars(query.order_by(CaseFlag.created_at)))


def find_open_flag(case_id: int, kind: str) -> CaseFlag | None:
    query = sa.select(CaseFlag).where(CaseFlag.case_id == case_id, CaseFlag.kind == kind, CaseFlag.cleared_at.is_(None))
    return db.session.scalar(query)


# --- the workers' scans: claim rows with FOR UPDATE SKIP LOCKED (nothing on SQLite, which has one writer) ---------


def _claim(query: sa.Select[Callback], limit: int) -> list[Callback]:
    query = (
        query.order_by(Callback.due_at, Callback.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Callback)
        .execution_options(populate_existing=True)
    )
    return list(db.session.scalars(query))


def _has_message(
    kind: OutboxKind, about: sa.orm.InstrumentedAttribute[datetime] | None = None
) -> sa.ColumnElement[bool]:
    """An outbox row of this kind, not withdrawn, exists for the moment `about` (by default the due time)."""
    moment = Callback.due_at if about is None else about
    return sa.exists().where(
        OutboxMessage.callback_id == Callback.id,
        OutboxMessage.kind == kind,
        OutboxMessage.due_at == moment,
        OutboxMessage.status != OutboxStatus.WITHDRAWN,
    )


@dataclass(frozen=True)
class ReminderDue:
    """What a reminder is written from: one scheduled callback whose reminder time has come."""

    callback_id: int
    case_id: int
    case_reference: str
    due_at: datetime
    priority: CallbackPriority
    #: None: the callback is in the pool
    assignee_id: int | None
    assignee_name: str | None

    @classmethod
    def of(cls, callback: Callback) -> ReminderDue:
        assignee = callback.assignee
        return cls(
            callback.id,
            callback.case_id,
            callback.case.reference,
            callback.due_at,
            callback.priority,
            callback.assignee_id,
            assignee.full_name if assignee else None,
        )


def lock_reminders_due(horizon: datetime, limit: int) -> list[ReminderDue]:
    """Scheduled callbacks due by `horizon` (now + lead) with no reminder yet for their current due time, locked
    (FOR UPDATE OF callbacks SKIP LOCKED), soonest first: one narrow row each with what the reminder says, not the
    callback with its case, caller and people (thousands can fall due at once)."""
    query = (
        sa.select(
            Callback.id,
            Callback.case_id,
            Case.reference_year,
            Callback.due_at,
            Callback.priority,
            Callback.assignee_id,
            User.full_name,
        )
        .join(Case, Case.id == Callback.case_id)
        .outerjoin(User, User.id == Callback.assignee_id)
        .where(
            Callback.status == CallbackStatus.SCHEDULED,
            Callback.due_at <= horizon,
            ~_has_message(OutboxKind.REMINDER),
        )
        .order_by(Callback.due_at, Callback.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Callback)
    )
    return [
        ReminderDue(callback_id, case_id, format_reference(year, case_id), due_at, priority, assignee_id, name)
        for callback_id, case_id, year, due_at, priority, assignee_id, name in db.session.execute(query)
    ]


def lock_due_callbacks_off_shift(now: datetime, limit: int) -> list[Callback]:
    """Scheduled callbacks that have fallen due while their assignee is not on shift."""
    query = sa.select(Callback).where(
        Callback.status == CallbackStatus.SCHEDULED,
        Callback.due_at <= now,
        Callback.assignee_id.is_not(None),
        ~is_on_shift_clause(Callback.assignee_id),
    )
    return _claim(query, limit)


def lock_callbacks_to_escalate(due_before: datetime, limit: int) -> list[Callback]:
    """Scheduled (not started) callbacks due before `due_before` (now - 15 min) not yet escalated for that time."""
    query = sa.select(Callback).where(
        Callback.status == CallbackStatus.SCHEDULED,
        Callback.due_at <= due_before,
        ~_has_message(OutboxKind.ESCALATION),
    )
    return _claim(query, limit)


def lock_stalled(kind: OutboxKind, started_before: datetime, limit: int, *, held_only: bool = False) -> list[Callback]:
    """In progress since before `started_before` (and held by someone, if `held_only`), with no message of `kind`
    yet about that start."""
    query = sa.select(Callback).where(
        Callback.status == CallbackStatus.IN_PROGRESS,
        Callback.clock_started_at <= started_before,
        ~_has_message(kind, Callback.clock_started_at),
    )
    if held_only:
        query = query.where(Callback.assignee_id.is_not(None))
    return _claim(query, limit)


def lock_unanswered_to_prompt(attempted_before: datetime, limit: int) -> list[Callback]:
    """No answer, held by someone, no new time since before `attempted_before`, not yet prompted for it."""
    query = sa.select(Callback).where(
        Callback.status == CallbackStatus.NO_ANSWER,
        Callback.assignee_id.is_not(None),
        Callback.clock_started_at <= attempted_before,
        ~_has_message(OutboxKind.RETRY_PROMPT, Callback.clock_started_at),
    )
    return _claim(query, limit)


def lock_unanswered_to_pool(attempted_before: datetime, limit: int) -> list[Callback]:
    """No answer, still held by someone, and no new time since before `attempted_before`."""
    query = sa.select(Callback).where(
        Callback.status == CallbackStatus.NO_ANSWER,
        Callback.assignee_id.is_not(None),
        Callback.clock_started_at <= attempted_before,
    )
    return _claim(query, limit)


def lock_callbacks_to_mark_missed(due_before: datetime, unanswered_before: datetime, limit: int) -> list[Callback]:
    """Scheduled callbacks still not started although due before `due_before`, and unanswered ones with no new
    time since before `unanswered_before`."""
    query = sa.select(Callback).where(
        sa.or_(
            sa.and_(Callback.status == CallbackStatus.SCHEDULED, Callback.due_at <= due_before),
            sa.and_(Callback.status == CallbackStatus.NO_ANSWER, Callback.clock_started_at <= unanswered_before),
        )
    )
    return _claim(query, limit)
