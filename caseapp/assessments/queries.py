from __future__ import annotations

import sqlalchemy as sa

from caseapp.assessments.models import Assessment
from caseapp.errors import NotFound
from caseapp.extensions import db


def get_assessment(assessment_id: int) -> Assessment:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound("No such assessment.")
    return assessment


def lock_assessment(assessment_id: int) -> Assessment | None:
    """The assessment, its row locked for the rest of the transaction (FOR UPDATE; nothing on SQLite): two
    corrections of one revision then take turns, and the second sees the first."""
    return db.session.scalars(
        sa.select(Assessment)
        .where(Assessment.id == assessment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def assessments_for_case(case_id: int) -> list[Assessment]:
    """Newest first, with `is_superseded` set on each."""
    query = (
        sa.select(Assessment)
        .where(Assessment.case_id == case_id)
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())
    )
    items = list(db.session.scalars(query))
    superseded = {a.supersedes_id for a in items if a.supersedes_id is not None}
    for item in items:
        item.is_superseded = item.id in superseded
    return items


def is_superseded(assessment_id: int) -> bool:
    query = sa.select(sa.func.count()).where(Assessment.supersedes_id == assessment_id)
    return bool(db.session.scalar(query))


def latest_current_assessment(case_id: int) -> Assessment | None:
    """The case's newest assessment that no later revision corrects."""
    corrected = sa.select(Assessment.supersedes_id).where(
        Assessment.case_id == case_id, Assessment.supersedes_id.is_not(None)
    )
    query = (
        sa.select(Assessment)
        .where(Assessment.case_id == case_id, Assessment.id.not_in(corrected))
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())
        .limit(1)
    )
    return db.session.scalars(query).first()
