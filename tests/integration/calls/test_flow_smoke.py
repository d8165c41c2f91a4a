from __future__ import annotations

from caseapp.auth.models import Role
from caseapp.auth.services import create_token
from caseapp.extensions import db
from tests import factories


def test_call_loop_end_to_end_through_the_api(client, db_session):
    user = factories.make_user(role=Role.ADVISOR)
    _, token = create_token(user, "t", actor_id=None)
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    first = client.post(
        "/api/v1/calls",
        json={
            "phone": "07811 606 606",
            "caller_name": "Jo",
            "consent_callback": True,
            "notes": "<script>alert(1)</script>",
        },
        headers=auth,
    )
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["case_reference"].startswith("CA-")
    second = client.post("/api/v1/calls", json={"phone": "447811606606"}, headers=auth)
    assert second.get_json()["case_id"] == body["case_id"]
    found = client.get("/api/v1/callers", query_string={"phone": "+44 7811 606606"}, headers=auth).get_json()
    assert found["items"][0]["id"] == body["caller_id"]
    assessment = client.post(
        f"/api/v1/cases/{body['case_id']}/assessments",
        headers=auth,
        json={
            "primary_substance": "heroin",
            "substances": ["heroin", "alcohol"],
            "funding_route": "unknown",
            "recommended_pathway": "medical_detox",
            "risk_level": "immediate_danger",
            "consent_data_processing": True,
            "withdrawal_symptoms": ["nausea"],
        },
    )
    assert assessment.status_code == 201, assessment.get_json()
    case = client.get(f"/api/v1/cases/{body['case_id']}", headers=auth).get_json()
    assert case["status"] == "assessed"
    assert case["risk_level"] == "immediate_danger"
    stale = client.patch(
        f"/api/v1/cases/{body['case_id']}", headers=auth, json={"version": case["version"] - 1, "status": "referred"}
    )
    assert stale.status_code == 409, stale.get_json()
    ok = client.patch(
        f"/api/v1/cases/{body['case_id']}", headers=auth, json={"version": case["version"], "status": "referred"}
    )
    assert ok.status_code == 200, ok.get_json()
    timeline = client.get(f"/api/v1/cases/{body['case_id']}/timeline", headers=auth).get_json()
    assert [e["kind"] for e in timeline["items"]].count("call") == 2
    listing = client.get("/api/v1/calls?limit=1", headers=auth).get_json()
    assert listing["next"]
    page2 = client.get(f"/api/v1/calls?limit=1&cursor={listing['next']}", headers=auth).get_json()
    assert "items" in page2, page2
    assert page2["items"][0]["id"] != listing["items"][0]["id"]
    bad = client.post(
        "/api/v1/calls", json={"phone": "12345", "direction": "sideways", "started_at": "yesterday"}, headers=auth
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) >= {"direction", "started_at"}
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/calls" in spec["paths"]
    assert client.get("/api/v1/reference", headers=auth).get_json()["substances"][0]["value"] == "heroin"
