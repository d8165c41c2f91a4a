"""The callback pages, driven as a browser would: book (incl. the clock changes), my callbacks, attempts, pool."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import time_machine

from caseapp.auth.models import Role
from caseapp.callbacks.models import Callback, CallbackAttempt
from caseapp.extensions import db
from caseapp.reference import CallbackStatus
from caseapp.timeutil import now_utc
from tests import factories
from tests.conftest import csrf_token_from


def _book(client, case_id, **fields):
    token = csrf_token_from(client.get(f"/cases/{case_id}/callbacks/new").get_data(as_text=True))
    data = {"csrf_token": token, "window_minutes": "30", "priority": "normal", **fields}
    return client.post(f"/cases/{case_id}/callbacks/new", data=data)


def _callbacks(case_id):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Callback).where(Callback.case_id == case_id)))


def test_booking_page_books_a_callback_in_uk_time_and_shows_it_on_the_case(client, login_as):
    advisor = login_as(Role.ADVISOR)
    case = factories.make_case(factories.make_caller(consent_callback=True))
    db.session.commit()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    response = _book(client, case.id, due_date=tomorrow.isoformat(), due_time="19:00", assignee_id=str(advisor.id))
    assert response.status_code == 302, response.get_data(as_text=True)
    [callback] = _callbacks(case.id)
    assert callback.due_at.astimezone(UTC).hour == 19  # 25-26 November: GMT, so 19:00 UK is 19:00 UTC
    assert "Callbacks" in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_booking_page_refuses_a_caller_without_callback_consent_and_keeps_the_form(client, login_as):
    login_as(Role.ADVISOR)
    case = factories.make_case(factories.make_caller(consent_callback=False))
    db.session.commit()
    response = _book(client, case.id, due_date="2030-01-10", due_time="18:15", reason="check on detox")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "consent" in page.lower()
    assert 'value="check on detox"' in page
    assert _callbacks(case.id) == []


@time_machine.travel(datetime(2027, 3, 20, 12, 0, tzinfo=UTC), tick=False)
def test_booking_page_refuses_a_time_the_march_clock_change_skips(client, login_as):
    login_as(Role.ADVISOR)
    case = factories.make_case(factories.make_caller(consent_callback=True))
    db.session.commit()
    response = _book(client, case.id, due_date="2027-03-28", due_time="01:30")
    assert response.status_code == 422
    assert "does not exist in the UK" in response.get_data(as_text=True)
    assert _callbacks(case.id) == []


@time_machine.travel(datetime(2027, 10, 20, 12, 0, tzinfo=UTC), tick=False)
def test_booking_page_asks_which_0130_on_the_october_clock_change_and_books_the_one_chosen(client, login_as):
    login_as(Role.ADVISOR)
    case = factories.make_case(factories.make_caller(consent_callback=True))
    db.session.commit()
    first = _book(client, case.id, due_date="2027-10-31", due_time="01:30")
    page = first.get_data(as_text=True)
    assert first.status_code == 422
    assert "happens twice" in page
    assert 'name="fold" value="1"' in page
    second = _book(client, case.id, due_date="2027-10-31", due_time="01:30", fold="1")
    assert second.status_code == 302
    [callback] = _callbacks(case.id)
    assert callback.due_at == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # the second 01:30 is GMT


def test_my_callbacks_lists_mine_due_today_and_the_pool_with_a_claim_button(client, login_as):
    advisor = login_as(Role.ADVISOR)
    mine = factories.make_callback(assignee_id=advisor.id, due_at=now_utc() + timedelta(minutes=20))
    pooled = factories.make_callback(due_at=now_utc() + timedelta(minutes=40))
    db.session.commit()
    page = client.get("/callbacks/").get_data(as_text=True)
    assert mine.case.reference in page
    assert pooled.case.reference in page
    assert f"/callbacks/{pooled.id}/claim" in page
    assert f"/callbacks/{mine.id}/claim" not in page


def test_claiming_from_the_pool_makes_the_callback_mine(client, login_as):
    advisor = login_as(Role.ADVISOR)
    pooled = factories.make_callback()
    db.session.commit()
    token = csrf_token_from(client.get("/callbacks/").get_data(as_text=True))
    response = client.post(f"/callbacks/{pooled.id}/claim", data={"csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get_one(Callback, pooled.id).assignee_id == advisor.id


def test_recording_no_answer_with_a_new_time_reschedules_the_callback(client, login_as):
    advisor = login_as(Role.ADVISOR)
    callback = factories.make_callback(assignee_id=advisor.id)
    db.session.commit()
    page = client.get(f"/callbacks/{callback.id}").get_data(as_text=True)
    new_day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    response = client.post(
        f"/callbacks/{callback.id}/attempts",
        data={"csrf_token": csrf_token_from(page), "outcome": "no_answer", "due_date": new_day, "due_time": "10:00"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    refreshed = db.session.get_one(Callback, callback.id)
    assert refreshed.status == CallbackStatus.SCHEDULED
    assert refreshed.attempt_count == 1
    assert refreshed.due_at.date().isoformat() == new_day


def test_voicemail_is_not_offered_when_the_caller_did_not_allow_it(client, login_as):
    advisor = login_as(Role.ADVISOR)
    caller = factories.make_caller(consent_callback=True, consent_voicemail=False)
    callback = factories.make_callback(factories.make_case(caller), assignee_id=advisor.id)
    db.session.commit()
    page = client.get(f"/callbacks/{callback.id}").get_data(as_text=True)
    assert 'value="voicemail_left"' not in page
    response = client.post(
        f"/callbacks/{callback.id}/attempts", data={"csrf_token": csrf_token_from(page), "outcome": "voicemail_left"}
    )
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CallbackAttempt)) == 0


def test_all_callbacks_page_is_for_managers(client, login_as):
    login_as(Role.ADVISOR)
    assert client.get("/callbacks/all").status_code == 403


def test_all_callbacks_page_lists_callbacks_for_a_manager(client, login_as):
    callback = factories.make_callback()
    login_as(Role.MANAGER)
    assert callback.case.reference in client.get("/callbacks/all").get_data(as_text=True)


def test_shift_page_clocks_on_and_off(client, login_as):
    login_as(Role.ADVISOR)
    token = csrf_token_from(client.get("/shifts/").get_data(as_text=True))
    client.post("/shifts/start", data={"csrf_token": token})
    assert "on shift since" in client.get("/shifts/").get_data(as_text=True)
    client.post("/shifts/end", data={"csrf_token": token})
    assert "You are not on shift" in client.get("/shifts/").get_data(as_text=True)
