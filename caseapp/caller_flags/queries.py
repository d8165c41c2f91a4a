"""Which flags are in force for a caller or a number."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseapp.caller_flags.models import CallerFlag, FlagKind
from caseapp.extensions import db
from caseapp.timeutil import now_utc


def _in_force(at: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(CallerFlag.ended_at.is_(None), CallerFlag.expires_at > at)


def active_flags(caller_id: int | None, phone_e164: str | None, at: datetime | None = None) -> list[CallerFlag]:
    """Flags in force on this caller or on this number, soonest expiry first."""
    targets = []
    if caller_id is not None:
        targets.append(CallerFlag.caller_id == caller_id)
    if phone_e164 is not None:
        targets.append(CallerFlag.phone_e164 == phone_e164)
    if not targets:
        return []
    stmt = (
        sa.select(CallerFlag)
        .where(_in_force(at or now_utc()), sa.or_(*targets))
        .order_by(CallerFlag.expires_at, CallerFlag.id)
    )
    return list(db.session.scalars(stmt))


def ring_back_blocked(phone_e164: str, caller_id: int | None = None, at: datetime | None = None) -> bool:
    """A "do not ring back from this line" flag is in force on this number (or on its caller)."""
    return any(flag.kind is FlagKind.DO_NOT_RING_BACK for flag in active_flags(caller_id, phone_e164, at))
