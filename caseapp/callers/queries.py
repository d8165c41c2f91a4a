from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from caseapp.callers.models import Caller, CallerMerge, CallerNumber
from caseapp.errors import NotFound
from caseapp.extensions import db


def get_caller(caller_id: int) -> Caller:
    caller = db.session.get(Caller, caller_id)
    if caller is None:
        raise NotFound("No such caller.")
    return caller


def lock_callers(caller_ids: Sequence[int]) -> list[Caller]:
    """These callers' rows, locked in id order (so two merges of the same pair cannot deadlock) and read again; FOR
    UPDATE."""
    statement = sa.select(Caller).where(Caller.id.in_(caller_ids)).order_by(Caller.id).with_for_update()
    return list(db.session.scalars(statement.execution_options(populate_existing=True)).all())


def find_caller_by_phone(e164: str) -> Caller | None:
    """The caller with this number, as their main number or one of their other numbers (one statement)."""
    other = sa.select(CallerNumber.caller_id).where(CallerNumber.phone_e164 == e164).scalar_subquery()
    return db.session.scalar(
        sa.select(Caller).where(sa.or_(Caller.phone_e164 == e164, Caller.id == other)).order_by(Caller.id).limit(1)
    )


def find_other_number_owner(e164: str) -> int | None:
    """The id of the caller who has this number as an other number (the log-a-call path's one extra lookup)."""
    return db.session.scalar(sa.select(CallerNumber.caller_id).where(CallerNumber.phone_e164 == e164))


def find_main_number_owner(e164: str) -> int | None:
    return db.session.scalar(sa.select(Caller.id).where(Caller.phone_e164 == e164))


def lock_caller(caller_id: int) -> Caller:
    return db.session.scalars(sa.select(Caller).where(Caller.id == caller_id).with_for_update()).one()


def lock_caller_by_phone(e164: str) -> Caller:
    """The caller row for this number, locked for the rest of the transaction (FOR UPDATE; nothing on SQLite)."""
    return db.session.scalars(sa.select(Caller).where(Caller.phone_e164 == e164).with_for_update()).one()


def lock_number(e164: str) -> None:
    """Serialise every change that gives a number to a caller (PostgreSQL: a transaction-level advisory lock keyed by
    the number). SQLite needs none: a write locks the whole database file."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("caller-number:" + e164))))


def numbers_of(caller_id: int) -> list[CallerNumber]:
    return list(
        db.session.scalars(
            sa.select(CallerNumber).where(CallerNumber.caller_id == caller_id).order_by(CallerNumber.id)
        ).all()
    )


def get_number(caller_id: int, number_id: int) -> CallerNumber:
    number = db.session.get(CallerNumber, number_id)
    if number is None or number.caller_id != caller_id:
        raise NotFound("This caller has no such number.")
    return number


def find_number_by_phone(e164: str) -> CallerNumber | None:
    return db.session.scalar(sa.select(CallerNumber).where(CallerNumber.phone_e164 == e164))


def find_number(number_id: int) -> CallerNumber | None:
    return db.session.get(CallerNumber, number_id)


def search_callers_by_name(text: str, limit: int = 50) -> list[Caller]:
    """Callers whose name contains `text` (any case; % and _ are matched as themselves); merged records left out."""
    needle = text.strip().lower()
    if not needle:
        return []
    match = sa.func.lower(Caller.name).contains(needle, autoescape=True)
    return list(
        db.session.scalars(
            sa.select(Caller)
            .where(match, Caller.merged_into_id.is_(None))
            .order_by(Caller.name, Caller.id)
            .limit(limit)
        )
    )


def ids_where(model: Any, column: Any, value: int) -> list[int]:
    """Ids of `model`'s rows whose `column` is `value` (a merge's list of what moves)."""
    return list(db.session.scalars(sa.select(model.id).where(column == value).order_by(model.id)).all())


def count_where(model: Any, column: Any, value: int) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(column == value)) or 0)


def get_merge(merge_id: int) -> CallerMerge:
    merge = db.session.get(CallerMerge, merge_id)
    if merge is None:
        raise NotFound("No such merge.")
    return merge


def lock_merge(merge_id: int) -> CallerMerge:
    merge = db.session.scalars(sa.select(CallerMerge).where(CallerMerge.id == merge_id).with_for_update()).first()
    if merge is None:
        raise NotFound("No such merge.")
    return merge


def merges_into(caller_id: int) -> list[CallerMerge]:
    """The merges that kept this caller, newest first."""
    return list(
        db.session.scalars(
            sa.select(CallerMerge)
            .where(CallerMerge.kept_id == caller_id)
            .order_by(CallerMerge.created_at.desc(), CallerMerge.id.desc())
        ).all()
    )
