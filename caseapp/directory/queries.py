"""Every read of the treatment services directory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from caseapp.directory.models import Funding, Region, Regulator, ServiceType, TreatmentService
from caseapp.errors import NotFound
from caseapp.extensions import db
from caseapp.reference import Substance


def get_service(service_id: int) -> TreatmentService:
    service = db.session.get(TreatmentService, service_id)
    if service is None:
        raise NotFound("No such service in the directory.")
    return service


def lock_service(service_id: int) -> TreatmentService:
    """The service, locked until the transaction ends (a change compares its version under the lock)."""
    service = db.session.scalars(
        sa.select(TreatmentService).where(TreatmentService.id == service_id).with_for_update()
    ).one_or_none()
    if service is None:
        raise NotFound("No such service in the directory.")
    return service


def find_by_regulator_id(
    regulator: Regulator, regulator_id: str, *, other_than: int | None = None
) -> TreatmentService | None:
    query = sa.select(TreatmentService).where(
        TreatmentService.regulator == regulator, TreatmentService.regulator_id == regulator_id
    )
    if other_than is not None:
        query = query.where(TreatmentService.id != other_than)
    return db.session.scalars(query).first()


def services_by_regulator_ids(keys: Sequence[tuple[Regulator, str]]) -> dict[tuple[Regulator, str], TreatmentService]:
    """The services already registered under any of `keys` (an import's rows), by (regulator, regulator id)."""
    if not keys:
        return {}
    query = sa.select(TreatmentService).where(
        sa.tuple_(TreatmentService.regulator, TreatmentService.regulator_id).in_([tuple(k) for k in keys])
    )
    return {(s.regulator, s.regulator_id or ""): s for s in db.session.scalars(query)}


def count_services() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(TreatmentService)) or 0


def _lists(column: Any, code: str) -> sa.ColumnElement[bool]:
    """The JSON list in `column` holds `code` (JSONB containment on Postgres; the quoted code in the text on
    SQLite, safe because codes come from a fixed list)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(column, JSONB).contains([code])
    return sa.cast(column, sa.Text).like(f'%"{code}"%')


def _is_empty(column: Any) -> sa.ColumnElement[bool]:
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.jsonb_array_length(sa.cast(column, JSONB)) == 0
    return sa.cast(column, sa.Text) == "[]"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def select_services(
    *,
    types: Sequence[ServiceType] = (),
    regions: Sequence[Region] = (),
    substance: Substance | None = None,
    funding: Funding | None = None,
    active: bool | None = True,
    name: str | None = None,
) -> sa.Select[TreatmentService]:
    """The directory filtered; ordered by name then id by the caller (keyset pages, or page numbers).

    `substance`: services that treat it, or that list no substance (they take any); `active` None: both."""
    query = sa.select(TreatmentService)
    if types:
        query = query.where(TreatmentService.service_type.in_(types))
    if regions:
        query = query.where(TreatmentService.region.in_(regions))
    if substance is not None:
        column = TreatmentService.substances
        query = query.where(sa.or_(_lists(column, substance.value), _is_empty(column)))
    if funding is not None:
        query = query.where(_lists(TreatmentService.funding, funding.value))
    if active is not None:
        query = query.where(TreatmentService.is_active.is_(active))
    if name and name.strip():
        query = query.where(TreatmentService.name.ilike(f"%{_escape_like(name.strip())}%", escape="\\"))
    return query


def by_name(query: sa.Select[TreatmentService]) -> sa.Select[TreatmentService]:
    return query.order_by(TreatmentService.name, TreatmentService.id)
