"""How caseapp asks the workers for work: task names, and dispatch only after the transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

_PENDING_KEY = "caseapp.pending_tasks"
#: a broker that does not answer within about a second is treated as down (unsent work is found again by the
#: periodic scans and the outbox sweeper)
_SEND_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}


#: the line a worker logs once it takes tasks (`caseapp dev` waits for it before it prints the URL)
WORKER_READY = "worker ready"


class TaskName(StrEnum):
    """Every Celery task by its registered name; workers/ registers each one (a test checks)."""

    PURGE_EXPIRED_SESSIONS = "sessions.purge_expired"
    PURGE_STALE_DRAFTS = "calls.purge_stale_drafts"
    REMIND_DUE = "callbacks.remind_due"
    RUN_CLOCKS = "callbacks.run_clocks"
    DELIVER_REMINDER = "reminders.deliver"
    SWEEP_OUTBOX = "reminders.sweep"
    NOTIFY_STALE_CASES = "cases.notify_stale"
    SEAL_AUDIT_TRAIL = "audit.seal"
    APPLY_RETENTION = "retention.apply"
    PURGE_TELEPHONY = "telephony.purge"
    EXPIRE_CALLER_FLAGS = "caller_flags.expire"


class Queue(StrEnum):
    DEFAULT = "default"
    #: beat's periodic scans, apart from the deliveries they queue, so a backlog of deliveries never delays them
    PERIODIC = "periodic"


#: task name → what to call with the argument tuples of the tasks of that name the broker accepted
_ON_DISPATCHED: dict[TaskName, Callable[[list[tuple[Any, ...]]], None]] = {}


def on_dispatched(name: TaskName) -> Callable[[Callable[[list[tuple[Any, ...]]], None]], Callable[..., None]]:
    """Register what to do once the broker has taken tasks of `name` (e.g. the outbox notes each row handed over);
    it runs after the commit, with the committed batch's argument tuples, and a failure in it is only logged."""

    def register(handler: Callable[[list[tuple[Any, ...]]], None]) -> Callable[..., None]:
        _ON_DISPATCHED[name] = handler
        return handler

    return register


def dispatch_after_commit(
    session: Session, name: TaskName, *args: str | int | list[int], queue: Queue | None = None
) -> None:
    """Send task `name` with JSON-able ids (or lists of ids) once `session` commits, to `queue` (by default the
    default queue); dropped if it rolls back."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    session.info.setdefault(_PENDING_KEY, []).append((name, args, app, queue))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending: list[tuple[TaskName, tuple[Any, ...], Any, Queue | None]] = session.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    celery = pending[0][2].extensions["celery"]
    sent = 0
    try:
        with celery.producer_or_acquire() as producer:  # one broker connection for the whole batch
            for name, args, _app, queue in pending:
                options = {"queue": queue.value} if queue else {}
                celery.send_task(
                    str(name), args=list(args), producer=producer, retry_policy=_SEND_RETRY_POLICY, **options
                )
                sent += 1
    except Exception:  # the broker may be down; periodic scans and the outbox sweeper pick the work up again
        # one failure means the broker is unreachable: don't spend a timeout on each of the others
        logger.warning(
            "could not dispatch %s task(s), the first %s", len(pending) - sent, pending[sent][0], exc_info=True
        )
    _confirm([(name, args) for name, args, _app, _queue in pending[:sent]])


def _confirm(dispatched: list[tuple[TaskName, tuple[Any, ...]]]) -> None:
    by_name: dict[TaskName, list[tuple[Any, ...]]] = {}
    for name, args in dispatched:
        if name in _ON_DISPATCHED:
            by_name.setdefault(name, []).append(args)
    for name, calls in by_name.items():
        try:
            _ON_DISPATCHED[name](calls)
        except Exception:  # the work is done; without the note the sweeper dispatches it once more, harmlessly
            logger.warning("could not record the dispatch of %s %s task(s)", len(calls), name, exc_info=True)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
