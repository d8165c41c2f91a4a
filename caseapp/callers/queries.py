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
    pattern = f"%{text.strip().lower()}%"
    query = sa.select(Caller).where(sa.func.lower(Caller.name).like(pattern)).order_by(Caller.name).limit(limit)
    return list(db.session.scalars(query))
