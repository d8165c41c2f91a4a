"""Gaps the audit trail had: a client could choose the request id it stores, and a case page shown again after a
refused change displayed the caller's details without recording the view."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories
from tests.html import form_defaults
from tests.integration.api_support import Api, audit_events

FORGED = "forged-request-0001"


def test_the_audit_trail_keeps_our_request_id_not_the_clients(api: Api) -> None:
    case = factories.make_case()
    db.session.commit()

    response = api.get(f"/api/v1/cases/{case.id}", headers={"X-Request-ID": FORGED})

    [event] = audit_events("case.viewed", entity_id=str(case.id))
    assert event.request_id == response.headers["X-Request-ID"]
    assert event.request_id != FORGED


def _views(case_id: int) -> int:
    return len(audit_events("case.viewed", entity_id=str(case_id)))


def test_case_page_shown_again_after_a_stale_update_is_an_audited_view(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()
    form = form_defaults(client.get(f"/cases/{case.id}").get_data(as_text=True), "case-update")
    case.version += 1  # someone else saved the case meanwhile
    db.session.commit()
    before = _views(case.id)

    response = client.post(f"/cases/{case.id}/update", data=form)

    page = response.get_data(as_text=True)
    assert response.status_code == 409, page[page.find("error-summary") : page.find("error-summary") + 500]
    assert case.caller.phone_e164 is not None
    assert _views(case.id) == before + 1


def test_case_page_shown_again_after_a_refused_note_is_an_audited_view(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = factories.make_case()
    db.session.commit()
    token = form_defaults(client.get(f"/cases/{case.id}").get_data(as_text=True), "caller-details")["csrf_token"]
    before = _views(case.id)

    response = client.post(f"/cases/{case.id}/notes", data={"csrf_token": token, "body": ""})

    assert response.status_code == 422
    assert _views(case.id) == before + 1
