"""Immediate danger alerts the managers on shift at once, as its own action: before (and without) the rest of the
assessment, never twice for one emergency, and the page says so only once it has happened."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.emergencies.models import EmergencyAlert
from caseapp.emergencies.texts import NOT_YET
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from tests import factories
from tests.html import form_defaults
from tests.integration.api_support import Api, audit_events

ALERTED = "Alert sent at"


def _case() -> Case:
    case = factories.make_case()
    db.session.commit()
    return case


def _notified(case: Case) -> list[int]:
    query = sa.select(Notification.user_id).where(
        Notification.case_id == case.id, Notification.kind == "immediate_danger"
    )
    return sorted(db.session.scalars(query))


def _alerts(case: Case) -> list[EmergencyAlert]:
    return list(db.session.scalars(sa.select(EmergencyAlert).where(EmergencyAlert.case_id == case.id)))


def test_api_alert_tells_the_managers_on_shift_at_once(api_as: Any) -> None:
    advisor = api_as(Role.ADVISOR)
    on_shift, off_shift = api_as(Role.MANAGER), api_as(Role.MANAGER)
    factories.make_shift(on_shift.account)
    case = _case()

    response = advisor.post(f"/api/v1/cases/{case.id}/emergency-alerts")

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["is_new"] is True
    assert body["recipients"] == 1
    assert body["summary"].startswith(ALERTED)
    assert "1 manager told" in body["summary"]
    assert _notified(case) == [on_shift.user_id]
    assert off_shift.user_id not in _notified(case)
    [event] = audit_events("case.emergency_alerted", entity_id=str(case.id))
    assert event.actor_id == advisor.user_id
    assert event.detail["recipients"] == 1


def test_choosing_immediate_danger_again_does_not_alert_twice(api_as: Any) -> None:
    advisor = api_as(Role.ADVISOR)
    api_as(Role.MANAGER)
    case = _case()
    advisor.post(f"/api/v1/cases/{case.id}/emergency-alerts")

    again = advisor.post(f"/api/v1/cases/{case.id}/emergency-alerts").get_json()
    assessment = advisor.post(
        f"/api/v1/cases/{case.id}/assessments", json=factories.assessment_answers(risk_level="immediate_danger")
    ).get_json()

    assert again["is_new"] is False
    assert "already alerted" in again["summary"]
    assert len(_notified(case)) == len(set(_notified(case)))  # one notification per manager, not three
    [alert] = _alerts(case)
    assert alert.assessment_id == assessment["id"]  # the assessment is linked to the alert it came with


def test_api_client_that_only_saves_the_assessment_still_alerts(api_as: Any) -> None:
    advisor = api_as(Role.ADVISOR)
    manager = api_as(Role.MANAGER)
    case = _case()

    advisor.post(
        f"/api/v1/cases/{case.id}/assessments", json=factories.assessment_answers(risk_level="immediate_danger")
    )

    assert manager.user_id in _notified(case)
    assert len(_alerts(case)) == 1


def test_assessment_page_says_nobody_was_alerted_until_someone_was(client: FlaskClient, login_as: Any) -> None:
    # the defect: the box said "Your shift manager has been alerted" before anything was sent
    login_as(Role.ADVISOR)
    case = _case()

    page = client.get(f"/cases/{case.id}/assessments/new").get_data(as_text=True)

    assert "has been alerted" not in page
    assert NOT_YET in page
    assert _alerts(case) == []


def test_assessment_sent_with_immediate_danger_alerts_even_when_the_rest_is_refused(
    client: FlaskClient, login_as: Any
) -> None:
    # the defect: the alert went only when the whole assessment saved, so a validation error meant none at all
    manager = factories.make_user(role=Role.MANAGER)
    login_as(Role.ADVISOR)
    case = _case()
    form = form_defaults(client.get(f"/cases/{case.id}/assessments/new").get_data(as_text=True), "assessment-form")
    form["risk_level"] = "immediate_danger"
    form["notes"] = "He has taken a lot of pills"  # primary substance, route, pathway and consent left unanswered

    response = client.post(f"/cases/{case.id}/assessments/new", data=form)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert ALERTED in page
    assert NOT_YET not in page
    assert "He has taken a lot of pills" in page  # nothing typed is lost
    assert manager.id in _notified(case)


def test_alert_button_without_javascript_keeps_everything_typed(client: FlaskClient, login_as: Any) -> None:
    factories.make_user(role=Role.MANAGER)
    login_as(Role.ADVISOR)
    case = _case()
    form = form_defaults(client.get(f"/cases/{case.id}/assessments/new").get_data(as_text=True), "assessment-form")
    form["notes"] = "Partner not breathing properly"
    form["risk_level"] = "immediate_danger"

    response = client.post(f"/cases/{case.id}/assessments/alert", data=form)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ALERTED in page
    assert "Partner not breathing properly" in page
    assert 'value="immediate_danger" checked' in page
    assert len(_alerts(case)) == 1


def test_case_page_alert_button_alerts_and_says_whom(client: FlaskClient, login_as: Any) -> None:
    manager = factories.make_user(role=Role.MANAGER)
    login_as(Role.ADVISOR)
    case = _case()
    token = form_defaults(client.get(f"/cases/{case.id}").get_data(as_text=True), "caller-details")["csrf_token"]

    response = client.post(f"/cases/{case.id}/emergency-alert", data={"csrf_token": token}, follow_redirects=True)

    assert response.status_code == 200
    assert ALERTED in response.get_data(as_text=True)
    assert manager.id in _notified(case)


def test_nobody_to_alert_is_said_plainly(api_as: Any) -> None:
    for manager in db.session.scalars(sa.select(User).where(User.role.in_([Role.MANAGER, Role.ADMIN]))):
        manager.is_active = False
    advisor = api_as(Role.ADVISOR)
    case = _case()

    body = advisor.post(f"/api/v1/cases/{case.id}/emergency-alerts").get_json()

    assert body["recipients"] == 0
    assert "Ring your shift manager now" in body["summary"]


def test_alerts_are_listed_on_the_case(api: Api) -> None:
    case = _case()
    api.post(f"/api/v1/cases/{case.id}/emergency-alerts")

    listed = api.get(f"/api/v1/cases/{case.id}/emergency-alerts").get_json()["items"]

    assert [a["raised_by_id"] for a in listed] == [api.user_id]
