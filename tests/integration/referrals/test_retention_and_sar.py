"""A referral's notes are the staff's words about the caller: cleared when the case is anonymised (the statuses,
times and decline reasons stay for the reports), and given back to the caller in the subject access export with the
referral and its history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason
from caseapp.referrals.history import start_referral
from caseapp.referrals.models import DeclineReason, ReferralEvent, ReferralStatus
from caseapp.referrals.workflow import change_status
from caseapp.retention import services as retention
from caseapp.sar.services import build_export
from caseapp.timeutil import now_utc
from tests import factories


def _declined_with_notes(closed_months_ago: int | None = None) -> tuple[Case, list[int]]:
    advisor = factories.make_user(role=Role.ADVISOR)
    case = factories.make_case(actor=advisor)
    service = factories.make_treatment_service(name="Birch Lodge")
    referral = start_referral(
        case_id=case.id,
        service_id=service.id,
        status=ReferralStatus.OFFERED,
        actor=advisor,
        at=now_utc() - timedelta(days=3),
        note="Offered after she mentioned her sister",
    )
    sent = change_status(referral, ReferralStatus.SENT, advisor, note="Sent; partner must not know", version=1)
    declined = change_status(
        referral,
        ReferralStatus.DECLINED,
        advisor,
        decline_reason=DeclineReason.OTHER,
        note="Declined: lives with the person she drinks with",
        version=referral.version,
    )
    if closed_months_ago is not None:
        case.status, case.close_reason = CaseStatus.CLOSED, CloseReason.OTHER
        case.closed_at = now_utc() - relativedelta(months=closed_months_ago)
    db.session.flush()
    return case, [referral.events[0].id, sent.event.id, declined.event.id]


def test_anonymising_a_case_clears_its_referral_notes_and_keeps_the_steps(db_session: Any) -> None:
    old, old_events = _declined_with_notes(closed_months_ago=25)
    kept, kept_events = _declined_with_notes(closed_months_ago=1)

    run = retention.apply_retention(commit=db.session.flush)

    db.session.expire_all()
    assert old.id in run.case_ids
    gone = [db.session.get_one(ReferralEvent, i) for i in old_events]
    assert [e.note for e in gone] == [None, None, None]
    assert [e.to_status for e in gone] == [ReferralStatus.OFFERED, ReferralStatus.SENT, ReferralStatus.DECLINED]
    assert gone[-1].decline_reason is DeclineReason.OTHER
    assert db.session.get_one(ReferralEvent, kept_events[1]).note == "Sent; partner must not know"


def test_the_subject_access_export_holds_the_callers_referrals_with_their_history(db_session: Any) -> None:
    case, event_ids = _declined_with_notes()
    _, other_events = _declined_with_notes()

    document = build_export(case.caller).document

    assert [r["case_id"] for r in document["referrals"]] == [case.id]
    assert document["referrals"][0]["service_name"] == "Birch Lodge"
    assert document["referrals"][0]["status"] == "declined"
    assert [e["id"] for e in document["referral_events"]] == event_ids
    assert document["referral_events"][1]["note"] == "Sent; partner must not know"
    assert not set(other_events) & {e["id"] for e in document["referral_events"]}
    assert any(row["record_type"] == "referral" for row in document["access"])
    html = build_export(case.caller).html_text
    assert "Referral events" in html
