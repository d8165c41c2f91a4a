"""The log-a-call page, the case page and the assessment form, driven as a browser would (forms + CSRF)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.extensions import db
from tests.conftest import csrf_token_from


def _post_call(client, **fields):
    token = csrf_token_from(client.get("/calls/new").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "started_at": "2026-11-20T10:00",
        "direction": "inbound",
        "channel": "phone",
        "relationship": "self",
        **fields,
    }
    return client.post("/calls/new", data=data)


def test_log_call_page_creates_caller_and_case_and_redirects_to_the_case(client, login_as):
    login_as(Role.ADVISOR)
    response = _post_call(
        client,
        phone="07811 606 606",
        caller_name="Jo",
        consent_callback="true",
        consent_callback__checkbox="1",
        notes="Worried about her son",
    )
    assert response.status_code == 302
    match = re.search(r"/cases/(\d+)", response.headers["Location"])
    assert match is not None
    case_id = int(match.group(1))
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Worried about her son" in page
    assert "07811 606606" in page
    assert db.session.scalar(sa.select(Caller.consent_callback).where(Caller.phone_e164 == "+447811606606")) is True


def test_log_call_page_keeps_what_was_typed_when_the_number_is_invalid(client, login_as):
    login_as(Role.ADVISOR)
    calls_before = db.session.scalar(sa.select(sa.func.count()).select_from(Call))
    response = _post_call(client, phone="0781", caller_name="Sam Smith", notes="keep me please")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "not a valid phone number" in page
    assert 'value="Sam Smith"' in page
    assert "keep me please" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Call)) == calls_before


def test_log_call_page_logs_a_silent_call_with_one_click(client, login_as):
    login_as(Role.ADVISOR)
    response = _post_call(client, quick_type="silent", notes="ignored")
    assert response.status_code == 302
    call = db.session.scalars(sa.select(Call).order_by(Call.id.desc())).one()
    assert call.call_type.value == "silent"
    assert call.case_id is None
    assert call.notes is None


def test_notes_with_script_tags_are_shown_as_text(client, login_as):
    login_as(Role.ADVISOR)
    response = _post_call(client, phone="07911 123456", notes="<script>alert('x')</script>")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page


def test_lookup_banner_shows_the_open_case_for_a_known_number_typed_differently(client, login_as):
    login_as(Role.ADVISOR)
    _post_call(client, phone="07811 606 606")
    case = db.session.scalars(sa.select(Case).order_by(Case.id.desc()).limit(1)).one()
    banner = client.get("/calls/lookup", query_string={"phone": "+44 7811 606606"}).get_data(as_text=True)
    assert case.reference in banner
    assert "New caller" in client.get("/calls/lookup?phone=07911123999").get_data(as_text=True)


def test_assessment_form_records_and_shows_immediate_danger_guidance(client, login_as):
    login_as(Role.ADVISOR)
    case_url = _post_call(client, phone="07811 606 607").headers["Location"]
    case_id = int(case_url.rsplit("/", 1)[1])
    form_page = client.get(f"/cases/{case_id}/assessments/new").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token_from(form_page),
        "substances": ["heroin", "alcohol"],
        "primary_substance": "heroin",
        "funding_route": "unknown",
        "recommended_pathway": "medical_detox",
        "risk_level": "immediate_danger",
        "consent_data_processing": "true",
        "dual_diagnosis__checkbox": "1",
    }
    response = client.post(f"/cases/{case_id}/assessments/new", data=data)
    assert response.status_code == 302
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "call 999" in page
    assert "Immediate danger" in page


def test_assessment_form_rerenders_with_errors_and_choices_kept(client, login_as):
    login_as(Role.ADVISOR)
    case_id = int(_post_call(client, phone="07811 606 608").headers["Location"].rsplit("/", 1)[1])
    token = csrf_token_from(client.get(f"/cases/{case_id}/assessments/new").get_data(as_text=True))
    response = client.post(
        f"/cases/{case_id}/assessments/new",
        data={"csrf_token": token, "substances": ["ketamine"], "primary_substance": "heroin"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="ketamine" checked' in page
    assert 'id="f-risk_level"' in page
    assert "Choose an answer." in page  # a required choice left empty, in plain English
    assert "Missing data for required field." not in page
