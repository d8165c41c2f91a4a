"""record_assessment below the API: what is stored, revisions, and the case's risk."""

from __future__ import annotations

from typing import Any

from caseapp.assessments import queries
from caseapp.reference import RiskLevel, Substance
from tests import factories


def test_record_assessment_keeps_columns_and_the_other_answers_as_json(db_session: Any) -> None:
    assessment = factories.make_assessment(
        last_use_at="2026-11-24T22:00:00+00:00", contributing_factors=["trauma"], naloxone_held=False
    )

    assert assessment.primary_substance == Substance.HEROIN
    assert assessment.form_version == 2
    assert assessment.answers["last_use_at"] == "2026-11-24T22:00:00+00:00"
    assert assessment.answers["contributing_factors"] == ["trauma"]
    assert assessment.answers["naloxone_held"] is False
    assert "risk_level" not in assessment.answers  # a column, not repeated in answers


def test_the_latest_assessment_sets_the_case_risk_even_when_lower(db_session: Any) -> None:
    case = factories.make_case()

    factories.make_assessment(case, risk_level="high")
    factories.make_assessment(case, risk_level="low")

    assert case.risk_level == RiskLevel.LOW


def test_assessments_for_case_marks_superseded_revisions(db_session: Any) -> None:
    case = factories.make_case()
    first = factories.make_assessment(case)
    second = factories.make_assessment(case, supersedes_id=first.id)
    separate = factories.make_assessment(case)

    listed = {a.id: a.is_superseded for a in queries.assessments_for_case(case.id)}

    assert listed == {first.id: True, second.id: False, separate.id: False}
    assert (second.revision, separate.revision) == (2, 1)
    assert queries.is_superseded(first.id)


def test_immediate_danger_alerts_only_the_managers_on_shift_when_any_is_on_shift(db_session):
    import sqlalchemy as sa

    from caseapp.assessments.services import record_assessment
    from caseapp.auth.models import Role
    from caseapp.notifications.models import Notification

    on_shift = factories.make_user(role=Role.MANAGER)
    factories.make_shift(on_shift)
    off_shift = factories.make_user(role=Role.MANAGER)
    case = factories.make_case()
    record_assessment(
        case, factories.assessment_answers(risk_level=RiskLevel.IMMEDIATE_DANGER), actor=factories.make_user()
    )
    recipients = set(db_session.scalars(sa.select(Notification.user_id).where(Notification.kind == "immediate_danger")))
    assert on_shift.id in recipients
    assert off_shift.id not in recipients
