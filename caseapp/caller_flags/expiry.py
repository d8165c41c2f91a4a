"""Closing flags whose expiry has passed (the caller_flags.expire task). Reads never count an expired flag as in
force, whether or not this has run; this records the end (ended_at = the expiry itself) and audits it once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from caseapp.audit.services import record_events
from caseapp.caller_flags import queries
from caseapp.caller_flags.models import FlagEnd
from caseapp.extensions import db
from caseapp.timeutil import now_utc

BATCH = 200


def expire_due(now: datetime | None = None, *, limit: int = BATCH) -> list[int]:
    """Close one batch of expired flags (locked, skipping any another worker holds); their ids. Flushes only."""
    flags = queries.claim_expired(now or now_utc(), limit)
    for flag in flags:
        flag.ended_at, flag.end_reason = flag.expires_at, FlagEnd.EXPIRED
    db.session.flush()
    record_events(
        "caller_flag.expired",
        actor_id=None,
        entity_type="caller_flag",
        events=[
            (flag.id, {"kind": flag.kind.value, **({"caller_id": flag.caller_id} if flag.caller_id else {})})
            for flag in flags
        ],
    )
    return [flag.id for flag in flags]


def expire_all(commit: Callable[[], None], now: datetime | None = None, *, batch: int = BATCH) -> int:
    """Close every expired flag, a batch per transaction (`commit` after each). How many were closed."""
    closed = 0
    while ids := expire_due(now, limit=batch):
        closed += len(ids)
        commit()
    return closed
