from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseapp.errors import NotFound
from caseapp.extensions import db
from caseapp.screenings.models import ClinicianScore, Screening, ScreeningStatus


def get_screening(screening_id: int) -> Screening:
    screening = db.session.get(Screening, screening_id)
    if screening is None:
        raise NotFound("No such screening.")
    return screening


def lock_screening(screening_id: int) -> Screening:
    """The screening with its row locked (FOR UPDATE; nothing on SQLite): two completions of one draft take turns."""
    screening = db.session.scalars(
        sa.select(Screening)
        .where(Screening.id == screening_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if screening is None:
        raise NotFound("No such screening.")
    return screening


def screenings_for_case(case_id: int) -> list[Screening]:
    """Newest first."""
    query = (
        sa.select(Screening)
        .where(Screening.case_id == case_id)
        .order_by(Screening.recorded_at.desc(), Screening.id.desc())
    )
    return list(db.session.scalars(query))


def latest_complete_per_instrument(case_id: int) -> list[Screening]:
    """The newest complete screening of each instrument on the case (the case page's block)."""
    latest: dict[str, Screening] = {}
    for screening in screenings_for_case(case_id):
        if screening.status == ScreeningStatus.COMPLETE:
            latest.setdefault(screening.instrument.value, screening)
    return list(latest.values())


def completed_between(start: datetime, end: datetime) -> list[tuple[datetime, str, str]]:
    """(completed_at, instrument, band) of every screening completed in [start, end), oldest first."""
    query = (
        sa.select(Screening.completed_at, Screening.instrument, Screening.band)
        .where(
            Screening.status == ScreeningStatus.COMPLETE,
            Screening.completed_at >= start,
            Screening.completed_at < end,
        )
        .order_by(Screening.completed_at)
    )
    return [(at, str(instrument), str(band)) for at, instrument, band in db.session.execute(query) if at]


def suggestions_for_cases(case_ids: list[int], before: datetime) -> list[tuple[int, datetime, str]]:
    """(case id, completed_at, suggested pathway) of the cases' complete screenings with a suggestion, completed
    before `before`, oldest first."""
    if not case_ids:
        return []
    query = (
        sa.select(Screening.case_id, Screening.completed_at, Screening.suggested_pathway)
        .where(
            Screening.case_id.in_(case_ids),
            Screening.status == ScreeningStatus.COMPLETE,
            Screening.suggested_pathway.is_not(None),
            Screening.completed_at < before,
        )
        .order_by(Screening.completed_at, Screening.id)
    )
    return [(case_id, at, str(pathway)) for case_id, at, pathway in db.session.execute(query) if at]


def clinician_scores_for_case(case_id: int) -> list[ClinicianScore]:
    """Newest assessment first."""
    query = (
        sa.select(ClinicianScore)
        .where(ClinicianScore.case_id == case_id)
        .order_by(ClinicianScore.assessed_at.desc(), ClinicianScore.id.desc())
    )
    return list(db.session.scalars(query))
