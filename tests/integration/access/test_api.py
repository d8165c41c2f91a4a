"""The API follows the access policy: an advisor's token lists and opens only cases they have a relationship with
(the leak this closes: GET /api/v1/cases answered every case of the helpline, 200 at a time, with callers' names,
numbers and safe-to-call notes), breaks the glass with a reason for any other, and acts only on their own or pooled
callbacks (the other leak: any advisor could reassign or cancel a colleague's)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
import time_machine

from caseapp.access.models import BreakGlassGrant
from caseapp.auth.models import Role, User
from caseapp.callbacks.handover import hand_over_callback
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import Api, audit_events

REASON = {"reason": "covering", "note": "Covering Sam's cases while Sam is off sick"}


def _colleagues_case(**caller: Any) -> Case:
    """A case assigned to another advisor (nothing of it is the signed-in advisor's)."""
    case = factories.make_case(
        factories.make_caller(
            consent_callback=True, name="Robin Private", safe_to_call_notes="Not after 6pm", **caller
        ),
        actor=factories.make_user(role=Role.ADVISOR),
    )
    db.session.commit()
    return case


def _ids(api: Api, **query: Any) -> list[int]:
    response = api.get("/api/v1/cases", query_string={"limit": 200, **query})
    assert response.status_code == 200, response.get_json()
    return [c["id"] for c in response.get_json()["items"]]


# --- lists --------------------------------------------------------------------------------------------------------


def test_an_advisors_token_lists_only_the_cases_they_have_a_relationship_with(api: Api) -> None:
    assert api.user is not None
    mine = factories.make_case(actor=api.user)
    called = _colleagues_case()
    factories.make_call(called, actor=api.user)
    pooled = _colleagues_case()
    factories.make_callback(pooled, actor=pooled.assigned_advisor, assignee_id=None)
    others = [_colleagues_case() for _ in range(3)]
    db.session.commit()

    listed = _ids(api)

    assert set(listed) == {mine.id, called.id, pooled.id}
    assert not set(listed) & {case.id for case in others}
    assert not set(_ids(api, advisor=str(others[0].assigned_advisor_id)))  # naming the colleague changes nothing


def test_a_manager_lists_every_case(api_as: Callable[..., Api]) -> None:
    manager = api_as(Role.MANAGER)
    others = [_colleagues_case() for _ in range(3)]

    assert {case.id for case in others} <= set(_ids(manager))


def test_an_advisors_list_masks_callers_numbers_and_says_so(api: Api) -> None:
    assert api.user is not None
    case = factories.make_case(factories.make_caller(phone="07811 606123"), actor=api.user)
    db.session.commit()

    [item] = api.get("/api/v1/cases").get_json()["items"]

    assert item["id"] == case.id
    assert item["caller"]["phone"] == item["caller"]["phone_display"] == "••• ••• ••123"
    assert item["caller"]["phone_masked"] is True


def test_a_managers_list_shows_numbers_unless_configured_to_mask_them(app: Any, api_as: Callable[..., Api]) -> None:
    manager = api_as(Role.MANAGER)
    case = _colleagues_case(phone="07811 606456")

    shown = next(c for c in manager.get("/api/v1/cases").get_json()["items"] if c["id"] == case.id)
    app.config["MASK_PHONES_FOR"] = "advisor,manager"
    try:
        masked = next(c for c in manager.get("/api/v1/cases").get_json()["items"] if c["id"] == case.id)
    finally:
        app.config["MASK_PHONES_FOR"] = "advisor"

    assert (shown["caller"]["phone"], shown["caller"]["phone_masked"]) == ("+447811606456", False)
    assert (masked["caller"]["phone"], masked["caller"]["phone_masked"]) == ("••• ••• ••456", True)


def test_revealing_a_number_answers_it_and_is_audited(api: Api) -> None:
    assert api.user is not None
    case = factories.make_case(factories.make_caller(phone="07811 606789"), actor=api.user)
    db.session.commit()

    response = api.post(f"/api/v1/cases/{case.id}/phone")

    assert response.status_code == 200
    assert response.get_json() == {
        "case_id": case.id,
        "caller_id": case.caller_id,
        "phone": "+447811606789",
        "display": "07811 606789",
    }
    [event] = audit_events("caller.phone_revealed", actor_id=api.user.id)
    assert (event.entity_id, event.detail) == (str(case.caller_id), {"case_id": case.id})


def test_revealing_the_number_of_a_case_not_theirs_needs_the_glass_broken(api: Api) -> None:
    case = _colleagues_case()

    response = api.post(f"/api/v1/cases/{case.id}/phone")

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "break_glass_required"
    assert audit_events("caller.phone_revealed") == []


def test_calls_callbacks_and_assessments_of_a_colleagues_case_are_not_listed(api: Api) -> None:
    assert api.user is not None
    theirs = _colleagues_case()
    their_call = factories.make_call(theirs, actor=theirs.assigned_advisor)
    their_callback = factories.make_callback(
        theirs, actor=theirs.assigned_advisor, assignee_id=theirs.assigned_advisor_id
    )
    mine = factories.make_case(factories.make_caller(consent_callback=True), actor=api.user)
    my_call = factories.make_call(mine, actor=api.user)
    my_callback = factories.make_callback(mine, actor=api.user, assignee_id=api.user.id)
    db.session.commit()

    calls = [c["id"] for c in api.get("/api/v1/calls", query_string={"limit": 200}).get_json()["items"]]
    callbacks = [c["id"] for c in api.get("/api/v1/callbacks", query_string={"limit": 200}).get_json()["items"]]
    assessments = api.get(f"/api/v1/cases/{theirs.id}/assessments")

    assert my_call.id in calls
    assert their_call.id not in calls
    assert my_callback.id in callbacks
    assert their_callback.id not in callbacks
    assert assessments.status_code == 403
    assert api.get(f"/api/v1/calls/{their_call.id}").status_code == 403
    assert api.get(f"/api/v1/callbacks/{their_callback.id}").status_code == 403


# --- break glass --------------------------------------------------------------------------------------------------


def test_opening_a_colleagues_case_answers_break_glass_required_with_where_to_give_a_reason(api: Api) -> None:
    case = _colleagues_case()

    response = api.get(f"/api/v1/cases/{case.id}")

    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "break_glass_required"
    assert error["access_url"] == f"/api/v1/cases/{case.id}/access"
    assert "covering" in error["reasons"]
    assert "Robin" not in response.get_data(as_text=True)
    assert audit_events("case.viewed", entity_id=str(case.id), actor_id=api.user_id) == []


def test_a_reason_opens_the_case_for_the_configured_hours_and_is_audited_as_break_glass(api: Api) -> None:
    case = _colleagues_case()
    factories.make_shift(api.user)
    db.session.commit()

    granted = api.post(f"/api/v1/cases/{case.id}/access", json=REASON)
    opened = api.get(f"/api/v1/cases/{case.id}")
    timeline = api.get(f"/api/v1/cases/{case.id}/timeline")
    noted = api.post(f"/api/v1/cases/{case.id}/notes", json={"body": "Rang back for Sam"})
    with time_machine.travel(now_utc() + timedelta(hours=12, minutes=1)):
        expired = api.get(f"/api/v1/cases/{case.id}")

    assert granted.status_code == 201, granted.get_json()
    body = granted.get_json()
    assert (body["case_id"], body["reason"], body["flags"]) == (case.id, "covering", [])
    assert (opened.status_code, timeline.status_code, noted.status_code) == (200, 200, 201)
    assert opened.get_json()["caller"]["name"] == "Robin Private"
    assert expired.status_code == 403
    [event] = audit_events("case.break_glass", entity_id=str(case.id))
    assert event.actor_id == api.user_id
    assert event.detail == {"grant_id": body["id"], "reason": "covering", "flags": [], "hours": 12}
    assert "Sam" not in str(event.detail)  # the note is kept on the grant, not in the trail
    assert len(audit_events("case.viewed", entity_id=str(case.id), actor_id=api.user_id)) == 2


def test_break_glass_without_a_reason_or_a_note_is_refused(api: Api) -> None:
    case = _colleagues_case()

    no_reason = api.post(f"/api/v1/cases/{case.id}/access", json={"reason": "bored", "note": "x"})
    no_note = api.post(f"/api/v1/cases/{case.id}/access", json={"reason": "other", "note": ""})

    assert no_reason.status_code == no_note.status_code == 422
    assert "reason" in no_reason.get_json()["error"]["fields"]
    assert "note" in no_note.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BreakGlassGrant)) == 0


