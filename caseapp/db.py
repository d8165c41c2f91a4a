"""Declarative base, naming convention and the UTCDateTime column type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on PostgreSQL and SQLite alike; naive values are refused."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_cls: Any, name: str, length: int = 32) -> sa.Enum:
    """A StrEnum stored as its value with a named CHECK constraint (portable, migration-friendly)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    # a bare Mapped[datetime] becomes UTCDateTime: no naive timestamps anywhere
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION), type_annotation_map={datetime: UTCDateTime()}
    )


class CreatedAtMixin:
    #: set by the database clock on insert
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), nullable=False)


#: indexes a migration makes on PostgreSQL only (pg_trgm's GIN index on caller names: migration 4f2a9c1e7b30), which
#: the models cannot declare for one dialect; autogenerate and `caseapp db check` leave them alone
MIGRATION_ONLY_INDEXES = frozenset({"ix_callers_name_trgm"})


#: foreign keys that a migration adds on PostgreSQL only: SQLite cannot add one to an existing table without
#: rebuilding it, which would drop its report triggers (migration 9d3e5b7a1c24)
POSTGRESQL_ONLY_FOREIGN_KEYS = frozenset({"fk_cases_legal_hold_by_id_users", "fk_callers_merged_into_id_callers"})


def include_in_autogenerate(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's include_object hook: everything but the migration-only indexes found in the database, and on SQLite
    the PostgreSQL-only foreign keys."""
    if kind == "index" and reflected and compare_to is None and name in MIGRATION_ONLY_INDEXES:
        return False
    if kind == "foreign_key_constraint" and not reflected and name in POSTGRESQL_ONLY_FOREIGN_KEYS:
        from caseapp.extensions import db  # noqa: PLC0415 - only while comparing, inside the app

        return db.engine.dialect.name != "sqlite"
    return True
