"""A caller's consents change only by an explicit act: a repeat call logged from the page keeps them, a change is
saved only when the advisor made it, and each change is recorded as a consent change."""

from __future__ import annotations

import json
import re
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role
from caseapp.callers.models import Caller
from caseapp.extensions import db
from caseapp.reference import Relationship
from tests import factories
from tests.html import form_defaults

NATIONAL, TYPED_DIFFERENTLY = "07811 606 606", "+44 7811 606606"
CONSENTS = ("consent_callback", "consent_voicemail", "consent_sms")


def _known_caller() -> Caller:
    return _known_caller_and_case()[0]


def _known_caller_and_case() -> tuple[Caller, int]:
    caller = factories.make_caller(
        phone=NATIONAL,
        name="Jo",
        relationship=Relationship.PARENT,
        consent_callback=True,
        consent_voicemail=True,
        consent_sms=False,
        safe_to_call_notes="Ring after 6pm",
    )
    case = factories.make_case(caller)
    db.session.commit()
    return caller, case.id


def _form(client: FlaskClient, path: str = "/calls/new") -> Any:
    """The log-a-call form as the page renders it, submitted untouched unless the test changes it."""
    return form_defaults(client.get(path).get_data(as_text=True), "log-call")


def _events(action: str, caller: Caller) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(AuditEvent.action == action, AuditEvent.entity_id == str(caller.id))
    return list(db.session.scalars(query))


def test_repeat_call_logged_from_a_blank_form_keeps_every_consent(client: FlaskClient, login_as: Any) -> None:
    # the defect: the page showed the boxes unticked, and logging the call set every consent to no
    caller = _known_caller()
    login_as(Role.ADVISOR)
    form = _form(client)
    form["phone"] = TYPED_DIFFERENTLY
    form["notes"] = "Rang again about her son"

    response = client.post("/calls/new", data=form)

    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(caller)
    assert (caller.consent_callback, caller.consent_voicemail, caller.consent_sms) == (True, True, False)
    assert caller.relationship == Relationship.PARENT  # the form's default ("self") did not overwrite it either
    assert caller.safe_to_call_notes == "Ring after 6pm"
    assert _events("caller.updated", caller) == []
    assert _events("caller.consent_changed", caller) == []


def test_log_a_call_page_for_a_known_number_starts_from_the_callers_details(client: FlaskClient, login_as: Any) -> None:
    caller = _known_caller()
    login_as(Role.ADVISOR)

    form = _form(client, f"/calls/new?phone={TYPED_DIFFERENTLY}")

    assert form.get("consent_callback") == "true"
    assert form.get("consent_voicemail") == "true"
    assert "consent_sms" not in form  # not agreed: unticked
    assert form["consent_callback__was"] == "true"
    assert form["consent_sms__was"] == "false"
    assert form["caller_name"] == "Jo"
    assert form["relationship"] == "parent"
    assert [e.detail for e in _events("caller.looked_up", caller)] == [{"matched": True}]


def test_unticking_a_consent_on_record_revokes_it_and_records_the_change(client: FlaskClient, login_as: Any) -> None:
    caller = _known_caller()
    advisor = login_as(Role.ADVISOR)
    form = _form(client, f"/calls/new?phone={NATIONAL}")
    form.pop("consent_voicemail")  # the advisor unticks "a voicemail being left"
    form["consent_sms"] = "true"  # and ticks "text messages"

    response = client.post("/calls/new", data=form)

    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(caller)
    assert (caller.consent_callback, caller.consent_voicemail, caller.consent_sms) == (True, False, True)
    [event] = _events("caller.consent_changed", caller)
    assert event.actor_id == advisor.id
    assert event.detail == {
        "consent_voicemail": {"from": True, "to": False},
        "consent_sms": {"from": False, "to": True},
    }


def test_a_colleagues_consent_change_made_meanwhile_is_not_undone_by_a_stale_form(
    client: FlaskClient, login_as: Any
) -> None:
    caller = _known_caller()
    login_as(Role.ADVISOR)
    form = _form(client, f"/calls/new?phone={NATIONAL}")  # shows callback agreed
    caller.consent_callback = False  # meanwhile the caller withdrew it, on the case page
    db.session.commit()

    response = client.post("/calls/new", data=form)  # sent with the box still ticked, as it was shown

    assert response.status_code == 302
    db.session.refresh(caller)
    assert caller.consent_callback is False


def test_first_call_records_the_consents_ticked(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    form = _form(client)
    form["phone"], form["consent_callback"], form["caller_name"] = "07811 222 333", "true", "Sam"

    assert client.post("/calls/new", data=form).status_code == 302

    caller = db.session.scalars(sa.select(Caller).where(Caller.phone_e164 == "+447811222333")).one()
    assert (caller.name, caller.consent_callback, caller.consent_voicemail) == ("Sam", True, False)


def test_case_page_caller_form_saves_only_what_was_changed(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    caller, case_id = _known_caller_and_case()  # opened by the advisor: theirs
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    form = form_defaults(page, "caller-details")
    caller.consent_voicemail = False  # a colleague's change while the form was open
    db.session.commit()
    form["preferred_times_note"] = "Evenings"

    response = client.post(f"/cases/{case_id}/caller", data=form)

    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(caller)
    assert caller.preferred_times_note == "Evenings"
    assert caller.consent_voicemail is False  # not put back by the form that still showed it ticked


def test_banner_hands_the_form_the_callers_details_on_record(client: FlaskClient, login_as: Any) -> None:
    _known_caller()
    login_as(Role.ADVISOR)

    banner = client.get("/calls/lookup", query_string={"phone": TYPED_DIFFERENTLY}).get_data(as_text=True)

    match = re.search(r'data-caller="([^"]*)"', banner)
    assert match is not None
    on_record = json.loads(match.group(1).replace("&#34;", '"').replace("&amp;", "&"))
    assert on_record == {
        "caller_name": "Jo",
        "relationship": "parent",
        "consent_callback": "true",
        "consent_voicemail": "true",
        "consent_sms": "false",
        "safe_to_call_notes": "Ring after 6pm",
    }


def test_banner_says_a_number_that_cannot_be_completed_is_not_valid(client: FlaskClient, login_as: Any) -> None:
    # the defect: under a red "not a valid phone number" error the banner still said "Keep typing the number…"
    login_as(Role.ADVISOR)

    def banner(typed: str) -> str:
        return client.get("/calls/lookup", query_string={"phone": typed}).get_data(as_text=True)

    assert "Keep typing" in banner("07811 60")
    assert "banner-invalid" in banner("07811 606 60666")  # one digit too many
    assert "banner-invalid" in banner("0999 999 9999")
    assert "Keep typing" not in banner("0999 999 9999")
