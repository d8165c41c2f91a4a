"""How caseapp asks the workers for work: task names, and dispatch only after the transaction commits."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

_PENDING_KEY = "caseapp.pending_tasks"


class TaskName(StrEnum):
    """Every Celery task by its registered name; workers/ registers each one (a test checks)."""

    PURGE_EXPIRED_SESSIONS = "sessions.purge_expired"


class Queue(StrEnum):
    DEFAULT = "default"


def dispatch_after_commit(session: Session, name: TaskName, *args: str | int) -> None:
    """Send task `name` with JSON-able ids once `session` commits; dropped if it rolls back."""
    session.info.setdefault(_PENDING_KEY, []).append((name, args, current_app._get_current_object()))  # type: ignore[attr-defined]


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending: list[tuple[TaskName, tuple[Any, ...], Any]] = session.info.pop(_PENDING_KEY, [])
    for name, args, app in pending:
        try:
            app.extensions["celery"].send_task(str(name), args=list(args))
        except Exception:  # the broker may be down; periodic scans pick the work up again
            logger.warning("could not dispatch task %s", name, exc_info=True)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
