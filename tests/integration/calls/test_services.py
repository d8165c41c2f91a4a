"""log_call and drafts below the API: local-time bucketing, tags, what non-data calls touch, autosave limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from caseapp.calls import services
from caseapp.calls.models import CallDraft
from caseapp.errors import NotFound, ValidationError
from caseapp.extensions import db
from caseapp.reference import CallType
from tests import factories
from tests.integration.api_support import audit_events


@pytest.mark.parametrize(
    ("started", "local_date", "local_hour"),
    [
        ("2026-03-29T00:30:00+00:00", "2026-03-29", 0),  # GMT, before the clocks go forward
        ("2026-03-29T01:30:00+00:00", "2026-03-29", 2),  # 01:30 GMT is 02:30 BST (01:00-02:00 never happens)
        ("2026-10-25T00:30:00+00:00", "2026-10-25", 1),  # the first 01:30 (BST)
        ("2026-10-25T01:30:00+00:00", "2026-10-25", 1),  # the second 01:30 (GMT)
        ("2026-10-24T23:30:00+00:00", "2026-10-25", 0),  # already Sunday in London
        ("2025-12-31T23:59:00+00:00", "2025-12-31", 23),
    ],
)
def test_log_call_buckets_the_start_by_london_date_and_hour(
    db_session: Any, started: str, local_date: str, local_hour: int
) -> None:
    call = factories.make_call(started_at=datetime.fromisoformat(started))

    assert (call.local_date.isoformat(), call.local_hour) == (local_date, local_hour)
    assert call.started_at == datetime.fromisoformat(started).astimezone(UTC)


def test_log_call_normalises_tags(db_session: Any) -> None:
    call = factories.make_call(tags=["Heroin", " heroin", "", "  ", "Family"])

    assert call.tags == ["family", "heroin"]


def test_log_call_audits_ids_and_type_only(db_session: Any) -> None:
    actor = factories.make_user()

    call = factories.make_call(actor=actor, notes="private", reason="private")

    [event] = audit_events("call.logged", entity_id=str(call.id))
    assert event.actor_id == actor.id
    assert event.detail == {"call_type": "data", "case_id": call.case_id, "caller_id": call.caller_id}


def test_log_call_of_a_non_data_type_from_a_withheld_number_has_no_caller(db_session: Any) -> None:
    call = factories.make_call(phone=None, call_type=CallType.HANG_UP)

    assert (call.caller_id, call.case_id) == (None, None)


def test_log_call_on_a_case_of_a_withheld_caller_accepts_any_number(db_session: Any) -> None:
    """The number is then known, but a withheld caller is not given it silently (it may be someone else's phone)."""
    case = factories.make_case(factories.make_caller(phone=None))

    call = factories.make_call(case, phone="07400 123458")

    assert call.case_id == case.id
    assert case.caller.phone_e164 is None


def test_save_draft_keeps_only_plain_values_and_drops_the_csrf_token(db_session: Any) -> None:
    actor = factories.make_user()

    draft = services.save_draft(
        {"phone": "0781", "csrf_token": "x", "consent_sms": True, "nested": {"a": 1}, "tags": ["a"]}, actor=actor
    )

    assert draft.data == {"phone": "0781", "consent_sms": True, "tags": ["a"]}


def test_save_draft_refuses_a_huge_draft(db_session: Any) -> None:
    with pytest.raises(ValidationError):
        services.save_draft({"notes": "n" * 70_000}, actor=factories.make_user())


def test_save_draft_refuses_another_advisors_draft(db_session: Any) -> None:
    owner, other = factories.make_user(), factories.make_user()
    draft = services.save_draft({"phone": "0781"}, actor=owner)

    with pytest.raises(NotFound):
        services.save_draft({"phone": "x"}, actor=other, draft_id=draft.id)
    services.discard_draft(draft.id, actor=other)
    db.session.flush()
    assert db.session.get(CallDraft, draft.id) is not None
