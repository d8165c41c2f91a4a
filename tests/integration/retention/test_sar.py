"""Subject access: `caseapp sar` and the admin's download hold every record linked to the caller, and the access
list is the audit trail's rows about those records."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role, User
from caseapp.callbacks.models import CaseFlag
from caseapp.emergencies.models import EmergencyAlert
from caseapp.extensions import db
from caseapp.safeguarding import queries
from caseapp.sar.services import HTML_NAME, JSON_NAME
from caseapp.timeutil import to_local
from tests import factories
from tests.integration.api_support import audit_events
from tests.integration.retention.support import History, make_history


@pytest.fixture
def history(db_session: Any) -> History:
    advisor = factories.make_user(full_name="Robin Advisor")
    made = make_history(advisor, closed_at=None)
    db.session.add(EmergencyAlert(case_id=made.case.id, raised_by_id=advisor.id, recipients=2))
    db.session.add(CaseFlag(case_id=made.case.id, kind="unreachable", callback_id=made.callback.id))
    db.session.commit()
    return made


def _linked_ids(document: dict[str, Any]) -> dict[str, list[int]]:
    return {
        key: [row["id"] for row in rows] for key, rows in document.items() if isinstance(rows, list) and key != "access"
    }


def _expected_access(history: History, document: dict[str, Any]) -> list[AuditEvent]:
    wanted = {("caller", str(history.caller.id))}
    for kind, section in (
        ("case", "cases"),
        ("call", "calls"),
        ("callback", "callbacks"),
        ("assessment", "assessments"),
        ("safety_plan", "safety_plans"),
        ("safeguarding", "safeguarding_records"),
        ("emergency_action", "emergency_actions"),
        ("caller_flag", "caller_flags"),
    ):
        wanted |= {(kind, str(row["id"])) for row in document[section]}

    def about_them(event: AuditEvent) -> bool:
        if event.entity_id is None:  # a list page: the records it showed are in detail["ids"]
            return any((event.entity_type, str(i)) in wanted for i in event.detail.get("ids", []))
        return (event.entity_type, event.entity_id) in wanted

    # the export's own event is written after it is built
    return [event for event in audit_events() if about_them(event) and event.action != "caller.sar_exported"]


def _run_cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["sar", *args])


def test_the_export_holds_every_linked_record(app: Flask, history: History, tmp_path: Path) -> None:
    result = _run_cli(app, "--caller-id", str(history.caller.id), "--out", str(tmp_path))

    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / JSON_NAME).read_text())
    assert document["caller"]["id"] == history.caller.id
    assert document["caller"]["name"] == history.name
    assert document["caller"]["safe_to_call_notes"] == history.texts[1]
    ids = _linked_ids(document)
    assert ids["cases"] == [history.case.id]
    assert document["cases"][0]["reference"] == history.case.reference
    assert sorted(ids["calls"]) == sorted([history.call.id, history.stray_call.id])
    assert ids["case_notes"] == [history.note.id]
    assert ids["callbacks"] == [history.callback.id]
    assert len(ids["caller_flags"]) == 2  # on the caller, and on their number
    for section in (
        "assessments",
        "callback_attempts",
        "callback_handovers",
        "emergency_alerts",
        "emergency_actions",
        "safeguarding_records",
        "case_flags",
    ):
        assert len(ids[section]) == 1, section
    every_text = json.dumps(document)
    # every note and reason (the staff's reminder messages and bell notifications about the case are not the caller's)
    missing = [text for text in history.texts if text not in every_text and not text.startswith(("x2", "x3"))]
    assert missing == []
    html = (tmp_path / HTML_NAME).read_text()
    assert history.case.reference in html
    assert history.texts[12] in html


def test_the_access_list_is_the_audit_trail_of_the_records(
    app: Flask, history: History, tmp_path: Path, client: FlaskClient, login_as: Callable[..., User]
) -> None:
    viewer = login_as(Role.MANAGER, full_name="Casey Viewer")
    client.get(f"/cases/{history.case.id}")
    client.get(f"/callbacks/{history.callback.id}")
    client.get("/cases/")  # all open cases: a listing that shows this one
    [concern] = queries.records_for_case(history.case.id)
    client.get(f"/safeguarding/{concern.id}")
    client.get("/safeguarding/")  # the managers' list shows it
    other = factories.make_case(factories.make_caller(name="Someone Else"))
    db.session.commit()
    client.get("/search", query_string={"q": "Someone Else"})  # a search that does not

    _run_cli(app, "--phone", history.phone_typed, "--out", str(tmp_path))
    document = json.loads((tmp_path / JSON_NAME).read_text())

    expected = _expected_access(history, document)
    assert [row["audit_event_id"] for row in document["access"]] == [event.id for event in expected]
    viewed = [row for row in document["access"] if row["staff_id"] == viewer.id]
    assert {row["action"] for row in viewed} >= {
        "case.viewed",
        "callback.viewed",
        "case.listed",
        "safeguarding.viewed",
        "safeguarding.listed",
    }
    assert "case.searched" not in {row["action"] for row in viewed}
    assert other.id not in [row["record_id"] for row in document["access"]]
    assert {(row["staff_name"], row["staff_role"]) for row in viewed} == {("Casey Viewer", "manager")}
    first = next(event for event in expected if event.id == viewed[0]["audit_event_id"])
    assert viewed[0]["at"] == to_local(first.occurred_at).isoformat()
    assert viewed[0]["at"].endswith(("+00:00", "+01:00"))  # Europe/London
    assert "Casey Viewer" in (tmp_path / HTML_NAME).read_text()


def test_the_cli_export_is_audited(app: Flask, history: History, tmp_path: Path) -> None:
    _run_cli(app, "--caller-id", str(history.caller.id), "--out", str(tmp_path))

    [event] = audit_events("caller.sar_exported")
    assert event.entity_id == str(history.caller.id)
    assert event.detail == {"via": "cli", "case_ids": [history.case.id]}
    assert (tmp_path / JSON_NAME).stat().st_mode & 0o077 == 0


def test_the_cli_refuses_an_unknown_number_and_needs_one_way_to_find_the_caller(
    app: Flask, db_session: Any, tmp_path: Path
) -> None:
    unknown = _run_cli(app, "--phone", factories.unique_phone(), "--out", str(tmp_path))
    both = _run_cli(app, "--phone", "07911 100001", "--caller-id", "1", "--out", str(tmp_path))

    assert unknown.exit_code != 0
    assert "No caller has that number" in unknown.output
    assert both.exit_code != 0
    assert not list(tmp_path.iterdir())
    assert audit_events("caller.sar_exported") == []


def test_an_admin_downloads_the_export_as_a_zip_from_the_case_page(
    client: FlaskClient, login_as: Callable[..., User], page_csrf: Callable[[str], str], history: History
) -> None:
    admin = login_as(Role.ADMIN)
    token = page_csrf(f"/cases/{history.case.id}")

    response = client.post(f"/callers/{history.caller.id}/subject-access", data={"csrf_token": token})

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    folder = f"caller-{history.caller.id}"
    assert sorted(archive.namelist()) == sorted([f"{folder}/{JSON_NAME}", f"{folder}/{HTML_NAME}"])
    document = json.loads(archive.read(f"{folder}/{JSON_NAME}"))
    assert document["caller"]["id"] == history.caller.id
    [event] = audit_events("caller.sar_exported")
    assert (event.actor_id, event.detail["via"]) == (admin.id, "page")


def test_managers_cannot_download_the_export(
    client: FlaskClient, login_as: Callable[..., User], page_csrf: Callable[[str], str], history: History
) -> None:
    login_as(Role.MANAGER)
    token = page_csrf(f"/cases/{history.case.id}")

    response = client.post(f"/callers/{history.caller.id}/subject-access", data={"csrf_token": token})

    assert response.status_code == 403
    assert audit_events("caller.sar_exported") == []
