from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.shifts.models import Shift


def find_open_shift(user_id: int) -> Shift | None:
    return db.session.scalar(sa.select(Shift).where(Shift.user_id == user_id, Shift.ended_at.is_(None)))


def open_shifts() -> list[Shift]:
    """Who is on shift now, longest on first (with their user)."""
    query = sa.select(Shift).where(Shift.ended_at.is_(None)).order_by(Shift.started_at, Shift.id)
    return list(db.session.scalars(query))


def on_shift_users(roles: Sequence[Role] = ()) -> list[User]:
    """Active users with an open shift, optionally only these roles; ordered by id."""
    query = (
        sa.select(User)
        .join(Shift, sa.and_(Shift.user_id == User.id, Shift.ended_at.is_(None)))
        .where(User.is_active.is_(True))
        .order_by(User.id)
    )
    if roles:
        query = query.where(User.role.in_(roles))
    return list(db.session.scalars(query))


def is_on_shift_clause(user_id_column: sa.orm.InstrumentedAttribute[int | None]) -> sa.ColumnElement[bool]:
    """SQL that is true when the user in `user_id_column` has an open shift (for other features' scans)."""
    return sa.exists().where(Shift.user_id == user_id_column, Shift.ended_at.is_(None))
