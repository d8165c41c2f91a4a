"""The directory pages: the list with its filter bar (beds "confirmed N days ago" in UK days, the commercial link
said plainly, inactive hidden unless asked), a service's page, adding and changing one (refused input comes back as
typed, in plain English), confirming beds, taking a service out of use; and who may do what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.directory.models import CommercialRelationship, Region, ServiceType, TreatmentService
from caseapp.directory.present import confirmed_ago
from caseapp.extensions import db
from caseapp.timeutil import local_to_utc, now_utc, to_local
from tests import factories
from tests.html import form_defaults
from tests.integration.api_support import audit_events
from tests.statements import counted_queries


def test_the_list_shows_type_region_rating_funding_beds_and_the_commercial_link(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.ADVISOR)
    three_days_ago = local_to_utc(datetime.combine(to_local(now_utc()).date() - timedelta(days=3), time(12, 0)))
    factories.make_treatment_service(
        name="Listed Rehab",
        commercial_relationship=CommercialRelationship.OWNERSHIP,
        commercial_detail="Same owner",
        beds_available=2,
        beds_confirmed_at=three_days_ago,
    )
    factories.make_treatment_service(name="Hidden Closed", is_active=False)
    db.session.commit()
    page = client.get("/services/").get_data(as_text=True)
    with_inactive = client.get("/services/?inactive=1").get_data(as_text=True)

    assert "Listed Rehab" in page
    assert "Residential rehab" in page
    assert "London" in page
    assert "Good" in page
    assert "NHS, Self-funded" in page
    assert "2 beds free, confirmed 3 days ago" in page
    assert "Common ownership" in page
    assert "Hidden Closed" not in page
    assert "Hidden Closed" in with_inactive


def test_the_filter_bar_narrows_the_list_and_reports_a_bad_value(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.ADVISOR)
    factories.make_treatment_service(
        name="Glasgow Detox", service_type=ServiceType.MEDICAL_DETOX, region=Region.SCOTLAND
    )
    factories.make_treatment_service(name="London Rehab")
    db.session.commit()

    narrowed = client.get("/services/?type=medical_detox&region=scotland").get_data(as_text=True)
    by_name = client.get("/services/?q=london").get_data(as_text=True)
    bad = client.get("/services/?type=spa")

    assert "Glasgow Detox" in narrowed
    assert "London Rehab" not in narrowed
    assert "London Rehab" in by_name
    assert "Glasgow Detox" not in by_name
    assert bad.status_code == 422
    assert "Some filters were not valid" in bad.get_data(as_text=True)


def test_confirmed_ago_counts_uk_calendar_days_across_the_clock_changes() -> None:
    # 23:30 BST on Saturday 24 October is 22:30 UTC; the clocks go back at 02:00 on Sunday 25 October
    confirmed = datetime(2026, 10, 24, 22, 30, tzinfo=UTC)
    assert confirmed_ago(confirmed, datetime(2026, 10, 24, 22, 45, tzinfo=UTC)) == "confirmed today at 23:30"
    assert confirmed_ago(confirmed, datetime(2026, 10, 25, 0, 5, tzinfo=UTC)) == "confirmed yesterday"
    assert confirmed_ago(confirmed, datetime(2026, 10, 27, 23, 59, tzinfo=UTC)) == "confirmed 3 days ago"
    # March: 00:30 GMT on Sunday 29 March, read just after midnight BST on the Monday
    spring = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert confirmed_ago(spring, datetime(2026, 3, 29, 23, 30, tzinfo=UTC)) == "confirmed yesterday"  # 00:30 BST
    assert confirmed_ago(spring, datetime(2026, 3, 29, 22, 59, tzinfo=UTC)) == "confirmed today at 00:30"


def test_the_service_page_shows_everything_and_warns_of_the_commercial_link(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.ADVISOR)
    service = factories.make_treatment_service(
        name="Shown Service",
        phone="+442079460321",
        email="a@shown.example.org",
        website="https://shown.example.org",
        address="1 High Street",
        postcode="E1 1JG",
        commercial_relationship=CommercialRelationship.COMMISSION,
        commercial_detail="£500 per admission",
        notes="Ring first",
        min_age=18,
        max_age=65,
    )
    db.session.commit()

    page = client.get(f"/services/{service.id}").get_data(as_text=True)

    for text in (
        "Shown Service",
        "020 7946 0321",
        "a@shown.example.org",
        "https://shown.example.org",
        "1 High Street",
        "E1 1JG",
        "We receive commission",
        "£500 per admission",
        "Tell the caller before offering this service",
        "Ring first",
        "aged 18 to 65",
        service.regulator_id or "",
        "Alcohol, Heroin",
    ):
        assert text in page, text
    assert "Change the details" not in page  # an advisor reads only


def test_a_manager_adds_a_service_and_a_bad_field_comes_back_as_typed(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    manager = login_as(Role.MANAGER)
    form = form_defaults(client.get("/services/new").get_data(as_text=True), "service-form")
    for name, value in {
        "name": "Typed Name",
        "service_type": "crisis",
        "region": "wales",
        "email": "not-an-email",
    }.items():
        form[name] = value
    form.setlist("substances", ["alcohol", "cannabis"])
    form.setlist("funding", ["nhs"])
    form["commercial_relationship"] = "contract"

    refused = client.post("/services/new", data=form)

    assert refused.status_code == 422, refused.get_data(as_text=True)[-3000:]
    html = refused.get_data(as_text=True)
    assert 'value="Typed Name"' in html
    assert 'value="not-an-email"' in html
    assert "Enter an email address, e.g. name@example.org." in html
    assert 'value="cannabis" checked' in html
    assert "Say what the link is" in html
    assert db.session.query(TreatmentService).filter_by(name="Typed Name").count() == 0

    form["email"] = "ok@typed.example.org"
    form["commercial_detail"] = "£1,000 a year"
    added = client.post("/services/new", data=form)

    assert added.status_code == 302, added.get_data(as_text=True)
    service = db.session.query(TreatmentService).filter_by(name="Typed Name").one()
    assert service.substances == ["alcohol", "cannabis"]
    assert service.commercial_relationship is CommercialRelationship.CONTRACT
    [event] = audit_events("service.created", entity_id=str(service.id))
    assert event.actor_id == manager.id


def test_a_manager_edits_a_service_and_only_the_changes_are_audited(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.MANAGER)
    service = factories.make_treatment_service(name="Before Edit", phone="+442079460321")
    db.session.commit()
    form = form_defaults(client.get(f"/services/{service.id}/edit").get_data(as_text=True), "service-form")
    assert form["name"] == "Before Edit"
    form["name"] = "After Edit"
    form["typical_wait_days"] = "30"

    response = client.post(f"/services/{service.id}/edit", data=form)

    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(service)
    assert (service.name, service.typical_wait_days, service.phone) == ("After Edit", 30, "+442079460321")
    [event] = audit_events("service.updated", entity_id=str(service.id))
    assert event.detail == {"fields": ["name", "typical_wait_days"]}
    stale = client.post(f"/services/{service.id}/edit", data=form)  # the same form again: its version is old
    assert stale.status_code == 409
    assert "Someone else changed this service" in stale.get_data(as_text=True)


def test_a_manager_confirms_beds_and_takes_a_service_out_of_use_and_back(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.MANAGER)
    service = factories.make_treatment_service()
    db.session.commit()
    csrf = form_defaults(client.get(f"/services/{service.id}").get_data(as_text=True), "beds-form")["csrf_token"]

    beds = client.post(f"/services/{service.id}/beds", data={"csrf_token": csrf, "beds_available": "4"})
    bad = client.post(f"/services/{service.id}/beds", data={"csrf_token": csrf, "beds_available": "-1"})
    off = client.post(f"/services/{service.id}/deactivate", data={"csrf_token": csrf})
    on = client.post(f"/services/{service.id}/reactivate", data={"csrf_token": csrf})

    assert beds.status_code == 302
    assert bad.status_code == 422
    assert (off.status_code, on.status_code) == (302, 302)
    db.session.refresh(service)
    assert (service.beds_available, service.is_active) == (4, True)
    assert service.beds_confirmed_at is not None
    for action in ("service.beds_confirmed", "service.deactivated", "service.reactivated"):
        assert len(audit_events(action, entity_id=str(service.id))) == 1, action


def test_an_advisor_cannot_open_the_forms_or_change_a_service(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.ADVISOR)
    service = factories.make_treatment_service()
    db.session.commit()

    assert client.get("/services/new").status_code == 403
    assert client.get(f"/services/{service.id}/edit").status_code == 403
    assert client.post(f"/services/{service.id}/deactivate").status_code in (400, 403)


def test_the_navigation_links_to_the_directory(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as(Role.ADVISOR)

    page = client.get("/services/").get_data(as_text=True)

    assert '<a href="/services/" aria-current="page">Services</a>' in page


def test_the_list_takes_the_same_statements_for_2_services_as_for_12(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.ADVISOR)

    def statements_for(rows: int) -> int:
        while db.session.query(TreatmentService).filter(TreatmentService.name.like("Counted %")).count() < rows:
            factories.make_treatment_service(name=f"Counted {rows}")
        db.session.commit()
        assert client.get("/services/?q=Counted").status_code == 200
        with counted_queries() as seen:
            page = client.get("/services/?q=Counted")
        assert page.get_data(as_text=True).count('href="/services/') >= rows
        return len(seen)

    assert statements_for(2) == statements_for(12)
