"""The callback pages' words: the due time names its zone once, and an error names the field it is about by the
label on the page (a time in the past is shown under the Date field, never as "Due at" linking nowhere)."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.page_support import PageReader, check_error_summary


def _callback(advisor, due_at):
    case = factories.make_case(factories.make_caller(consent_callback=True))
    return factories.make_callback(case, actor=advisor, due_at=due_at, assignee_id=advisor.id)


@time_machine.travel(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), tick=False)
def test_callback_page_prints_the_zone_once_in_winter(client, login_as):
    advisor = login_as(Role.ADVISOR)
    callback = _callback(advisor, datetime(2026, 12, 1, 21, 40, tzinfo=UTC))
    db.session.commit()

    page = client.get(f"/callbacks/{callback.id}").get_data(as_text=True)

    assert "due <strong>Tue 01 Dec 21:40 GMT</strong>" in page
    assert "GMT GMT" not in page


@time_machine.travel(datetime(2027, 6, 1, 12, 0, tzinfo=UTC), tick=False)
def test_callback_page_prints_the_zone_once_in_summer(client, login_as):
    advisor = login_as(Role.ADVISOR)
    callback = _callback(advisor, datetime(2027, 6, 1, 17, 5, tzinfo=UTC))
    db.session.commit()

    page = client.get(f"/callbacks/{callback.id}").get_data(as_text=True)

    assert "due <strong>Tue 01 Jun 18:05 BST</strong>" in page
    assert "BST BST" not in page


def _book(client, case_id, **fields):
    token = csrf_token_from(client.get(f"/cases/{case_id}/callbacks/new").get_data(as_text=True))
    data = {"csrf_token": token, "window_minutes": "30", "priority": "normal", **fields}
    return client.post(f"/cases/{case_id}/callbacks/new", data=data)


def test_booking_a_past_time_shows_it_under_the_date_and_links_to_the_date(client, login_as):
    login_as(Role.ADVISOR)
    case = factories.make_case(factories.make_caller(consent_callback=True))
    db.session.commit()

    response = _book(client, case.id, due_date="2020-01-01", due_time="12:00")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    page = check_error_summary(html)
    assert page.summary_links == [("#f-due_date", "Date")]
    assert '<p class="error" id="f-due_date-error">That time has already passed.' in html
    assert "Due at" not in html
    assert "#f-due_at" not in html


def test_booking_without_consent_does_not_name_a_field_the_form_lacks(client, login_as):
    login_as(Role.ADVISOR)
    case = factories.make_case(factories.make_caller(consent_callback=False))
    db.session.commit()

    response = _book(client, case.id, due_date="2030-01-10", due_time="18:15")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "consent" in html.lower()
    assert "Case id" not in html
    assert "#f-case_id" not in html


def test_rescheduling_to_a_past_time_names_the_reschedule_forms_date(client, login_as):
    advisor = login_as(Role.ADVISOR)
    callback = factories.make_callback(assignee_id=advisor.id)
    db.session.commit()
    token = csrf_token_from(client.get(f"/callbacks/{callback.id}").get_data(as_text=True))

    data = {"csrf_token": token, "due_date": "2020-01-01", "due_time": "09:00"}
    response = client.post(f"/callbacks/{callback.id}/reschedule", data=data)

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    page = check_error_summary(html)
    assert page.summary_links == [("#f-due_date", "Date")]
    assert "Due at" not in html


def test_callback_page_gives_each_field_its_own_id(client, login_as):
    advisor = login_as(Role.ADVISOR)
    callback = factories.make_callback(assignee_id=advisor.id)
    db.session.commit()

    page = PageReader(client.get(f"/callbacks/{callback.id}").get_data(as_text=True))

    assert page.duplicate_ids == set()  # the attempt and reschedule forms both ask for a date and a time
    assert page.labels["f-attempt-due_date"] == page.labels["f-due_date"] == "Date"
    assert all(page.labels.values())


def test_an_attempt_with_a_past_new_time_links_to_the_attempt_forms_date(client, login_as):
    advisor = login_as(Role.ADVISOR)
    callback = factories.make_callback(assignee_id=advisor.id)
    db.session.commit()
    token = csrf_token_from(client.get(f"/callbacks/{callback.id}").get_data(as_text=True))

    response = client.post(
        f"/callbacks/{callback.id}/attempts",
        data={"csrf_token": token, "outcome": "no_answer", "due_date": "2020-01-01", "due_time": "09:00"},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422, html
    page = check_error_summary(html)
    assert page.summary_links == [("#f-attempt-due_date", "Date")]
    assert 'id="f-attempt-due_date-error"' in html
