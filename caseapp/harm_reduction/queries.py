from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.harm_reduction.models import HarmReductionPrompt


def responses_for_assessment(assessment_id: int) -> dict[str, HarmReductionPrompt]:
    """rule code → the response recorded on this assessment."""
    query = sa.select(HarmReductionPrompt).where(HarmReductionPrompt.assessment_id == assessment_id)
    return {row.rule_code: row for row in db.session.scalars(query)}


def find_response(assessment_id: int, rule_code: str) -> HarmReductionPrompt | None:
    query = sa.select(HarmReductionPrompt).where(
        HarmReductionPrompt.assessment_id == assessment_id, HarmReductionPrompt.rule_code == rule_code
    )
    return db.session.scalars(query.with_for_update()).one_or_none()


def responses_recorded(start: datetime, end: datetime) -> list[tuple[datetime, str, str]]:
    """(recorded_at, rule code, response) of every response recorded in [start, end), oldest first."""
    query = (
        sa.select(HarmReductionPrompt.recorded_at, HarmReductionPrompt.rule_code, HarmReductionPrompt.response)
        .where(HarmReductionPrompt.recorded_at >= start, HarmReductionPrompt.recorded_at < end)
        .order_by(HarmReductionPrompt.recorded_at)
    )
    return [(at, code, str(response)) for at, code, response in db.session.execute(query)]
