from __future__ import annotations

import sqlalchemy as sa

from caseapp.callers.models import Caller
from caseapp.errors import NotFound
from caseapp.extensions import db


def get_caller(caller_id: int) -> Caller:
    caller = db.session.get(Caller, caller_id)
    if caller is None:
        raise NotFound("No such caller.")
    return caller


def find_caller_by_phone(e164: str) -> Caller | None:
    return db.session.scalar(sa.select(Caller).where(Caller.phone_e164 == e164))


def lock_caller_by_phone(e164: str) -> Caller:
    """The caller row for this number, locked for the rest of the transaction (FOR UPDATE; nothing on SQLite)."""
    return db.session.scalars(sa.select(Caller).where(Caller.phone_e164 == e164).with_for_update()).one()


def search_callers_by_name(text: str, limit: int = 50) -> list[Caller]:
    """Callers whose name contains `text` (any case; % and _ are matched as themselves)."""
    needle = text.strip().lower()
    if not needle:
        return []
    match = sa.func.lower(Caller.name).contains(needle, autoescape=True)
    return list(db.session.scalars(sa.select(Caller).where(match).order_by(Caller.name, Caller.id).limit(limit)))
