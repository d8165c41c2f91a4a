"""The "Suggest services" page: reached from the case page, the criteria prefilled from the assessment, the ranked
list with why each matched and each commercial link with its wording, the disclosure tick box required, a refused
form shown again as typed with the message by the field, and an offer recorded back on the case page."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.referrals.models import Referral, ReferralOffer, ReferralOfferItem, ReferralStatus
from tests import factories
from tests.html import forms_on
from tests.integration.api_support import audit_events
from tests.integration.page_support import check_error_summary
from tests.integration.referrals.support import Seeded, seed


def _page(client: FlaskClient, seeded: Seeded, **query: str) -> str:
    response = client.get(f"/cases/{seeded.case.id}/suggest-services", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _post(client: FlaskClient, seeded: Seeded, page: str, **data: str) -> Any:
    """The offer form as a browser sends it (its hidden fields, the choices as shown), with `data` chosen."""
    url = f"/cases/{seeded.case.id}/suggest-services"
    [form] = [f for f in forms_on(page, url) if f.method == "POST" and f.action == url]
    sent = MultiDict([(k, v) for k, v in form.defaults() if k not in data])
    for key, value in data.items():
        sent.add(key, value)
    return client.post(form.action, data=sent)


def _row_of(page: str, service_id: int) -> int:
    match = re.search(rf'name="items-(\d+)-service_id" value="{service_id}"', page)
    assert match, f"service {service_id} is not listed"
    return int(match.group(1))


def test_the_case_page_links_to_suggest_services(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    seeded = seed()

    page = client.get(f"/cases/{seeded.case.id}").get_data(as_text=True)

    assert f'href="/cases/{seeded.case.id}/suggest-services"' in page


def test_the_page_prefills_the_criteria_and_lists_services_with_reasons_and_links(
    client: FlaskClient, login_as: Any
) -> None:
    login_as(Role.ADVISOR)
    seeded = seed()

    page = _page(client, seeded)

    assert '<option value="medical_detox" selected>' in page
    assert '<option value="heroin" selected>' in page
    assert '<option value="nhs_local_authority" selected>' in page
    assert re.search(r'name="dual_diagnosis" value="true" checked', page)
    order = [page.index(name) for name in ("Riverside Detox", "Harbour Clinic", "Anyone Detox")]
    assert order == sorted(order)
    assert "Hillside Rehab (Residential rehab" in page  # only in the list of services not suggested
    assert "Dual-diagnosis capable" in page
    assert "3 beds free, confirmed yesterday" in page
    assert "Commercial relationship: We receive commission" in page
    assert "we receive commission from Harbour Clinic when someone we refer goes there" in page
    assert f'name="items-{_row_of(page, seeded.commission.id)}-disclosed"' in page
    assert f'name="items-{_row_of(page, seeded.best.id)}-disclosed"' not in page


def test_an_offer_without_the_disclosure_is_shown_again_as_typed_with_the_message_by_the_tick_box(
    client: FlaskClient, login_as: Any
) -> None:
    login_as(Role.ADVISOR)
    seeded = seed()
    page = _page(client, seeded)
    row = _row_of(page, seeded.commission.id)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ReferralOffer))

    response = _post(client, seeded, page, **{f"items-{row}-action": "offer", "reason": "Wants to go soon"})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReferralOffer)) == before == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0
    reader = check_error_summary(html)
    assert f"#f-items-{row}-disclosed" in [href for href, _ in reader.summary_links]
    assert "Wants to go soon</textarea>" in html
    assert re.search(rf'name="items-{row}-action" value="offer" checked', html)
    assert "tell the caller before offering it" in html


def test_an_offer_with_the_disclosure_is_recorded_and_back_on_the_case_page(client: FlaskClient, login_as: Any) -> None:
    advisor = login_as(Role.ADVISOR)
    seeded = seed()
    page = _page(client, seeded, region="london")
    linked, plain = _row_of(page, seeded.commission.id), _row_of(page, seeded.plain.id)
    other = int(re.findall(r'name="items-(\d+)-service_id"', page)[-1])

    response = _post(
        client,
        seeded,
        page,
        region="london",
        reason="Wants NHS detox in London",
        **{
            f"items-{linked}-action": "offer",
            f"items-{linked}-disclosed": "true",
            f"items-{plain}-action": "shortlist",
            f"items-{other}-service_id": str(seeded.rehab.id),
            f"items-{other}-action": "offer",
        },
    )

    assert response.status_code == 302, re.findall(r'<li><a href="([^"]*)"', response.get_data(as_text=True))
    assert response.headers["Location"].endswith(f"/cases/{seeded.case.id}#referrals")
    [offer] = db.session.scalars(sa.select(ReferralOffer).where(ReferralOffer.case_id == seeded.case.id)).all()
    assert offer.advisor_id == advisor.id
    assert offer.criteria["region"] == "london"
    items = {
        i.service_id: (i.rank, i.offered, i.disclosed)
        for i in db.session.scalars(sa.select(ReferralOfferItem).where(ReferralOfferItem.offer_id == offer.id))
    }
    assert items == {
        seeded.best.id: (1, False, None),
        seeded.commission.id: (2, True, True),
        seeded.plain.id: (3, False, None),
        seeded.rehab.id: (None, True, None),
    }
    statuses = {
        r.service_id: r.status
        for r in db.session.scalars(sa.select(Referral).where(Referral.case_id == seeded.case.id))
    }
    assert statuses == {
        seeded.commission.id: ReferralStatus.OFFERED,
        seeded.plain.id: ReferralStatus.SUGGESTED,
        seeded.rehab.id: ReferralStatus.OFFERED,
    }
    assert "Offer recorded: 2 offered, 1 shortlisted." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert len(audit_events("referral.offered")) == 1


def test_an_offer_needs_a_service_and_a_reason(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    seeded = seed()
    page = _page(client, seeded)

    response = _post(client, seeded, page, reason="")

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    reader = check_error_summary(html)
    assert "#f-reason" in [href for href, _ in reader.summary_links]
    assert "Choose at least one service to offer or to shortlist." in html


def test_an_earlier_offer_is_listed_and_opens(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    seeded = seed()
    page = _page(client, seeded)
    row = _row_of(page, seeded.best.id)
    _post(client, seeded, page, reason="First choice close to home", **{f"items-{row}-action": "offer"})
    [offer_id] = db.session.scalars(sa.select(ReferralOffer.id)).all()

    again = _page(client, seeded)
    shown = client.get(f"/referral-offers/{offer_id}")

    assert "First choice close to home" in again
    assert f'href="/referral-offers/{offer_id}"' in again
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert "Riverside Detox" in html
    assert "First choice close to home" in html
    assert audit_events("referral.offer_viewed", entity_id=str(offer_id))


def test_an_advisor_without_access_cannot_open_the_page(client: FlaskClient, login_as: Any) -> None:
    owner = factories.make_user()
    factories.sign_in_as(owner)
    seeded = seed()
    factories.signed_out()
    login_as(Role.ADVISOR)

    response = client.get(f"/cases/{seeded.case.id}/suggest-services")

    assert response.status_code in (302, 403)
    assert audit_events("referral.suggestions_viewed") == []


def test_the_page_shows_a_services_number_as_it_is_dialled(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    seeded = seed()
    seeded.best.phone = "+441134960234"
    db.session.commit()

    page = _page(client, seeded)

    assert "0113 496 0234" in page
    assert "+441134960234" not in page
