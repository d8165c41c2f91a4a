from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import lazyload, selectinload

from caseapp.auth.models import User
from caseapp.callbacks.models import OPEN_STATUSES, Callback, CallbackAttempt, CaseFlag, Handover
from caseapp.cases.models import Case, format_reference
from caseapp.errors import NotFound
from caseapp.extensions import db
from caseapp.reference import CallbackPriority, CallbackStatus, HandoverStatus
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


def open_callbacks_held_by(user_id: int) -> list[Callback]:
    """Every callback still to be made that `user_id` holds, whenever it is due, soonest first (clocking off)."""
    query = (
        sa.select(Callback)
        .where(Callback.assignee_id == user_id, Callback.status.in_(OPEN_STATUSES))
        .order_by(Callback.due_at, Callback.id)
    )
    return list(db.session.scalars(query))


def lock_open_callbacks_held_by(user_id: int) -> list[Callback]:
    """open_callbacks_held_by, each row locked for the transaction, taken in id order (two transactions locking
    some of the same callbacks take them in the same order, so they wait rather than deadlock); soonest first."""
    query = (
        sa.select(Callback)
        .where(Callback.assignee_id == user_id, Callback.status.in_(OPEN_STATUSES))
        .order_by(Callback.id)
        .with_for_update(of=Callback)
        .execution_options(populate_existing=True)
    )
    return sorted(db.session.scalars(query), key=lambda c: (c.due_at, c.id))


# --- handovers ---------------------------------------------------------------------------------------------------


def get_handover(handover_id: int) -> Handover:
    handover = db.session.get(Handover, handover_id)
    if handover is None:
        raise NotFound("No such handover.")
    return handover


def lock_handover(handover_id: int) -> Handover:
    """The handover, locked and read afresh. Every change to a handover is made holding its callback's lock
    (lock_callback first), so this re-read sees what any transaction that held it before committed."""
    query = (
        sa.select(Handover)
        .where(Handover.id == handover_id)
        .with_for_update(of=Handover)
        .execution_options(populate_existing=True)
    )
    handover = db.session.scalar(query)
    if handover is None:
        raise NotFound("No such handover.")
    return handover


def find_offer(callback_id: int) -> Handover | None:
    """The callback's open offer (at most one: a partial unique index), locked and read afresh."""
    query = (
        sa.select(Handover)
        .where(Handover.callback_id == callback_id, Handover.status == HandoverStatus.OFFERED)
        .with_for_update(of=Handover)
        .execution_options(populate_existing=True)
    )
    return db.session.scalar(query)


def offers_to(user_id: int) -> list[Handover]:
    """ "Handed to you": open offers to `user_id`, oldest first (the first to go back to the pool)."""
    query = (
        sa.select(Handover)
        .where(Handover.to_user_id == user_id, Handover.status == HandoverStatus.OFFERED)
        .order_by(Handover.created_at, Handover.id)
        # the callbacks (with their case, caller and people) in a second statement, only when there are offers:
        # one statement joining all nine tables costs PostgreSQL milliseconds to plan on every My callbacks
        .options(selectinload(Handover.callback))
    )
    return list(db.session.scalars(query))


def offers_for_callbacks(callback_ids: Sequence[int]) -> dict[int, Handover]:
    """The open offer of each of these callbacks that has one (the pool's notes), by callback id."""
    if not callback_ids:
        return {}
    query = sa.select(Handover).where(
        Handover.callback_id.in_(list(callback_ids)), Handover.status == HandoverStatus.OFFERED
    )
    # the caller has these callbacks already: found in the session, not joined again
    query = query.options(lazyload(Handover.callback))
    return {handover.callback_id: handover for handover in db.session.scalars(query)}


def handovers_for_callback(callback_id: int) -> list[Handover]:
    """Every handover of a callback, newest first (its page)."""
    query = (
        sa.select(Handover)
        .where(Handover.callback_id == callback_id)
        .order_by(Handover.created_at.desc(), Handover.id.desc())
    )
    return list(db.session.scalars(query))


def handovers_for_case(case_id: int) -> dict[int, Handover]:
    """Every handover of a case's callbacks, by id (the notes on the case's timeline)."""
    query = sa.select(Handover).join(Callback, Callback.id == Handover.callback_id).where(Callback.case_id == case_id)
    return {handover.id: handover for handover in db.session.scalars(query)}


def select_handovers(
    *,
    to_user_id: int | None = None,
    to_pool: bool = False,
    from_user_id: int | None = None,
    statuses: Sequence[HandoverStatus] = (),
) -> sa.Select[Handover]:
    """Handovers to someone, to the pool, or from someone, in some statuses (GET /api/v1/handovers); the caller
    orders (keyset created_at, id)."""
    query = sa.select(Handover)
    if to_pool:
        query = query.where(Handover.to_user_id.is_(None))
    elif to_user_id is not None:
        query = query.where(Handover.to_user_id == to_user_id)
    if from_user_id is not None:
        query = query.where(Handover.from_user_id == from_user_id)
    if statuses:
        query = query.where(Handover.status.in_(statuses))
    return query


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


def lock_callbacks_with_offers_to_return(offered_before: datetime, limit: int) -> list[Callback]:
    """Callbacks offered to a colleague since before `offered_before` (now - HANDOVER_ACCEPT_SECONDS) and not
    accepted. The callback's row is the lock (every change to a handover holds it); find_offer then reads the
    offer."""
    query = sa.select(Callback).where(
        sa.exists().where(
            Handover.callback_id == Callback.id,
            Handover.status == HandoverStatus.OFFERED,
            Handover.to_user_id.is_not(None),
            Handover.created_at <= offered_before,
        )
    )
    return _claim(query, limit)