def test_a_manager_opens_any_case_without_a_reason_and_the_read_is_audited(api_as: Callable[..., Api]) -> None:
    manager = api_as(Role.MANAGER)
    case = _colleagues_case()

    response = manager.get(f"/api/v1/cases/{case.id}")

    assert response.status_code == 200
    assert len(audit_events("case.viewed", entity_id=str(case.id), actor_id=manager.user_id)) == 1
    assert audit_events("case.break_glass") == []


def test_breaking_the_glass_on_more_cases_than_allowed_in_the_window_is_flagged_and_tells_the_admins(
    api: Api,
) -> None:
    admin = factories.make_user(role=Role.ADMIN)
    factories.make_shift(api.user)
    cases = [_colleagues_case() for _ in range(4)]

    answers = [api.post(f"/api/v1/cases/{case.id}/access", json=REASON).get_json() for case in cases]

    assert [answer["flags"] for answer in answers] == [[], [], [], ["many_cases"]]
    [told] = db.session.scalars(sa.select(Notification).where(Notification.user_id == admin.id))
    assert told.kind == "break_glass"
    assert str(cases[3].reference) in told.title
    assert "Robin" not in told.title


def test_breaking_the_glass_off_shift_or_at_an_unusual_hour_is_flagged(app: Any, api: Api) -> None:
    off_shift = _colleagues_case()
    app.config["ACCESS_UNUSUAL_HOURS"] = "00:00-23:59"  # every hour, so the test does not depend on the clock
    try:
        unusual = api.post(f"/api/v1/cases/{off_shift.id}/access", json=REASON).get_json()
    finally:
        app.config["ACCESS_UNUSUAL_HOURS"] = ""

    assert unusual["flags"] == ["off_shift", "unusual_hours"]


