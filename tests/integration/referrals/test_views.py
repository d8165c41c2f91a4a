"""The pages: the case page's Referrals section and its one-click changes, the referral page's forms (decline with a
reason, the disclosure, a UK time including the October hour that happens twice), refused forms back as typed, the
follow-up booking form filled in after a send, the case timeline, and access."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.callbacks.models import Callback
from caseapp.cases.models import Case
from caseapp.directory.models import CommercialRelationship, TreatmentService
from caseapp.extensions import db
from caseapp.referrals.history import start_referral
from caseapp.referrals.models import Referral, ReferralStatus
from caseapp.timeutil import now_utc
from tests import factories
from tests.html import form_defaults, forms_on
from tests.integration.page_support import check_error_summary


def _referral(
    advisor: User,
    status: ReferralStatus = ReferralStatus.OFFERED,
    *,
    at: datetime | None = None,
    service: TreatmentService | None = None,
) -> Referral:
    case = factories.make_case(factories.make_caller(consent_callback=True), actor=advisor)
    factories.make_assessment(case, actor=advisor)
    referral = start_referral(
        case_id=case.id,
        service_id=(service or factories.make_treatment_service(name="Oak House")).id,
        status=ReferralStatus.SUGGESTED if status is ReferralStatus.SUGGESTED else ReferralStatus.OFFERED,
        actor=advisor,
        at=at or now_utc() - timedelta(days=1),
    )
    if status not in (ReferralStatus.SUGGESTED, ReferralStatus.OFFERED):
        referral.status = status
        db.session.flush()
    db.session.commit()
    return referral


def _form(client: FlaskClient, path: str, action_end: str, to: str) -> dict[str, str]:
    """The fields of the form on `path` that posts to `action_end` with `to`."""
    html = client.get(path).get_data(as_text=True)
    for form in forms_on(html, path):
        fields = dict(form.defaults())
        if form.path.endswith(action_end) and fields.get("to") == to:
            return fields
    raise AssertionError(f"no {to} form on {path}")


def test_the_case_page_lists_referrals_and_a_one_click_send_leads_to_the_follow_up_booking(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    advisor = login_as(Role.ADVISOR)
    referral = _referral(advisor)
    case_path = f"/cases/{referral.case_id}"
    page = client.get(case_path).get_data(as_text=True)
    fields = _form(client, case_path, f"/referrals/{referral.id}/status", "sent")

    sent = client.post(f"/referrals/{referral.id}/status", data=fields)
    follow_up = client.get(sent.headers["Location"]).get_data(as_text=True)
    booking = form_defaults(follow_up, "follow-up-form")
    booked = client.post(f"/cases/{referral.case_id}/callbacks/new", data=booking)

    assert 'id="referrals-h"' in page
    assert "Oak House" in page
    assert "Offered to caller" in page
    assert sent.status_code == 302
    assert f"/referrals/{referral.id}?follow_up=1" in sent.headers["Location"]
    assert "Book the follow-up callback" in follow_up
    assert booking["reason"] == "Referral follow-up: has Oak House replied?"
    assert booked.status_code == 302, booked.get_data(as_text=True)
    [callback] = db.session.scalars(sa.select(Callback).where(Callback.case_id == referral.case_id)).all()
    assert callback.reason == "Referral follow-up: has Oak House replied?"
    assert callback.assignee_id == advisor.id
    assert db.session.get_one(Referral, referral.id).status is ReferralStatus.SENT


def test_a_decline_without_a_reason_comes_back_as_typed_and_with_one_is_recorded(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    advisor = login_as(Role.ADVISOR)
    referral = _referral(advisor, ReferralStatus.SENT)
    path = f"/referrals/{referral.id}"
    fields = _form(client, path, f"{path}/status", "declined")

    refused = client.post(f"{path}/status", data={**fields, "note": "They rang back at 3pm"})
    html = refused.get_data(as_text=True)
    done = client.post(f"{path}/status", data={**fields, "decline_reason": "no_capacity", "note": "Full until March"})
    shown = client.get(path).get_data(as_text=True)

    assert refused.status_code == 422
    check_error_summary(html)
    assert "Choose why the service declined the referral." in html
    assert "They rang back at 3pm" in html
    assert done.status_code == 302
    stored = db.session.get_one(Referral, referral.id)
    db.session.refresh(stored)
    assert stored.status is ReferralStatus.DECLINED
    assert "Full until March" in shown
    assert "Sent → Declined" in shown


def test_offering_a_linked_service_on_the_page_needs_the_disclosure_ticked(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    advisor = login_as(Role.ADVISOR)
    linked = factories.make_treatment_service(
        name="Elm Clinic", commercial_relationship=CommercialRelationship.OWNERSHIP
    )
    referral = _referral(advisor, ReferralStatus.SUGGESTED, service=linked)
    path = f"/referrals/{referral.id}"
    fields = _form(client, path, f"{path}/status", "offered")

    refused = client.post(f"{path}/status", data=fields)
    done = client.post(f"{path}/status", data={**fields, "disclosed": "on"})

    assert refused.status_code == 422
    check_error_summary(refused.get_data(as_text=True))
    assert "commercial relationship" in refused.get_data(as_text=True)
    assert done.status_code == 302
    assert db.session.get_one(Referral, referral.id).status is ReferralStatus.OFFERED


def test_an_admission_in_the_october_hour_that_happens_twice_asks_which_and_records_the_one_chosen(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    with time_machine.travel(datetime(2026, 10, 26, 12, 0, tzinfo=UTC), tick=False):
        advisor = login_as(Role.ADVISOR)
        referral = _referral(advisor, ReferralStatus.ACCEPTED, at=datetime(2026, 10, 24, 9, 0, tzinfo=UTC))
        path = f"/referrals/{referral.id}"
        fields = _form(client, path, f"{path}/status", "admitted")

        asked = client.post(f"{path}/status", data={**fields, "at": "2026-10-25T01:30"})
        chosen = client.post(f"{path}/status", data={**fields, "at": "2026-10-25T01:30", "at__fold": "1"})

    html = asked.get_data(as_text=True)
    assert asked.status_code == 422
    assert "happens twice" in html
    assert 'name="at__fold"' in html
    assert 'value="2026-10-25T01:30"' in html
    assert chosen.status_code == 302, chosen.get_data(as_text=True)
    stored = db.session.get_one(Referral, referral.id)
    db.session.refresh(stored)
    assert stored.admitted_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # the second 01:30 is GMT


def test_a_stale_one_click_change_is_refused_with_the_page_saying_why(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    advisor = login_as(Role.ADVISOR)
    referral = _referral(advisor)
    fields = _form(client, f"/cases/{referral.case_id}", f"/referrals/{referral.id}/status", "withdrawn")
    client.post(f"/referrals/{referral.id}/status", data=_form(client, f"/referrals/{referral.id}", "/status", "sent"))

    stale = client.post(f"/referrals/{referral.id}/status", data=fields)

    assert stale.status_code == 409
    assert "changed by someone else" in stale.get_data(as_text=True)
    assert db.session.get_one(Referral, referral.id).status is ReferralStatus.SENT


def test_each_change_is_on_the_case_timeline_with_the_service_who_and_when(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    advisor = login_as(Role.ADVISOR, full_name="Robin Advisor")
    referral = _referral(advisor)
    path = f"/referrals/{referral.id}"
    client.post(f"{path}/status", data={**_form(client, path, f"{path}/status", "sent"), "note": "Faxed it"})
    client.post(f"{path}/status", data=_form(client, path, f"{path}/status", "accepted"))

    page = client.get(f"/cases/{referral.case_id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline-h"') :]

    assert "Referral to Oak House: offered to caller → sent" in timeline
    assert "Referral to Oak House: sent → accepted" in timeline
    assert "Referral to Oak House: offered to caller</strong>" in timeline
    assert timeline.index("sent → accepted") < timeline.index("offered to caller → sent")  # newest first
    assert "Robin Advisor" in timeline
    assert "Faxed it" in timeline


def test_an_unrelated_advisor_may_not_open_or_change_a_referral(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    owner = factories.make_user(role=Role.ADVISOR)
    referral = _referral(owner)
    login_as(Role.ADVISOR)

    page = client.get(f"/referrals/{referral.id}")
    missing = client.get("/referrals/999999999")

    assert page.status_code == 403
    assert missing.status_code == 404
    case = db.session.get_one(Case, referral.case_id)
    assert case.status.value == "assessed"
