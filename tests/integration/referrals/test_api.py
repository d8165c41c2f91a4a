"""The referrals API on PostgreSQL: every allowed change and a sample of refused ones with the error envelope, decline
reasons, the disclosure on suggested → offered, a stale version, access (403/404, lists scoped to the cases one may
see), the proposed follow-up and booking it in the same transaction, and the audit trail. Every response is checked
against the OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.callbacks.models import Callback
from caseapp.cases.models import Case
from caseapp.directory.models import CommercialRelationship, TreatmentService
from caseapp.extensions import db
from caseapp.reference import CaseStatus, FundingRoute, Pathway
from caseapp.referrals.history import start_referral
from caseapp.referrals.models import (
    DeclineReason,
    Referral,
    ReferralEvent,
    ReferralOffer,
    ReferralOfferItem,
    ReferralStatus,
)
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import Api, audit_events

#: every allowed change, as the issue lists them (and the re-send after a missed admission)
ALLOWED = [
    ("suggested", "offered"),
    ("suggested", "withdrawn"),
    ("offered", "sent"),
    ("offered", "withdrawn"),
    ("sent", "accepted"),
    ("sent", "declined"),
    ("sent", "waitlisted"),
    ("sent", "withdrawn"),
    ("waitlisted", "accepted"),
    ("waitlisted", "declined"),
    ("waitlisted", "withdrawn"),
    ("accepted", "admitted"),
    ("accepted", "did_not_attend"),
    ("accepted", "withdrawn"),
    ("did_not_attend", "sent"),
    ("did_not_attend", "withdrawn"),
]
REFUSED = [
    ("suggested", "sent", ["offered", "withdrawn"]),
    ("offered", "admitted", ["sent", "withdrawn"]),
    ("sent", "admitted", ["accepted", "declined", "waitlisted", "withdrawn"]),
    ("admitted", "withdrawn", []),
    ("declined", "sent", []),
    ("withdrawn", "offered", []),
    ("offered", "offered", ["sent", "withdrawn"]),
]


def _referral(
    api: Api,
    status: str = "offered",
    *,
    service: TreatmentService | None = None,
    consent: bool = True,
    at_days_ago: int = 2,
    case: Case | None = None,
) -> Referral:
    """A referral on an assessed case of the signed-in advisor, in `status` (reached through the workflow's own
    first step, then set directly for the later states the test starts from)."""
    if case is None:
        case = factories.make_case(factories.make_caller(consent_callback=consent), actor=api.account)
        factories.make_assessment(case, actor=api.account)
    referral = start_referral(
        case_id=case.id,
        service_id=(service or factories.make_treatment_service()).id,
        status=ReferralStatus.SUGGESTED if status == "suggested" else ReferralStatus.OFFERED,
        actor=api.account,
        at=now_utc() - timedelta(days=at_days_ago),
    )
    if status not in ("suggested", "offered"):
        referral.status = ReferralStatus(status)
        referral.decline_reason = DeclineReason.NO_CAPACITY if status == "declined" else None
        if status == "admitted":
            referral.admitted_at = referral.status_changed_at
        db.session.flush()
    db.session.commit()
    return referral


def _change(api: Api, referral: Referral, to: str, **body: Any) -> Any:
    version = body.pop("version", None) or db.session.get_one(Referral, referral.id).version
    return api.post(f"/api/v1/referrals/{referral.id}/status", json={"to": to, "version": version, **body})


def _extra(to: str) -> dict[str, Any]:
    if to == "declined":
        return {"decline_reason": "no_capacity"}
    return {}


@pytest.mark.parametrize(("start", "to"), ALLOWED)
def test_change_status_applies_every_allowed_change(api: Api, start: str, to: str) -> None:
    referral = _referral(api, start)
    before = referral.version

    response = _change(api, referral, to, note="Spoke to intake", **_extra(to))

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == to
    assert body["version"] == before + 1
    assert [(e["from_status"], e["to_status"]) for e in body["events"]][-1] == (start, to)
    assert body["events"][-1]["note"] == "Spoke to intake"
    assert body["events"][-1]["actor_id"] == api.user_id
    [event] = audit_events("referral.status_changed", entity_id=str(referral.id))
    assert (event.detail["from"], event.detail["to"], event.actor_id) == (start, to, api.user_id)
    assert "Spoke to intake" not in str(event.detail)


@pytest.mark.parametrize(("start", "to", "allowed"), REFUSED)
def test_change_status_refuses_an_impossible_change_with_409_saying_what_is_allowed(
    api: Api, start: str, to: str, allowed: list[str]
) -> None:
    referral = _referral(api, start)

    response = _change(api, referral, to, **_extra(to))

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "invalid_transition"
    assert (error["from"], error["to"], error["allowed"]) == (start, to, allowed)
    assert f"{start} cannot become {to}" in error["message"]
    assert db.session.get_one(Referral, referral.id).status.value == start
    assert not audit_events("referral.status_changed", entity_id=str(referral.id))


def test_declined_needs_a_reason_and_other_needs_a_note(api: Api) -> None:
    referral = _referral(api, "sent")

    no_reason = _change(api, referral, "declined")
    other_without_note = _change(api, referral, "declined", decline_reason="other", note="  ")
    reason_elsewhere = _change(api, referral, "accepted", decline_reason="no_capacity")
    unknown = _change(api, referral, "declined", decline_reason="busy")
    other = _change(api, referral, "declined", decline_reason="other", note="Closed for refurbishment")

    assert no_reason.status_code == 422
    assert set(no_reason.get_json()["error"]["fields"]) == {"decline_reason"}
    assert other_without_note.status_code == 422
    assert set(other_without_note.get_json()["error"]["fields"]) == {"note"}
    assert reason_elsewhere.status_code == 422
    assert set(reason_elsewhere.get_json()["error"]["fields"]) == {"decline_reason"}
    assert unknown.status_code == 422
    assert set(unknown.get_json()["error"]["fields"]) == {"decline_reason"}
    assert other.status_code == 200, other.get_json()
    assert (other.get_json()["decline_reason"], other.get_json()["events"][-1]["decline_reason"]) == ("other", "other")
    stored = db.session.get_one(Referral, referral.id)
    db.session.refresh(stored)
    assert stored.decline_reason is DeclineReason.OTHER


def _offered_item(api: Api, service: TreatmentService) -> tuple[Referral, ReferralOfferItem]:
    case = factories.make_case(factories.make_caller(consent_callback=True), actor=api.account)
    offer = ReferralOffer(
        case_id=case.id,
        advisor_id=api.user_id,
        pathway=Pathway.RESIDENTIAL_REHAB,
        funding_route=FundingRoute.NHS_LOCAL_AUTHORITY,
        reason="Best fit",
    )
    item = ReferralOfferItem(
        service_id=service.id, rank=1, offered=False, commercial_relationship=service.commercial_relationship
    )
    offer.items.append(item)
    db.session.add(offer)
    db.session.flush()
    referral = start_referral(
        case_id=case.id,
        service_id=service.id,
        status=ReferralStatus.SUGGESTED,
        actor=api.account,
        at=now_utc() - timedelta(hours=1),
        offer_item=item,
    )
    db.session.commit()
    return referral, item


def test_offering_a_suggested_service_with_a_commercial_link_needs_the_disclosure(api: Api) -> None:
    linked = factories.make_treatment_service(commercial_relationship=CommercialRelationship.COMMISSION)
    referral, item = _offered_item(api, linked)

    missing = _change(api, referral, "offered")
    refused = _change(api, referral, "offered", disclosed=False)
    done = _change(api, referral, "offered", disclosed=True)

    for response in (missing, refused):
        assert response.status_code == 422
        assert set(response.get_json()["error"]["fields"]) == {"disclosed"}
        assert "commercial relationship" in response.get_json()["error"]["message"]
    assert done.status_code == 200, done.get_json()
    db.session.refresh(item)
    assert (item.offered, item.disclosed) == (True, True)
    [event] = audit_events("referral.status_changed", entity_id=str(referral.id))
    assert event.detail["disclosed"] is True


def test_offering_a_service_with_no_commercial_link_records_no_disclosure(api: Api) -> None:
    referral, item = _offered_item(api, factories.make_treatment_service())

    done = _change(api, referral, "offered")
    misplaced = _change(api, referral, "sent", disclosed=True)

    assert done.status_code == 200, done.get_json()
    db.session.refresh(item)
    assert (item.offered, item.disclosed) == (True, None)
    assert misplaced.status_code == 422
    assert set(misplaced.get_json()["error"]["fields"]) == {"disclosed"}


def test_a_stale_version_is_409_and_changes_nothing(api: Api) -> None:
    referral = _referral(api, "offered")
    old = referral.version
    assert _change(api, referral, "sent").status_code == 200

    stale = _change(api, referral, "withdrawn", version=old)

    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "conflict"
    assert stale.get_json()["error"]["current_version"] == old + 1
    assert db.session.get_one(Referral, referral.id).status is ReferralStatus.SENT


def test_the_time_may_be_earlier_but_not_before_the_previous_step_nor_in_the_future(api: Api) -> None:
    referral = _referral(api, "offered", at_days_ago=3)
    yesterday = now_utc() - timedelta(days=1)

    future = _change(api, referral, "sent", at=(now_utc() + timedelta(hours=1)).isoformat())
    too_early = _change(api, referral, "sent", at=(now_utc() - timedelta(days=4)).isoformat())
    naive = _change(api, referral, "sent", at="2026-01-01T10:00:00")
    given = _change(api, referral, "sent", at=yesterday.isoformat())

    for response in (future, too_early, naive):
        assert response.status_code == 422
        assert set(response.get_json()["error"]["fields"]) == {"at"}
    assert "before the referral's previous step" in too_early.get_json()["error"]["message"]
    assert given.status_code == 200, given.get_json()
    stored = db.session.get_one(Referral, referral.id)
    db.session.refresh(stored)
    assert stored.sent_at == stored.status_changed_at
    assert abs((stored.sent_at - yesterday).total_seconds()) < 1


def test_admitted_sets_admitted_at_and_moves_the_case_and_withdrawing_the_last_live_one_moves_it_back(api: Api) -> None:
    referral = _referral(api, "offered")
    other = _referral(api, "offered", case=db.session.get_one(Case, referral.case_id))

    _change(api, referral, "sent")
    _change(api, other, "sent")
    case = db.session.get_one(Case, referral.case_id)
    db.session.refresh(case)
    assert case.status is CaseStatus.REFERRED
    _change(api, other, "withdrawn")
    db.session.refresh(case)
    assert case.status is CaseStatus.REFERRED  # the first is still with its service
    _change(api, referral, "accepted")
    admitted = _change(api, referral, "admitted")

    assert admitted.status_code == 200
    assert admitted.get_json()["admitted_at"] is not None
    db.session.refresh(case)
    assert case.status is CaseStatus.ADMITTED
    moves = [e.detail for e in audit_events("case.updated", entity_id=str(case.id)) if "referral_id" in e.detail]
    assert [m["status"] for m in moves] == [["assessed", "referred"], ["referred", "admitted"]]


def test_a_declined_referral_moves_a_referred_case_back_to_assessed(api: Api) -> None:
    referral = _referral(api, "offered")
    _change(api, referral, "sent")

    _change(api, referral, "declined", decline_reason="criteria_not_met")

    case = db.session.get_one(Case, referral.case_id)
    db.session.refresh(case)
    assert case.status is CaseStatus.ASSESSED


def test_sent_proposes_a_follow_up_in_three_days_and_books_it_on_request(api: Api) -> None:
    referral = _referral(api, "offered")
    service_name = referral.service.name

    proposed = _change(api, referral, "sent")
    callbacks_before = db.session.scalar(
        sa.select(sa.func.count()).select_from(Callback).where(Callback.case_id == referral.case_id)
    )
    booked = _change(api, referral, "accepted", book_follow_up=True)

    assert proposed.status_code == 200
    proposal = proposed.get_json()["proposed_callback"]
    assert proposal["reason"] == f"Referral follow-up: has {service_name} replied?"
    assert proposed.get_json()["booked_callback_id"] is None
    assert callbacks_before == 0
    assert booked.status_code == 422  # accepted proposes no follow-up: refused, and the change with it
    assert set(booked.get_json()["error"]["fields"]) == {"book_follow_up"}
    assert db.session.get_one(Referral, referral.id).status is ReferralStatus.SENT


def test_book_follow_up_books_the_callback_in_the_same_transaction(api: Api) -> None:
    referral = _referral(api, "offered")

    response = _change(api, referral, "sent", book_follow_up=True)

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    callback = db.session.get_one(Callback, body["booked_callback_id"])
    assert callback.case_id == referral.case_id
    assert callback.assignee_id == api.user_id
    assert callback.reason == body["proposed_callback"]["reason"]
    assert callback.due_at == datetime.fromisoformat(body["proposed_callback"]["due_at"])
    assert audit_events("callback.booked", entity_id=str(callback.id))


def test_book_follow_up_without_callback_consent_is_refused_and_the_change_is_not_applied(api: Api) -> None:
    referral = _referral(api, "offered", consent=False)

    proposed = _change(api, referral, "sent")

    assert proposed.status_code == 200
    assert proposed.get_json()["proposed_callback"] is None
    again = _referral(api, "offered", consent=False)
    booked = _change(api, again, "sent", book_follow_up=True)
    assert booked.status_code == 422
    assert "agreed to be called back" in booked.get_json()["error"]["fields"]["book_follow_up"][0]
    assert db.session.get_one(Referral, again.id).status is ReferralStatus.OFFERED
    assert not audit_events("referral.status_changed", entity_id=str(again.id))


def test_reading_a_referral_shows_its_history_and_is_audited(api: Api) -> None:
    referral = _referral(api, "offered")
    _change(api, referral, "sent", note="Emailed the referral form")

    one = api.get(f"/api/v1/referrals/{referral.id}")
    for_case = api.get(f"/api/v1/cases/{referral.case_id}/referrals")

    assert one.status_code == 200
    assert [(e["from_status"], e["to_status"]) for e in one.get_json()["events"]] == [
        (None, "offered"),
        ("offered", "sent"),
    ]
    assert one.get_json()["allowed"] == ["accepted", "declined", "waitlisted", "withdrawn"]
    assert one.get_json()["service_name"] == referral.service.name
    assert [r["id"] for r in for_case.get_json()["items"]] == [referral.id]
    assert audit_events("referral.viewed", entity_id=str(referral.id))
    assert any(referral.id in e.detail["ids"] for e in audit_events("referral.listed"))


def test_an_unrelated_advisor_gets_403_a_missing_referral_404_and_the_list_leaves_others_out(
    api: Api, api_as: Callable[..., Api]
) -> None:
    referral = _referral(api, "offered")
    stranger = api_as(Role.ADVISOR)
    manager = api_as(Role.MANAGER)

    read = stranger.get(f"/api/v1/referrals/{referral.id}")
    change = _change(stranger, referral, "sent")
    case_list = stranger.get(f"/api/v1/cases/{referral.case_id}/referrals")
    missing = api.get("/api/v1/referrals/999999999")
    listed = stranger.get("/api/v1/referrals").get_json()["items"]
    managers = manager.get(f"/api/v1/referrals?case={referral.case_id}").get_json()["items"]

    assert read.status_code == 403
    assert change.status_code == 403
    assert case_list.status_code == 403
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert referral.id not in [r["id"] for r in listed]
    assert [r["id"] for r in managers] == [referral.id]
    assert db.session.get_one(Referral, referral.id).status is ReferralStatus.OFFERED


def test_the_list_filters_by_status_service_and_case_and_pages_by_cursor(api: Api) -> None:
    service = factories.make_treatment_service()
    made = [_referral(api, "offered", service=service, at_days_ago=days) for days in (1, 2, 3)]
    _referral(api, "offered")
    _change(api, made[0], "sent")

    first = api.get(f"/api/v1/referrals?service={service.id}&limit=2").get_json()
    second = api.get(f"/api/v1/referrals?service={service.id}&limit=2&cursor={first['next']}").get_json()
    sent = api.get(f"/api/v1/referrals?service={service.id}&status=sent").get_json()["items"]
    by_case = api.get(f"/api/v1/referrals?case={made[1].case_id}").get_json()["items"]
    bad = api.get("/api/v1/referrals?status=lost&cursor=nonsense")

    assert [r["id"] for r in first["items"] + second["items"]] == [m.id for m in made]  # most recently changed first
    assert second["next"] is None
    assert [r["id"] for r in sent] == [made[0].id]
    assert [r["id"] for r in by_case] == [made[1].id]
    assert bad.status_code == 422


def test_history_entries_count_the_changes(api: Api) -> None:
    referral = _referral(api, "offered")
    for to in ("sent", "waitlisted", "accepted", "admitted"):
        assert _change(api, referral, to).status_code == 200

    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
    )
    assert count == 5
