from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseapp.errors import NotFound
from caseapp.extensions import db
from caseapp.safeguarding.models import SafeguardingRecord
from caseapp.safeguarding.reference import SafeguardingStatus


def get_record(record_id: int) -> SafeguardingRecord:
    record = db.session.get(SafeguardingRecord, record_id)
    if record is None:
        raise NotFound("No such safeguarding record.")
    return record


def lock_record(record_id: int) -> SafeguardingRecord:
    """The record, locked until the transaction ends (a review and an edit at once wait for each other)."""
    query = (
        sa.select(SafeguardingRecord).where(SafeguardingRecord.id == record_id).with_for_update(of=SafeguardingRecord)
    )
    record = db.session.scalars(query).unique().first()
    if record is None:
        raise NotFound("No such safeguarding record.")
    return record


def records_for_case(case_id: int) -> list[SafeguardingRecord]:
    """A case's safeguarding records, newest first (who recorded and reviewed them loaded with them)."""
    query = sa.select(SafeguardingRecord).where(SafeguardingRecord.case_id == case_id)
    return list(
        db.session.scalars(query.order_by(SafeguardingRecord.created_at.desc(), SafeguardingRecord.id.desc())).unique()
    )


def select_concerns(
    statuses: list[SafeguardingStatus], *, raised_before: datetime | None = None
) -> sa.Select[SafeguardingRecord]:
    """The managers' list: concerns in `statuses` (raised before `raised_before`, when given), oldest first."""
    query = sa.select(SafeguardingRecord).where(SafeguardingRecord.status.in_(statuses))
    if raised_before is not None:
        query = query.where(SafeguardingRecord.created_at < raised_before)
    return query.order_by(SafeguardingRecord.created_at, SafeguardingRecord.id)


def concerns(
    statuses: list[SafeguardingStatus], *, raised_before: datetime | None = None, limit: int = 200
) -> list[SafeguardingRecord]:
    query = select_concerns(statuses, raised_before=raised_before).limit(limit)
    return list(db.session.scalars(query).unique())
