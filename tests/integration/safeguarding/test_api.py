"""The safeguarding API: shapes (checked against the OpenAPI document), 422s naming fields, 403s, 409 for a step the
review may not take, the managers' list by status and age, and reads audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.safeguarding.models import SafeguardingRecord
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import Api, audit_events


def _case() -> Case:
    case = factories.make_case()
    db.session.commit()
    return case


def _post(api: Api, case: Case, **overrides: Any) -> Any:
    return api.post(f"/api/v1/cases/{case.id}/safeguarding", json=factories.safeguarding_body(**overrides))


def test_post_records_a_concern_and_get_lists_it(api: Api) -> None:
    case = _case()

    response = _post(api, case, agency="police", agency_reference="CAD 12/3", at_risk=["children", "caller"])

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "open"
    assert body["case_reference"] == case.reference
    assert body["at_risk"] == ["children", "caller"]
    assert body["agency"] == "police"
    listed = api.get(f"/api/v1/cases/{case.id}/safeguarding")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.get_json()["items"]] == [body["id"]]
    [event] = audit_events("safeguarding.listed", entity_id=str(case.id))
    assert event.detail == {"ids": [body["id"]]}


def test_shared_without_consent_needs_the_reasoning_422_naming_it(api: Api) -> None:
    response = _post(api, _case(), decision="shared_without_consent")

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"decision_reason"}


def test_missing_and_unknown_codes_are_422_naming_each_field(api: Api) -> None:
    response = api.post(
        f"/api/v1/cases/{_case().id}/safeguarding",
        json={"at_risk": ["the_dog"], "categories": [], "decision": "maybe"},
    )

    assert response.status_code == 422
    assert {"at_risk.0", "categories", "description", "decision"} <= set(response.get_json()["error"]["fields"])


def test_an_advisor_without_a_relationship_is_told_to_break_the_glass(api: Api) -> None:
    theirs = factories.make_case(actor=factories.make_user(role=Role.ADVISOR))
    record = factories.make_safeguarding(theirs)
    db.session.commit()

    for response in (
        _post(api, theirs),
        api.get(f"/api/v1/cases/{theirs.id}/safeguarding"),
        api.patch(f"/api/v1/safeguarding/{record.id}", json={"description": "changed"}),
    ):
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "break_glass_required"
    db.session.refresh(record)
    assert record.description != "changed"


def test_patch_changes_what_is_sent(api: Api) -> None:
    record_id = _post(api, _case()).get_json()["id"]

    response = api.patch(
        f"/api/v1/safeguarding/{record_id}",
        json={"agency": "adult_social_care", "agency_contacted_at": (now_utc() - timedelta(minutes=5)).isoformat()},
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["agency"] == "adult_social_care"
    assert response.get_json()["description"] == factories.safeguarding_body()["description"]
    assert audit_events("safeguarding.updated", entity_id=str(record_id))


def test_review_is_for_managers_and_refuses_a_skipped_step_with_409(api: Api, api_as: Callable[..., Api]) -> None:
    manager = api_as(Role.MANAGER)
    record_id = _post(api, _case()).get_json()["id"]
    path = f"/api/v1/safeguarding/{record_id}/review"

    assert api.post(path, json={"status": "under_review"}).status_code == 403
    skipped = manager.post(path, json={"status": "closed", "outcome_note": "done"})
    assert skipped.status_code == 409
    assert skipped.get_json()["error"]["current_status"] == "open"
    moved = manager.post(path, json={"status": "under_review"})
    assert moved.status_code == 200
    assert moved.get_json()["reviewed_by_id"] == manager.user_id
    no_outcome = manager.post(path, json={"status": "closed"})
    assert no_outcome.status_code == 422
    assert set(no_outcome.get_json()["error"]["fields"]) == {"outcome_note"}
    closed = manager.post(path, json={"status": "closed", "outcome_note": "Social worker visited"})
    assert closed.get_json()["status"] == "closed"
    assert api.patch(f"/api/v1/safeguarding/{record_id}", json={"description": "x"}).status_code == 409


def test_the_managers_list_filters_by_status_and_age(api: Api, api_as: Callable[..., Api]) -> None:
    manager = api_as(Role.MANAGER)
    old_id = _post(api, _case()).get_json()["id"]
    new_id = _post(api, _case()).get_json()["id"]
    reviewed_id = _post(api, _case()).get_json()["id"]
    manager.post(f"/api/v1/safeguarding/{reviewed_id}/review", json={"status": "under_review"})
    old = db.session.get(SafeguardingRecord, old_id)
    assert old is not None
    old.created_at = now_utc() - timedelta(days=10)
    db.session.commit()

    def ids(query: str) -> list[int]:
        response = manager.get(f"/api/v1/safeguarding{query}")
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert api.get("/api/v1/safeguarding?status=open").status_code == 403
    assert {old_id, new_id} <= set(ids("?status=open"))
    assert reviewed_id not in ids("?status=open")
    assert reviewed_id in ids("?status=under_review")
    aged = ids("?status=open&older_than_days=7")
    assert old_id in aged
    assert new_id not in aged
    assert manager.get("/api/v1/safeguarding?status=pending").status_code == 422
    listings = audit_events("safeguarding.listed", actor_id=manager.user_id)
    assert listings
    assert listings[-1].entity_id is None


def test_the_case_timeline_lists_safeguarding_records_and_emergency_actions(api: Api) -> None:
    case = _case()
    record_id = _post(api, case, categories=["self_neglect"]).get_json()["id"]
    action_id = api.post(f"/api/v1/cases/{case.id}/emergency-log", json=factories.emergency_body()).get_json()["id"]

    items = api.get(f"/api/v1/cases/{case.id}/timeline").get_json()["items"]

    kinds = {(item["kind"], item["id"]): item["summary"] for item in items}
    assert kinds[("safeguarding", record_id)] == "Safeguarding concern (self-neglect): open"
    assert (
        kinds[("emergency_action", action_id)]
        == "Emergency: Ambulance, call made for the caller: help sent to the caller"
    )


def test_the_audit_trail_of_a_case_and_of_its_caller_holds_its_safeguarding_and_emergency_events(
    api: Api, api_as: Callable[..., Api]
) -> None:
    admin = api_as(Role.ADMIN)
    case = _case()
    record_id = _post(api, case).get_json()["id"]
    action_id = api.post(f"/api/v1/cases/{case.id}/emergency-log", json=factories.emergency_body()).get_json()["id"]

    for query in ({"case": case.reference}, {"caller": case.caller_id}):
        items = admin.get("/api/v1/audit", query_string={**query, "limit": 200}).get_json()["items"]
        found = {(item["action"], item["entity_id"]) for item in items}
        assert ("safeguarding.recorded", str(record_id)) in found, query
        assert ("emergency.logged", str(action_id)) in found, query
