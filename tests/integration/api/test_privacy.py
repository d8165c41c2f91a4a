"""Every read and change of a caller, case, call or assessment is audited and attributable; no audit detail and no log
line carries a phone number, a name or free-text notes."""

from __future__ import annotations

import json
import logging

import pytest

from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories
from tests.integration.api_support import Api, audit_events

NAME = "Philippa Quarrington"
NOTES = "Lives above the launderette on Quince Street"
PHONE_DIGITS = ("7811606606", "07811 606 606", "+447811606606", "7811 606606")


def _call_loop(api: Api) -> dict[str, int]:
    """One advisor's pass through the loop through the API: every kind of read and write once."""
    manager = factories.make_user(role=Role.MANAGER)
    db.session.commit()
    logged = api.post(
        "/api/v1/calls",
        json={
            "phone": "07811 606 606",
            "caller_name": NAME,
            "notes": NOTES,
            "reason": NOTES,
            "outcome_summary": NOTES,
            "safe_to_call_notes": NOTES,
            "tags": ["quince"],
        },
    ).get_json()
    case_id, caller_id = logged["case_id"], logged["caller_id"]
    api.get("/api/v1/callers", query_string={"phone": "+44 7811 606606"})
    api.get("/api/v1/callers", query_string={"phone": "07400 123456"})  # no match
    api.get(f"/api/v1/callers/{caller_id}")
    api.patch(f"/api/v1/callers/{caller_id}", json={"name": NAME + " Jr", "preferred_times_note": NOTES})
    assessment = api.post(
        f"/api/v1/cases/{case_id}/assessments",
        json=factories.assessment_answers(
            risk_level="immediate_danger", notes=NOTES, safeguarding_notes=NOTES, previous_treatment=NOTES
        ),
    ).get_json()
    case = api.get(f"/api/v1/cases/{case_id}").get_json()
    api.patch(f"/api/v1/cases/{case_id}", json={"version": case["version"], "assigned_advisor_id": manager.id})
    api.get(f"/api/v1/cases/{case_id}/timeline")
    api.post(f"/api/v1/cases/{case_id}/notes", json={"body": NOTES})
    api.get("/api/v1/calls")
    api.get("/api/v1/cases")
    api.get(f"/api/v1/calls/{logged['id']}")
    return {"call": logged["id"], "case": case_id, "caller": caller_id, "assessment": assessment["id"]}


def test_every_read_and_write_of_the_call_loop_is_audited_to_the_advisor(api: Api) -> None:
    ids = _call_loop(api)

    mine = [e for e in audit_events() if e.actor_id == api.user_id]
    by_action: dict[str, list[str | None]] = {}
    for event in mine:
        by_action.setdefault(event.action, []).append(event.entity_id)
    case, caller = str(ids["case"]), str(ids["caller"])
    # writes
    assert by_action["caller.created"] == [caller]
    assert by_action["case.opened"] == [case]
    assert by_action["call.logged"] == [str(ids["call"])]
    assert by_action["caller.updated"] == [caller, caller]  # details from the call, then the PATCH
    assert by_action["assessment.recorded"] == [str(ids["assessment"])]
    assert by_action["case.updated"] == [case]
    assert by_action["case.note_added"] == [case]
    # reads
    assert by_action["caller.looked_up"] == [caller, None]
    assert by_action["caller.viewed"] == [caller]
    assert by_action["case.viewed"] == [case, case]  # GET case, GET timeline
    assert by_action["call.viewed"] == [str(ids["call"])]
    assert by_action["call.listed"] == [None]
    assert by_action["case.listed"] == [None]
    [calls_listed] = audit_events("call.listed")
    assert ids["call"] in calls_listed.detail["ids"]
    assert all(e.request_id for e in mine)


def test_no_audit_event_or_log_line_carries_a_phone_number_name_or_notes(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    _call_loop(api)

    secrets = (NAME, "Quarrington", NOTES, "Quince", *PHONE_DIGITS)
    for event in audit_events():
        written = json.dumps([event.action, event.entity_type, event.entity_id, event.detail])
        assert not [s for s in secrets if s.lower() in written.lower()], (event.action, event.detail)
    for record in caplog.records:
        line = f"{record.getMessage()} {json.dumps(vars(record), default=str)}"
        assert not [s for s in secrets if s.lower() in line.lower()], record.getMessage()
    assert audit_events("case.emergency_alerted")  # the loop did reach every branch
