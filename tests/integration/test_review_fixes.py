"""Behaviour added after review: work handed back on deactivation, drafts purged, details cleared, safe redirects."""

from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role
from caseapp.callbacks.models import Callback
from caseapp.callers.models import Caller
from caseapp.calls.models import CallDraft
from caseapp.calls.services import purge_stale_drafts, save_draft
from caseapp.extensions import db
from caseapp.shifts.models import Shift
from caseapp.timeutil import now_utc
from caseapp.users.services import deactivate_user
from tests import factories
from tests.conftest import csrf_token_from


def test_deactivating_an_advisor_ends_their_shift_and_pools_their_open_callbacks(db_session):
    admin = factories.make_user(role=Role.ADMIN)
    advisor = factories.make_user(role=Role.ADVISOR)
    factories.make_shift(advisor)
    callback = factories.make_callback(assignee_id=advisor.id)
    deactivate_user(advisor, actor_id=admin.id)
    db_session.flush()
    assert db_session.get_one(Callback, callback.id).assignee_id is None
    assert db_session.scalar(sa.select(Shift.ended_at).where(Shift.user_id == advisor.id)) is not None


def test_purge_stale_drafts_deletes_only_drafts_untouched_for_a_week(db_session):
    advisor = factories.make_user()
    old = save_draft({"phone": "07811 606 606", "notes": "half typed"}, actor=advisor)
    old.updated_at = now_utc() - timedelta(days=8)
    db_session.flush()
    fresh = save_draft({"phone": "07911 123456"}, actor=advisor)
    assert purge_stale_drafts() == 1
    remaining = set(db_session.scalars(sa.select(CallDraft.id)))
    assert old.id not in remaining
    assert fresh.id in remaining


def test_case_page_can_clear_a_callers_name_notes_and_preferred_window(client, login_as):
    login_as(Role.ADVISOR)
    caller = factories.make_caller(name="Jo", safe_to_call_notes="not at work", consent_callback=True)
    caller.preferred_from, caller.preferred_to = time(18, 0), time(20, 0)
    case = factories.make_case(caller)
    db.session.commit()
    token = csrf_token_from(client.get(f"/cases/{case.id}").get_data(as_text=True))
    data = {
        "csrf_token": token,
        "name": "",
        "relationship": "self",
        "safe_to_call_notes": "",
        "preferred_from": "",
        "preferred_to": "",
        "consent_callback": "true",
        "consent_callback__checkbox": "1",
    }
    assert client.post(f"/cases/{case.id}/caller", data=data).status_code == 302
    db.session.expire_all()
    cleared = db.session.get_one(Caller, caller.id)
    assert cleared.name is None
    assert cleared.safe_to_call_notes is None
    assert cleared.preferred_from is None
    assert cleared.consent_callback is True


def test_api_patch_with_null_clears_a_field_and_leaving_it_out_keeps_it(client, db_session):
    user = factories.make_user()
    _, secret = factories.make_token(user)
    caller = factories.make_caller(name="Jo", safe_to_call_notes="not at work")
    db.session.commit()
    auth = {"Authorization": f"Bearer {secret}"}
    response = client.patch(f"/api/v1/callers/{caller.id}", json={"safe_to_call_notes": None}, headers=auth)
    assert response.status_code == 200
    assert response.get_json()["safe_to_call_notes"] is None
    assert response.get_json()["name"] == "Jo"


def test_shift_and_notification_forms_never_redirect_off_site(client, login_as):
    login_as(Role.ADVISOR)
    token = csrf_token_from(client.get("/shifts/").get_data(as_text=True))
    started = client.post("/shifts/start", data={"csrf_token": token, "next": "https://evil.example/"})
    read = client.post("/notifications/read", data={"csrf_token": token, "next": "//evil.example/x", "id": "²"})
    assert started.headers["Location"] == "/shifts/"
    assert read.headers["Location"] == "/notifications/"


def test_booking_form_is_an_audited_read_of_the_case(client, login_as):
    advisor = login_as(Role.ADVISOR)
    case = factories.make_case(factories.make_caller(consent_callback=True))
    db.session.commit()
    client.get(f"/cases/{case.id}/callbacks/new")
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.actor_id == advisor.id, AuditEvent.entity_id == str(case.id))
    )
    assert "case.viewed" in list(actions)
