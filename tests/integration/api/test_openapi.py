"""GET /api/v1/openapi.json: the schemas are sound JSON Schema, and the responses of the main endpoints validate
against them (every Api-client request in the suite is checked the same way). That every API route is documented,
and nothing else, is checked with the role matrix in tests/security/test_access.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories
from tests.integration.api_support import Api, ResponseChecker, openapi_to_json_schema


def test_openapi_document_is_public_openapi_3(anonymous_api: Api) -> None:
    response = anonymous_api.client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")


def test_openapi_component_schemas_are_valid_json_schema(openapi_spec: dict[str, Any]) -> None:
    for name, schema in openapi_spec["components"]["schemas"].items():
        try:
            jsonschema.Draft202012Validator.check_schema(openapi_to_json_schema(schema))
        except jsonschema.SchemaError as exc:  # pragma: no cover - the message names the schema
            pytest.fail(f"{name}: {exc.message}")


def test_openapi_documents_the_field_names_other_clients_rely_on(openapi_spec: dict[str, Any]) -> None:
    schemas = openapi_spec["components"]["schemas"]
    call_in = set(schemas["CallCreate"]["properties"])
    call_out = set(schemas["LoggedCall"]["properties"])
    patch = set(schemas["CasePatch"]["properties"])

    assert {
        "phone",
        "caller_name",
        "relationship",
        "consent_callback",
        "consent_voicemail",
        "consent_sms",
        "direction",
        "channel",
        "started_at",
        "ended_at",
        "reason",
        "notes",
        "case_id",
    } <= call_in
    assert "name" not in call_in  # the API calls it caller_name; `name` is refused
    assert {"id", "case_id", "case_reference", "caller_id", "started_at"} <= call_out
    assert patch == {"version", "status", "close_reason", "assigned_advisor_id", "risk_level"}
    assert schemas["CasePatch"]["required"] == ["version"]
    assert {"items", "next"} == set(schemas["CallPage"]["required"])


def test_openapi_documents_reference_values_as_enums(openapi_spec: dict[str, Any]) -> None:
    schemas = openapi_spec["components"]["schemas"]

    assert schemas["CasePatch"]["properties"]["status"]["enum"] == [
        "new",
        "assessing",
        "assessed",
        "referred",
        "admitted",
        "closed",
    ]
    assert "immediate_danger" in schemas["Case"]["properties"]["risk_level"]["enum"]
    assert "heroin" in schemas["Assessment"]["properties"]["primary_substance"]["enum"]
    assert "professional_enquiry" in schemas["Call"]["properties"]["call_type"]["enum"]


def test_responses_of_the_main_endpoints_validate_against_the_document(
    api: Api, response_checker: ResponseChecker
) -> None:
    """One pass over the call loop, every response checked (the Api client checks each one against its operation)."""
    manager = factories.make_user(role=Role.MANAGER)
    db.session.commit()
    logged = api.post(
        "/api/v1/calls",
        json={
            "phone": "07811 606 606",
            "caller_name": "Jo",
            "preferred_from": "18:00",
            "preferred_to": "20:00",
            "ended_at": None,
            "tags": ["heroin"],
        },
    ).get_json()
    case_id, caller_id = logged["case_id"], logged["caller_id"]
    api.post("/api/v1/calls", json={"call_type": "silent"})
    assessment = api.post(
        f"/api/v1/cases/{case_id}/assessments",
        json=factories.assessment_answers(risk_level="immediate_danger", last_use_at="2026-11-24T22:00:00+00:00"),
    ).get_json()
    api.post(
        f"/api/v1/cases/{case_id}/assessments",
        json=factories.assessment_answers(supersedes_id=assessment["id"], call_id=logged["id"]),
    )
    api.post(f"/api/v1/cases/{case_id}/notes", json={"body": "note"})
    case = api.get(f"/api/v1/cases/{case_id}").get_json()
    api.patch(f"/api/v1/cases/{case_id}", json={"version": case["version"], "assigned_advisor_id": manager.id})
    api.patch(f"/api/v1/cases/{case_id}", json={"version": case["version"], "risk_level": "low"})  # 409
    api.patch(f"/api/v1/callers/{caller_id}", json={"consent_sms": True})
    responses = [
        api.get("/api/v1/calls", query_string={"limit": 1}),
        api.get(f"/api/v1/calls/{logged['id']}"),
        api.get("/api/v1/callers", query_string={"phone": "+447811606606"}),
        api.get("/api/v1/callers", query_string={"phone": "07400 123456"}),
        api.get(f"/api/v1/callers/{caller_id}"),
        api.get("/api/v1/cases", query_string={"limit": 1}),
        api.get(f"/api/v1/cases/{case_id}/timeline"),
        api.get(f"/api/v1/cases/{case_id}/assessments"),
        api.get("/api/v1/notifications"),
        api.get("/api/v1/reference"),
    ]

    assert all(r.status_code == 200 for r in responses), [r.get_json() for r in responses if r.status_code != 200]
    assert responses[0].get_json()["next"] is not None  # a non-null cursor validated too
    assert responses[2].get_json()["items"][0]["open_case"]["id"] == case_id
    assert responses[3].get_json()["items"] == []


def test_response_checker_rejects_a_body_that_breaks_the_document(response_checker: ResponseChecker) -> None:
    """The checker itself must be able to fail, or every check above is empty."""
    case_schema = {"$ref": "#/components/schemas/Case"}

    with pytest.raises(AssertionError):
        response_checker.validate(case_schema, {"id": "one"})
    with pytest.raises(AssertionError):
        response_checker.validate(case_schema, {"id": 1, "created_at": "2026-11-25T10:00:00"})  # naive
    with pytest.raises(AssertionError):
        response_checker.validate(case_schema, {"id": 1, "status": "lost"})
    with pytest.raises(AssertionError):
        response_checker.validate(case_schema, {"id": 1, "surprise": True})


def test_csv_reports_are_documented_as_text_csv(api_as: Callable[..., Api], openapi_spec: dict[str, Any]) -> None:
    """The CSV exports answer text/csv; the document says so (it showed a 200 without a body)."""
    manager = api_as(Role.MANAGER)
    csv_paths = [path for path in openapi_spec["paths"] if path.endswith(".csv")]

    with manager.client:  # keeps the request context for the streamed body
        response = manager.get("/api/v1/reports/heatmap.csv")  # checked against the document
        body = response.get_data(as_text=True)

    assert response.status_code == 200
    assert body.startswith("weekday,")
    exports = {rule.rule for rule in manager.client.application.url_map.iter_rules() if rule.rule.endswith(".csv")}
    assert {path for path in exports if path.startswith("/api/")} == set(csv_paths)  # every export is documented
    assert "/api/v1/reports/telephony.csv" in csv_paths
    for path in csv_paths:
        content = openapi_spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert content == {"text/csv": {"schema": {"type": "string"}}}, path
