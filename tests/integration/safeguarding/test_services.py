"""The rules of a safeguarding record: who may record, change and review one, the reasoning the decision to share
needs, and the review's one-way steps open → under review → closed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from caseapp.access.services import BreakGlassRequired
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.errors import Conflict, Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.safeguarding import services
from caseapp.safeguarding.reference import SafeguardingStatus
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import audit_events


@pytest.fixture
def advisor(db_session: Any) -> User:
    return factories.make_user(role=Role.ADVISOR)


@pytest.fixture
def manager(db_session: Any) -> User:
    return factories.make_user(role=Role.MANAGER)


def _their_case(advisor: User) -> Case:
    return factories.make_case(actor=advisor, assigned_advisor_id=advisor.id)


def test_an_advisor_records_a_concern_on_their_case_and_it_is_audited_with_codes_only(advisor: User) -> None:
    case = _their_case(advisor)

    record = factories.make_safeguarding(case, actor=advisor, at_risk=["children", "caller", "children"])

    assert record.status == SafeguardingStatus.OPEN
    assert record.at_risk == ["children", "caller"]
    assert record.created_by_id == advisor.id
    [event] = audit_events("safeguarding.recorded", entity_id=str(record.id))
    assert event.detail == {"case_id": case.id, "decision": "shared_with_consent", "categories": ["neglect"]}
    assert "alone" not in str(event.detail)


def test_an_advisor_without_a_relationship_to_the_case_may_not_record_one(advisor: User) -> None:
    colleagues = factories.make_case(actor=factories.make_user(role=Role.ADVISOR))

    with pytest.raises(BreakGlassRequired):
        factories.make_safeguarding(colleagues, actor=advisor)


@pytest.mark.parametrize("decision", ["shared_without_consent", "not_shared"])
def test_sharing_without_consent_or_not_sharing_needs_the_reasoning(advisor: User, decision: str) -> None:
    case = _their_case(advisor)

    with pytest.raises(ValidationError) as refused:
        factories.make_safeguarding(case, actor=advisor, decision=decision, decision_reason="   ")

    assert set(refused.value.fields) == {"decision_reason"}


def test_an_agency_contacted_without_its_reference_is_allowed(advisor: User) -> None:
    record = factories.make_safeguarding(_their_case(advisor), actor=advisor, agency="police")

    assert record.agency_reference is None


def test_cross_field_rules_name_each_field(advisor: User) -> None:
    with pytest.raises(ValidationError) as refused:
        factories.make_safeguarding(
            _their_case(advisor),
            actor=advisor,
            at_risk=["caller"],
            children_count=3,
            agency_contacted_at=(now_utc() + timedelta(hours=1)).isoformat(),
        )

    assert set(refused.value.fields) == {"children_count", "agency", "agency_contacted_at"}


def test_an_edit_changes_only_what_was_sent_and_is_audited_with_the_field_names(advisor: User) -> None:
    record = factories.make_safeguarding(_their_case(advisor), actor=advisor)

    services.update_concern(record, {"agency": "childrens_social_care", "agency_reference": "CSC/881"}, actor=advisor)

    assert record.agency_reference == "CSC/881"
    assert record.description == factories.safeguarding_body()["description"]
    [event] = audit_events("safeguarding.updated", entity_id=str(record.id))
    assert event.detail["fields"] == ["agency", "agency_reference"]


def test_an_edit_that_leaves_a_needed_reason_out_is_refused(advisor: User) -> None:
    record = factories.make_safeguarding(_their_case(advisor), actor=advisor)

    with pytest.raises(ValidationError) as refused:
        services.update_concern(record, {"decision": "not_shared"}, actor=advisor)

    assert "decision_reason" in refused.value.fields


def test_only_a_manager_reviews(advisor: User) -> None:
    record = factories.make_safeguarding(_their_case(advisor), actor=advisor)

    with pytest.raises(Forbidden):
        services.review_concern(record, status=SafeguardingStatus.UNDER_REVIEW, outcome_note=None, actor=advisor)


def test_the_review_goes_open_then_under_review_then_closed_with_the_outcome(advisor: User, manager: User) -> None:
    record = factories.make_safeguarding(_their_case(advisor), actor=advisor)

    services.review_concern(record, status=SafeguardingStatus.UNDER_REVIEW, outcome_note=None, actor=manager)
    with pytest.raises(ValidationError) as refused:
        services.review_concern(record, status=SafeguardingStatus.CLOSED, outcome_note=" ", actor=manager)
    assert set(refused.value.fields) == {"outcome_note"}
    services.review_concern(record, status=SafeguardingStatus.CLOSED, outcome_note="CSC visited", actor=manager)

    assert record.status == SafeguardingStatus.CLOSED
    assert record.reviewed_by_id == manager.id
    assert record.review_note == "CSC visited"
    steps = [
        (e.detail["from"], e.detail["to"]) for e in audit_events("safeguarding.reviewed", entity_id=str(record.id))
    ]
    assert steps == [("open", "under_review"), ("under_review", "closed")]


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ([], SafeguardingStatus.CLOSED),  # skipping the review
        ([SafeguardingStatus.UNDER_REVIEW], SafeguardingStatus.OPEN),  # backwards
        ([SafeguardingStatus.UNDER_REVIEW, SafeguardingStatus.CLOSED], SafeguardingStatus.UNDER_REVIEW),
        ([SafeguardingStatus.UNDER_REVIEW, SafeguardingStatus.CLOSED], SafeguardingStatus.CLOSED),
    ],
)
def test_other_steps_are_refused_as_conflicts(
    advisor: User, manager: User, start: list[SafeguardingStatus], to: SafeguardingStatus
) -> None:
    record = factories.make_safeguarding(_their_case(advisor), actor=advisor)
    for status in start:
        services.review_concern(record, status=status, outcome_note="done", actor=manager)

    with pytest.raises(Conflict):
        services.review_concern(record, status=to, outcome_note="again", actor=manager)


def test_a_closed_concern_cannot_be_edited(advisor: User, manager: User) -> None:
    record = factories.make_safeguarding(_their_case(advisor), actor=advisor)
    services.review_concern(record, status=SafeguardingStatus.UNDER_REVIEW, outcome_note=None, actor=manager)
    services.review_concern(record, status=SafeguardingStatus.CLOSED, outcome_note="done", actor=manager)
    db.session.flush()

    with pytest.raises(Conflict):
        services.update_concern(record, {"description": "changed"}, actor=advisor)


def test_a_manager_may_note_a_review_and_leave_the_concern_where_it_is(advisor: User, manager: User) -> None:
    record = factories.make_safeguarding(_their_case(advisor), actor=advisor)

    services.review_concern(
        record, status=SafeguardingStatus.OPEN, outcome_note="Rang CSC, awaiting call", actor=manager
    )

    assert record.status == SafeguardingStatus.OPEN
    assert record.review_note == "Rang CSC, awaiting call"
    assert record.reviewed_at is not None