# --- logging a call on a case chosen by id ------------------------------------------------------------------------


def test_a_call_on_a_colleagues_case_by_id_needs_the_glass_broken_unless_the_callers_number_finds_it(
    api: Api,
) -> None:
    case = _colleagues_case(phone="07811 606321")

    by_id = api.post("/api/v1/calls", json={"case_id": case.id})
    by_number = api.post("/api/v1/calls", json={"case_id": case.id, "phone": "07811 606321"})
    repeat_caller = api.post("/api/v1/calls", json={"phone": "07811606321"})

    assert by_id.status_code == 403
    assert by_id.get_json()["error"]["code"] == "break_glass_required"
    assert by_number.status_code == repeat_caller.status_code == 201
    assert repeat_caller.get_json()["case_id"] == case.id
    assert api.get(f"/api/v1/cases/{case.id}").status_code == 200  # they have logged a call on it now


# --- callbacks ----------------------------------------------------------------------------------------------------


def _colleagues_callback(colleague: User) -> dict[str, Any]:
    case = factories.make_case(factories.make_caller(consent_callback=True), actor=colleague)
    callback = factories.make_callback(case, actor=colleague, assignee_id=colleague.id)
    db.session.commit()
    return {"id": callback.id, "version": callback.version, "case_id": case.id}


def _cancel(api: Api, callback: dict[str, Any]) -> Any:
    return api.patch(
        f"/api/v1/callbacks/{callback['id']}",
        json={"version": callback["version"], "status": "cancelled", "cancel_reason": "not needed"},
    )


def test_an_advisor_cannot_cancel_or_reassign_a_colleagues_callback(api: Api) -> None:
    assert api.user is not None
    colleague = factories.make_user(role=Role.ADVISOR)
    callback = _colleagues_callback(colleague)

    cancelled = _cancel(api, callback)
    reassigned = api.patch(
        f"/api/v1/callbacks/{callback['id']}", json={"version": callback["version"], "assignee_id": api.user.id}
    )
    attempted = api.post(f"/api/v1/callbacks/{callback['id']}/attempts", json={"outcome": "answered"})

    assert cancelled.status_code == reassigned.status_code == attempted.status_code == 403
    assert "hand it over" in cancelled.get_json()["error"]["message"]
    assert audit_events("callback.cancelled") == audit_events("callback.reassigned") == []


def test_an_advisor_can_cancel_a_colleagues_callback_after_it_is_handed_over_to_them(api: Api) -> None:
    assert api.user is not None
    colleague = factories.make_user(role=Role.ADVISOR)
    factories.make_shift(colleague)
    factories.make_shift(api.user)
    callback = _colleagues_callback(colleague)
    hand_over_callback(callback["id"], to_user_id=api.user.id, actor=colleague, note="Ring after 2pm")
    db.session.commit()
    callback["version"] = api.get(f"/api/v1/callbacks/{callback['id']}").get_json()["version"]

    response = _cancel(api, callback)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "cancelled"


def test_a_manager_can_cancel_any_callback(api_as: Callable[..., Api]) -> None:
    manager = api_as(Role.MANAGER)
    callback = _colleagues_callback(factories.make_user(role=Role.ADVISOR))

    response = _cancel(manager, callback)

    assert response.status_code == 200, response.get_json()


def test_a_caller_is_read_and_changed_as_their_cases_are(api: Api) -> None:
    case = _colleagues_case(phone="07811 606741")

    read = api.get(f"/api/v1/callers/{case.caller_id}")
    changed = api.patch(f"/api/v1/callers/{case.caller_id}", json={"name": "Someone Else"})
    looked_up = api.get("/api/v1/callers", query_string={"phone": "07811 606741"})  # the number typed on a call

    assert read.status_code == changed.status_code == 403
    assert read.get_json()["error"]["code"] == "break_glass_required"
    assert looked_up.status_code == 200
    assert looked_up.get_json()["items"][0]["open_case"]["id"] == case.id
    db.session.refresh(case.caller)
    assert case.caller.name == "Robin Private"


def test_a_withheld_number_is_listed_as_withheld_not_masked(api: Api) -> None:
    assert api.user is not None
    factories.make_case(factories.make_caller(phone=None), actor=api.user)
    db.session.commit()

    [item] = api.get("/api/v1/cases").get_json()["items"]

    assert (item["caller"]["phone"], item["caller"]["phone_display"]) == (None, "Withheld")
    assert item["caller"]["phone_masked"] is False
