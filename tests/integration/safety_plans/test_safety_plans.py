"""A case's safety plan: saved in versions through the API and the page, the plain printable copy, access by
relationship, and its text in retention and subject access."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.retention import services as retention
from caseapp.safety_plans.models import SafetyPlan
from caseapp.safety_plans.services import save_plan
from caseapp.sar.services import build_export
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.api_support import Api, audit_events
from tests.integration.retention.support import where_found

PLAN = {
    "warning_signs": "Not sleeping, pulling away from Jo",
    "coping_strategies": "Walk the dog, ring Jo",
    "contacts": "Jo (sister) 07700 900123",
    "services": "Samaritans: 116 123",
    "safe_place": "Jo's flat on Elm Street",
}


def _case(actor: User | None = None) -> Case:
    case = factories.make_case(actor=actor)
    db.session.commit()
    return case


def test_a_case_without_a_plan_answers_no_version_and_the_suggested_numbers(api: Api) -> None:
    case = _case()

    reply = api.get(f"/api/v1/cases/{case.id}/safety-plan")

    assert reply.status_code == 200
    body = reply.get_json()
    assert (body["case_id"], body["version"], body["warning_signs"]) == (case.id, None, None)
    assert "Samaritans: 116 123" in body["suggested_services"]
    assert audit_events("safety_plan.viewed") == []


def test_saving_makes_a_new_version_and_the_latest_is_shown(api: Api) -> None:
    case = _case()
    path = f"/api/v1/cases/{case.id}/safety-plan"

    first = api.put(path, json=PLAN)
    second = api.put(path, json={**PLAN, "safe_place": "The drop-in on King Street"})

    assert (first.status_code, second.status_code) == (200, 200), second.get_json()
    assert (first.get_json()["version"], second.get_json()["version"]) == (1, 2)
    shown = api.get(path).get_json()
    assert shown["version"] == 2
    assert shown["safe_place"] == "The drop-in on King Street"
    assert shown["contacts"] == PLAN["contacts"]
    versions = db.session.scalars(sa.select(SafetyPlan).where(SafetyPlan.case_id == case.id).order_by(SafetyPlan.id))
    assert [(p.version, p.safe_place) for p in versions] == [
        (1, PLAN["safe_place"]),
        (2, "The drop-in on King Street"),
    ]
    saved = audit_events("safety_plan.saved")
    assert [e.detail for e in saved] == [{"case_id": case.id, "version": 1}, {"case_id": case.id, "version": 2}]
    [viewed] = audit_events("safety_plan.viewed")
    assert viewed.detail == {"case_id": case.id, "version": 2, "via": "api"}


def test_an_empty_plan_or_an_overlong_part_is_422(api: Api) -> None:
    case = _case()
    path = f"/api/v1/cases/{case.id}/safety-plan"

    empty = api.put(path, json={"warning_signs": "  "})
    long = api.put(path, json={"warning_signs": "x" * 4001})

    assert empty.status_code == 422
    assert long.status_code == 422
    assert "warning_signs" in long.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SafetyPlan)) == 0


def test_an_advisor_without_a_relationship_gets_403(api_as: Callable[..., Api]) -> None:
    owner = factories.make_user(role=Role.ADVISOR)
    case = _case(actor=owner)
    save_plan(case, PLAN, actor=owner)
    db.session.commit()
    stranger = api_as(Role.ADVISOR)
    path = f"/api/v1/cases/{case.id}/safety-plan"

    assert stranger.get(path).status_code == 403
    assert stranger.put(path, json=PLAN).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SafetyPlan)) == 1


def test_a_manager_reads_any_case_plan(api_as: Callable[..., Api]) -> None:
    owner = factories.make_user(role=Role.ADVISOR)
    case = _case(actor=owner)
    save_plan(case, PLAN, actor=owner)
    db.session.commit()

    assert api_as(Role.MANAGER).get(f"/api/v1/cases/{case.id}/safety-plan").status_code == 200


# --- pages -------------------------------------------------------------------------------------------------------


def test_a_new_plan_starts_with_the_crisis_numbers(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = _case()

    page = client.get(f"/cases/{case.id}/safety-plan").get_data(as_text=True)

    for suggestion in ("Samaritans: 116 123", "NHS 111, option 2", "999", "Local drug and alcohol service"):
        assert suggestion in page


def test_the_page_saves_versions_and_the_print_page_is_plain(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = _case()
    token = csrf_token_from(client.get(f"/cases/{case.id}/safety-plan").get_data(as_text=True))

    saved = client.post(f"/cases/{case.id}/safety-plan", data={"csrf_token": token, **PLAN})
    again = client.post(f"/cases/{case.id}/safety-plan", data={"csrf_token": token, **PLAN, "safe_place": "Home"})

    assert (saved.status_code, again.status_code) == (302, 302)
    page = client.get(f"/cases/{case.id}/safety-plan").get_data(as_text=True)
    assert "Version 2" in page
    assert "Version 1" in page
    assert "(current)" in page
    printed = client.get(f"/cases/{case.id}/safety-plan/print")
    html = printed.get_data(as_text=True)
    assert printed.status_code == 200
    assert "<nav" not in html
    assert "quick-search" not in html
    assert "topbar" not in html
    assert "My safety plan" in html
    assert "Home" in html
    assert PLAN["contacts"] in html
    assert PLAN["warning_signs"] in html
    assert "Elm Street" not in html  # the earlier version's safe place
    assert [e.detail["via"] for e in audit_events("safety_plan.viewed")] == ["page", "print"]


def test_the_page_keeps_what_was_typed_when_the_plan_is_empty(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    case = _case()
    token = csrf_token_from(client.get(f"/cases/{case.id}/safety-plan").get_data(as_text=True))

    reply = client.post(f"/cases/{case.id}/safety-plan", data={"csrf_token": token, "warning_signs": ""})
    long = client.post(
        f"/cases/{case.id}/safety-plan", data={"csrf_token": token, "safe_place": "y" * 4001, "contacts": "Jo"}
    )

    assert reply.status_code == 422
    assert "Write at least one part of the plan." in reply.get_data(as_text=True)
    assert long.status_code == 422
    assert ">Jo</textarea>" in long.get_data(as_text=True)


def test_the_pages_refuse_an_advisor_without_a_relationship(client: FlaskClient, login_as: Any) -> None:
    owner = factories.make_user(role=Role.ADVISOR)
    case = _case(actor=owner)
    save_plan(case, PLAN, actor=owner)
    db.session.commit()
    login_as(Role.ADVISOR)

    assert client.get(f"/cases/{case.id}/safety-plan").status_code == 403
    assert client.get(f"/cases/{case.id}/safety-plan/print").status_code == 403


# --- retention and subject access ----------------------------------------------------------------------------------


def test_erasure_clears_the_plans_text_and_the_export_includes_it(db_session: Any) -> None:
    advisor = factories.make_user()
    admin = factories.make_user(role=Role.ADMIN)
    case = factories.make_case(actor=advisor)
    marker = f"plan-marker-{case.id}"
    plan = save_plan(case, {**PLAN, "warning_signs": marker}, actor=advisor)
    db.session.commit()

    export = build_export(case.caller)
    [row] = export.document["safety_plans"]
    assert (row["id"], row["warning_signs"], row["contacts"]) == (plan.id, marker, PLAN["contacts"])
    assert marker in export.html_text
    assert where_found([marker]) == [("safety_plans.warning_signs", marker)]

    retention.erase_caller(case.caller.id, actor=admin, reason="Subject's erasure request, ticket 77")
    db.session.commit()

    assert where_found([marker, PLAN["contacts"], PLAN["safe_place"]]) == []
    kept = db.session.get(SafetyPlan, plan.id)
    assert kept is not None
    assert (kept.version, kept.warning_signs, kept.contacts, kept.safe_place) == (1, None, None, None)
