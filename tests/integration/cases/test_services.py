"""Case rules below the API: versions, the concurrent-writer guard, what an assessment does to a case."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from caseapp.cases import services
from caseapp.cases.models import Case
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason, RiskLevel
from tests import factories
from tests.integration.api_support import audit_events


def test_open_case_numbers_the_reference_by_local_year_and_id(db_session: Any) -> None:
    actor = factories.make_user()

    case = services.open_case(factories.make_caller(), actor=actor)

    assert case.reference == f"CA-{case.reference_year}-{case.id:06d}"
    assert case.status == CaseStatus.NEW
    assert case.assigned_advisor_id == actor.id
    [event] = audit_events("case.opened", entity_id=str(case.id))
    assert event.actor_id == actor.id


def test_update_case_bumps_the_version_once_per_change(db_session: Any) -> None:
    case = factories.make_case()
    actor = factories.make_user()

    services.update_case(case, {"status": "assessing", "risk_level": "high"}, expected_version=1, actor=actor)

    assert case.version == 2
    assert case.status == CaseStatus.ASSESSING
    assert case.risk_level == RiskLevel.HIGH


def test_update_case_with_a_stale_version_raises_conflict_with_the_current_one(db_session: Any) -> None:
    case = factories.make_case()
    services.update_case(case, {"risk_level": "low"}, expected_version=1, actor=factories.make_user())

    with pytest.raises(Conflict) as raised:
        services.update_case(case, {"risk_level": "high"}, expected_version=1, actor=factories.make_user())

    assert raised.value.extra == {"current_version": 2}
    assert case.risk_level == RiskLevel.LOW


def test_update_case_refuses_to_overwrite_a_change_committed_after_it_was_read(db_session: Any) -> None:
    """The check against `version` passes, but another writer got in between: the versioned UPDATE matches no row."""
    case = factories.make_case()
    db.session.commit()
    read_version = case.version  # what this writer read
    other_writer = sa.update(Case).where(Case.id == case.id).values(version=Case.version + 1, risk_level="high")
    db.session.execute(other_writer.execution_options(synchronize_session=False))

    with pytest.raises(StaleDataError):
        services.update_case(case, {"risk_level": "low"}, expected_version=read_version, actor=factories.make_user())


def test_update_case_closing_then_reopening_clears_the_reason(db_session: Any) -> None:
    case = factories.make_case(status=CaseStatus.ASSESSED)
    actor = factories.make_user()

    services.update_case(
        case, {"status": "closed", "close_reason": "declined"}, expected_version=case.version, actor=actor
    )
    closed_at = case.closed_at
    services.update_case(case, {"status": "assessing"}, expected_version=case.version, actor=actor)

    assert closed_at is not None
    assert (case.status, case.close_reason, case.closed_at) == (CaseStatus.ASSESSING, None, None)


def test_update_case_refuses_assignment_to_someone_inactive(db_session: Any) -> None:
    case = factories.make_case()
    gone = factories.make_user(is_active=False)

    with pytest.raises(ValidationError) as raised:
        services.update_case(case, {"assigned_advisor_id": gone.id}, expected_version=1, actor=gone)

    assert list(raised.value.fields) == ["assigned_advisor_id"]


@pytest.mark.parametrize(
    ("status", "after"),
    [
        (CaseStatus.NEW, CaseStatus.ASSESSED),
        (CaseStatus.ASSESSING, CaseStatus.ASSESSED),
        (CaseStatus.ASSESSED, CaseStatus.ASSESSED),
        (CaseStatus.REFERRED, CaseStatus.REFERRED),
        (CaseStatus.ADMITTED, CaseStatus.ADMITTED),
        (CaseStatus.CLOSED, CaseStatus.CLOSED),
    ],
)
def test_mark_assessed_moves_only_new_or_assessing_cases(
    db_session: Any, status: CaseStatus, after: CaseStatus
) -> None:
    extra: dict[str, Any] = {"close_reason": CloseReason.OTHER} if status == CaseStatus.CLOSED else {}
    case = factories.make_case(status=status, **extra)

    services.mark_assessed(case)

    assert case.status == after


def test_add_note_stores_trimmed_text_and_audits_the_id(db_session: Any) -> None:
    case = factories.make_case()
    actor = factories.make_user()

    note = services.add_note(case, "  rang back  ", actor=actor)

    assert note.body == "rang back"
    [event] = audit_events("case.note_added", entity_id=str(case.id))
    assert event.detail == {"note_id": note.id}
