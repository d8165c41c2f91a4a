"""The emergency log: a 999 call or a transfer made for a caller in immediate danger, on the case (API and page),
linked to the alert of the same emergency, on the timeline, and in the managers' list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.emergencies import services as emergencies
from caseapp.extensions import db
from caseapp.timeutil import now_utc
from tests import factories
from tests.html import form_defaults
from tests.integration.api_support import Api, audit_events


def _case() -> Case:
    case = factories.make_case()
    db.session.commit()
    return case


def test_post_logs_an_action_linked_to_the_cases_recent_alert(api: Api) -> None:
    case = _case()
    alert = emergencies.raise_alert(case, actor=api.account).alert
    db.session.commit()

    response = api.post(f"/api/v1/cases/{case.id}/emergency-log", json=factories.emergency_body())

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["alert_id"] == alert.id
    assert body["made_by_id"] == api.user_id
    assert body["service"] == "ambulance"
    assert body["reference"] == "CAD 4411"
    [event] = audit_events("emergency.logged", entity_id=str(body["id"]))
    assert event.detail["case_id"] == case.id
    assert "CAD" not in str(event.detail)
    listed = api.get(f"/api/v1/cases/{case.id}/emergency-log").get_json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert audit_events("emergency.listed", entity_id=str(case.id))


def test_an_alert_of_another_case_a_future_time_and_other_without_a_note_are_422(api: Api) -> None:
    case, other = _case(), _case()
    alert = emergencies.raise_alert(other, actor=api.account).alert
    db.session.commit()

    response = api.post(
        f"/api/v1/cases/{case.id}/emergency-log",
        json=factories.emergency_body(
            alert_id=alert.id, outcome="other", made_at=(now_utc() + timedelta(hours=1)).isoformat()
        ),
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"alert_id", "made_at", "outcome_note"}
    bad_code = api.post(f"/api/v1/cases/{case.id}/emergency-log", json=factories.emergency_body(service="coastguard"))
    assert set(bad_code.get_json()["error"]["fields"]) == {"service"}


def test_an_advisor_without_a_relationship_cannot_log_on_the_case(api: Api) -> None:
    theirs = factories.make_case(actor=factories.make_user(role=Role.ADVISOR))
    db.session.commit()

    response = api.post(f"/api/v1/cases/{theirs.id}/emergency-log", json=factories.emergency_body())

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "break_glass_required"


def test_the_page_form_keeps_what_was_typed_and_the_case_page_shows_the_entry(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.ADVISOR)
    case = _case()
    path = f"/cases/{case.id}/emergency-log/new"
    form = form_defaults(client.get(path).get_data(as_text=True), "emergency-log-form")
    for name, value in {"kind": "transfer", "service": "samaritans", "reference": "SAM-77", "outcome": "other"}.items():
        form[name] = value

    refused = client.post(path, data=form)

    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Say what happened." in page
    assert 'value="SAM-77"' in page
    form["outcome_note"] = "Caller stayed on the line with Samaritans"
    assert client.post(path, data=form).status_code == 302
    shown = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Emergency: Samaritans, caller transferred: other" in shown  # the timeline
    assert "SAM-77" in shown


def test_the_managers_page_lists_recent_emergency_actions(client: FlaskClient, login_as: Callable[..., User]) -> None:
    manager = login_as(Role.MANAGER)
    case = _case()
    recent = factories.make_emergency_action(case, actor=manager, reference="RECENT-1")
    old = factories.make_emergency_action(
        case, actor=manager, reference="OLD-1", made_at=(now_utc() - timedelta(days=30)).isoformat()
    )
    db.session.commit()

    page = client.get("/safeguarding/").get_data(as_text=True)

    assert "RECENT-1" in page
    assert "OLD-1" not in page
    [event] = audit_events("emergency.listed", actor_id=manager.id)
    assert recent.id in event.detail["ids"]
    assert old.id not in event.detail["ids"]
