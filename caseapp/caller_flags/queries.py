"""Which flags are in force for a caller or a number."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from caseapp.caller_flags.models import CallerFlag, FlagKind
from caseapp.callers.models import Caller, CallerNumber
from caseapp.errors import NotFound
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


def get_flag(flag_id: int) -> CallerFlag:
    flag = db.session.get(CallerFlag, flag_id)
    if flag is None:
        raise NotFound("There is no such flag.")
    return flag


def lock_flag(flag_id: int) -> CallerFlag:
    """The flag, locked for a change (a lift and the expiry task never both end it)."""
    flag = db.session.scalar(sa.select(CallerFlag).where(CallerFlag.id == flag_id).with_for_update(of=CallerFlag))
    if flag is None:
        raise NotFound("There is no such flag.")
    return flag


def flags_for_caller(caller_id: int, phone_e164: str | None, *, include_ended: bool) -> list[CallerFlag]:
    """The caller's flags and those on their number: in force (soonest expiry first), or with `include_ended` every
    one, newest first."""
    if not include_ended:
        return active_flags(caller_id, phone_e164)
    targets = [CallerFlag.caller_id == caller_id]
    if phone_e164 is not None:
        targets.append(CallerFlag.phone_e164 == phone_e164)
    stmt = sa.select(CallerFlag).where(sa.or_(*targets)).order_by(CallerFlag.created_at.desc(), CallerFlag.id.desc())
    return list(db.session.scalars(stmt))


def claim_expired(now: datetime, limit: int) -> list[CallerFlag]:
    """Flags still open whose expiry has passed, oldest expiry first, locked (skipping those another worker holds)."""
    stmt = (
        sa.select(CallerFlag)
        .where(CallerFlag.ended_at.is_(None), CallerFlag.expires_at <= now)
        .order_by(CallerFlag.expires_at, CallerFlag.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=CallerFlag)
    )
    return list(db.session.scalars(stmt))


def flags_of_callers(caller_ids: Sequence[int]) -> sa.ColumnElement[bool]:
    """The WHERE clause for flags on these callers or on their numbers (retention)."""
    main = sa.select(Caller.phone_e164).where(Caller.id.in_(caller_ids), Caller.phone_e164.is_not(None))
    other = sa.select(CallerNumber.phone_e164).where(CallerNumber.caller_id.in_(caller_ids))
    return sa.or_(CallerFlag.caller_id.in_(caller_ids), CallerFlag.phone_e164.in_(main.union(other)))


def ended_unscrubbed(before: datetime) -> sa.ColumnElement[bool]:
    """The WHERE clause for flags that ended before `before` and still hold their reason (retention)."""
    return sa.and_(CallerFlag.ended_at < before, CallerFlag.scrubbed_at.is_(None))


def flags_for_export(caller_id: int, phone_e164: str | None) -> list[CallerFlag]:
    """Every flag on the caller or their number, oldest first (the subject access export)."""
    return list(reversed(flags_for_caller(caller_id, phone_e164, include_ended=True)))
