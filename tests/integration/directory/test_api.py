"""The directory API: advisors list and read it (filters, keyset pages), managers and admins add and change it,
with 409 for a stale version or another service's regulator id, 422 naming each bad field, and the changes audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from caseapp.auth.models import Role
from caseapp.directory.models import CommercialRelationship, Funding, Region, Regulator, ServiceType
from caseapp.extensions import db
from caseapp.reference import Substance
from tests import factories
from tests.integration.api_support import Api, audit_events


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Harbour House",
        "service_type": "medical_detox",
        "region": "south_west",
        "phone": "0117 496 0123",
        "email": "admissions@harbour.example.org",
        "website": "https://harbour.example.org",
        "regulator": "cqc",
        "regulator_id": " 1-101234567 ",
        "rating": "good",
        "substances": ["alcohol", "heroin"],
        "funding": ["nhs"],
        "min_age": 18,
        "max_age": 65,
        "beds_available": 3,
        "postcode": "bs14dj",
    }
    body.update(overrides)
    return body


@pytest.fixture
def manager(api_as: Callable[..., Api]) -> Api:
    return api_as(Role.MANAGER)


def test_post_creates_a_service_normalised_and_audited(manager: Api) -> None:
    response = manager.post("/api/v1/services", json=_body())

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["phone"] == "+441174960123"
    assert body["postcode"] == "BS1 4DJ"
    assert body["regulator_id"] == "1-101234567"
    assert body["version"] == 1
    assert body["beds_confirmed_at"] is not None  # beds given without a time: confirmed now
    [event] = audit_events("service.created", entity_id=str(body["id"]))
    assert event.actor_id == manager.user_id


def test_get_lists_services_filtered_by_type_region_substance_funding_and_name(api: Api) -> None:
    detox = factories.make_treatment_service(
        name="Alpha Detox", service_type=ServiceType.MEDICAL_DETOX, region=Region.SCOTLAND, substances=[]
    )
    rehab = factories.make_treatment_service(
        name="Beta Rehab", substances=[Substance.COCAINE.value], funding=[Funding.INSURANCE.value]
    )
    gone = factories.make_treatment_service(name="Gamma Closed", is_active=False)
    db.session.commit()

    def names(**params: Any) -> list[str]:
        response = api.get("/api/v1/services", query_string={"limit": 200, **params})
        assert response.status_code == 200, response.get_json()
        mine = {detox.id, rehab.id, gone.id}
        return [item["name"] for item in response.get_json()["items"] if item["id"] in mine]

    assert names() == ["Alpha Detox", "Beta Rehab"]
    assert names(type="medical_detox") == ["Alpha Detox"]
    assert names(region=["scotland", "london"]) == ["Alpha Detox", "Beta Rehab"]
    assert names(substance="cocaine") == ["Alpha Detox", "Beta Rehab"]  # Alpha lists none: takes any
    assert names(substance="heroin") == ["Alpha Detox"]
    assert names(funding="insurance") == ["Beta Rehab"]
    assert names(q="rehab") == ["Beta Rehab"]
    assert names(active="false") == ["Gamma Closed"]
    assert names(active="any") == ["Alpha Detox", "Beta Rehab", "Gamma Closed"]


def test_get_pages_by_name_with_a_cursor(api: Api) -> None:
    made = [factories.make_treatment_service(name=f"Paging Service {n}") for n in (3, 1, 2)]
    db.session.commit()
    seen: list[str] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"limit": 2, "q": "Paging Service"}
        if cursor:
            query["cursor"] = cursor
        page = api.get("/api/v1/services", query_string=query).get_json()
        seen += [item["name"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == sorted(s.name for s in made)


def test_get_one_and_404(api: Api) -> None:
    service = factories.make_treatment_service(
        commercial_relationship=CommercialRelationship.COMMISSION, commercial_detail="10% of the first month"
    )
    db.session.commit()

    body = api.get(f"/api/v1/services/{service.id}").get_json()
    assert body["commercial_relationship"] == "commission"
    assert body["has_commercial_link"] is True
    assert body["commercial_detail"] == "10% of the first month"
    missing = api.get("/api/v1/services/999999999")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_patch_changes_only_what_is_sent_and_audits_the_field_names(manager: Api) -> None:
    service = factories.make_treatment_service(name="Old Name", typical_wait_days=14)
    db.session.commit()

    response = manager.patch(
        f"/api/v1/services/{service.id}", json={"version": 1, "name": "New Name", "typical_wait_days": 14}
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "New Name"
    assert body["version"] == 2
    assert body["region"] == "london"
    [event] = audit_events("service.updated", entity_id=str(service.id))
    assert event.detail == {"fields": ["name"]}


def test_patch_with_a_stale_version_is_409_and_changes_nothing(manager: Api) -> None:
    service = factories.make_treatment_service(name="Kept")
    db.session.commit()
    assert manager.patch(f"/api/v1/services/{service.id}", json={"version": 1, "notes": "first"}).status_code == 200

    stale = manager.patch(f"/api/v1/services/{service.id}", json={"version": 1, "name": "Lost"})

    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "conflict"
    db.session.expire_all()
    assert manager.get(f"/api/v1/services/{service.id}").get_json()["name"] == "Kept"


def test_a_regulator_id_already_listed_is_409_naming_the_other_service(manager: Api) -> None:
    other = factories.make_treatment_service(name="First Listed", regulator_id="1-555555555")
    mine = factories.make_treatment_service()
    db.session.commit()

    created = manager.post("/api/v1/services", json=_body(regulator_id="1-555555555"))
    patched = manager.patch(f"/api/v1/services/{mine.id}", json={"version": 1, "regulator_id": "1-555555555"})

    for response in (created, patched):
        assert response.status_code == 409
        error = response.get_json()["error"]
        assert f"Service {other.id} (First Listed)" in error["message"]
        assert error["service_id"] == other.id
        assert "regulator_id" in error["fields"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"service_type": "spa"}, "service_type"),
        ({"region": "mars"}, "region"),
        ({"substances": ["alcohol", "chocolate"]}, "substances.1"),
        ({"funding": ["lottery"]}, "funding.0"),
        ({"email": "not-an-email"}, "email"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"phone": "12345"}, "phone"),
        ({"postcode": "NOT A CODE"}, "postcode"),
        ({"min_age": 40, "max_age": 20}, "max_age"),
        ({"min_age": -1}, "min_age"),
        ({"beds_available": -2}, "beds_available"),
        ({"regulator": "none", "regulator_id": "1-101234567"}, "regulator_id"),
        ({"regulator_id": "CS123"}, "regulator_id"),
        ({"commercial_relationship": "commission"}, "commercial_detail"),
        ({"beds_available": None, "beds_confirmed_at": "2026-01-01T10:00:00Z"}, "beds_confirmed_at"),
        ({"beds_confirmed_at": "2099-01-01T10:00:00Z"}, "beds_confirmed_at"),
        ({"dual_diagnosis": "yes"}, "dual_diagnosis"),
    ],
)
def test_post_with_a_bad_field_is_422_naming_it(manager: Api, overrides: dict[str, Any], field: str) -> None:
    response = manager.post("/api/v1/services", json=_body(**overrides))

    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error["fields"]


def test_beds_are_confirmed_now_and_audited(manager: Api) -> None:
    service = factories.make_treatment_service()
    db.session.commit()

    response = manager.post(f"/api/v1/services/{service.id}/beds", json={"beds_available": 2})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["beds_available"] == 2
    assert response.get_json()["beds_confirmed_at"] is not None
    [event] = audit_events("service.beds_confirmed", entity_id=str(service.id))
    assert event.detail == {"beds": 2}


def test_patch_is_active_is_audited_as_deactivation_then_reactivation(manager: Api) -> None:
    service = factories.make_treatment_service()
    db.session.commit()

    assert manager.patch(f"/api/v1/services/{service.id}", json={"version": 1, "is_active": False}).status_code == 200
    assert manager.patch(f"/api/v1/services/{service.id}", json={"version": 2, "is_active": True}).status_code == 200

    assert len(audit_events("service.deactivated", entity_id=str(service.id))) == 1
    assert len(audit_events("service.reactivated", entity_id=str(service.id))) == 1
    assert audit_events("service.updated", entity_id=str(service.id)) == []


def test_an_advisor_may_read_but_not_write(api: Api) -> None:
    service = factories.make_treatment_service()
    db.session.commit()

    assert api.get(f"/api/v1/services/{service.id}").status_code == 200
    for response in (
        api.post("/api/v1/services", json=_body()),
        api.patch(f"/api/v1/services/{service.id}", json={"version": 1, "name": "x"}),
        api.post(f"/api/v1/services/{service.id}/beds", json={"beds_available": 1}),
    ):
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"


def test_an_admin_may_write(api_as: Callable[..., Api]) -> None:
    response = api_as(Role.ADMIN).post(
        "/api/v1/services", json=_body(regulator=Regulator.NONE.value, regulator_id=None, rating=None)
    )

    assert response.status_code == 201, response.get_json()


def test_without_signing_in_is_401(anonymous_api: Api) -> None:
    for response in (anonymous_api.get("/api/v1/services"), anonymous_api.post("/api/v1/services", json=_body())):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_patch_with_the_same_beds_and_no_time_keeps_the_time_they_were_confirmed(manager: Api) -> None:
    created = manager.post("/api/v1/services", json=_body()).get_json()

    same = manager.patch(
        f"/api/v1/services/{created['id']}", json={"version": 1, "beds_available": 3, "beds_confirmed_at": None}
    )
    cleared = manager.patch(f"/api/v1/services/{created['id']}", json={"version": 1, "beds_available": None})

    assert same.status_code == 200, same.get_json()
    assert same.get_json()["beds_confirmed_at"] == created["beds_confirmed_at"]
    assert cleared.status_code == 200, cleared.get_json()
    assert cleared.get_json()["beds_confirmed_at"] is None


def test_a_bad_email_and_website_are_worded_plainly(manager: Api) -> None:
    response = manager.post("/api/v1/services", json=_body(email="nope", website="nope"))

    fields = response.get_json()["error"]["fields"]
    assert fields["email"] == ["Enter an email address, e.g. name@example.org."]
    assert fields["website"] == ["Enter a web address, e.g. https://example.org."]
