"""Every read of telephony's tables."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseapp.auth import queries as auth_queries
from caseapp.auth.models import User
from caseapp.callbacks.models import OPEN_STATUSES, Callback
from caseapp.extensions import db
from caseapp.telephony.models import TelephonyCall, TelephonyRejection


def find_advisor(user_id: int | None, extension: str | None) -> User | None:
    """The active member of staff an event names, by id or else by extension."""
    if user_id is not None:
        user = db.session.get(User, user_id)
    elif extension:
        user = auth_queries.find_user_by_extension(extension)
    else:
        return None
    return user if user is not None and user.is_active else None


def find_open_missed_call_callback(caller_id: int, since: datetime) -> Callback | None:
    """The open callback a missed call from this caller (from any of their numbers) made on or after `since`, if any
    (the oldest)."""
    query = (
        sa.select(Callback)
        .join(TelephonyCall, TelephonyCall.callback_id == Callback.id)
        .where(
            TelephonyCall.caller_id == caller_id,
            Callback.created_at >= since,
            Callback.status.in_(OPEN_STATUSES),
        )
        .order_by(Callback.created_at, Callback.id)
        .limit(1)
    )
    return db.session.scalars(query).first()


def count_missed_calls(callback_id: int) -> int:
    """How many missed calls a callback stands for."""
    query = sa.select(sa.func.count()).where(
        TelephonyCall.callback_id == callback_id, TelephonyCall.missed_at.is_not(None)
    )
    return int(db.session.scalar(query) or 0)


def find_call_for_draft(draft_id: int, advisor_id: int) -> TelephonyCall | None:
    """The answered call a screen-pop draft was opened for, locked (the advisor is saving the log)."""
    query = (
        sa.select(TelephonyCall)
        .where(TelephonyCall.call_draft_id == draft_id, TelephonyCall.advisor_id == advisor_id)
        .with_for_update()
    )
    return db.session.scalars(query).first()


def recent_rejections(limit: int = 50) -> list[TelephonyRejection]:
    query = sa.select(TelephonyRejection).order_by(TelephonyRejection.created_at.desc(), TelephonyRejection.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def recent_calls(limit: int = 50) -> list[TelephonyCall]:
    query = sa.select(TelephonyCall).order_by(TelephonyCall.offered_at.desc(), TelephonyCall.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def calls_for_caller(caller_id: int) -> list[TelephonyCall]:
    query = sa.select(TelephonyCall).where(TelephonyCall.caller_id == caller_id).order_by(TelephonyCall.offered_at)
    return list(db.session.scalars(query))
