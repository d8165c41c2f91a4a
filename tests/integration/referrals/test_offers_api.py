"""The suggestions and offers API on PostgreSQL: the ranked list for a seeded case, the disclosure rule, the server's
ranks, offering a service not suggested, shortlisting, refusals by field, access and the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.referrals.models import Referral, ReferralEvent, ReferralOffer, ReferralOfferItem, ReferralStatus
from tests import factories
from tests.integration.api_support import Api, audit_events, row_counts
from tests.integration.referrals.support import Seeded, seed

URL = "/api/v1/cases/{}/service-suggestions"
OFFERS = "/api/v1/cases/{}/referral-offers"


def _suggest(api: Api, seeded: Seeded, **query: Any) -> Any:
    response = api.get(URL.format(seeded.case.id), query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _offer(api: Api, seeded: Seeded, items: list[dict[str, Any]], **body: Any) -> Any:
    return api.post(OFFERS.format(seeded.case.id), json={"items": items, "reason": "Wants NHS detox soon", **body})


def test_suggestions_for_a_seeded_case_are_ranked_with_reasons(api: Api) -> None:
    seeded = seed()

    answer = _suggest(api, seeded, region="london")

    assert [(i["rank"], i["service"]["name"]) for i in answer["items"]] == [
        (1, "Riverside Detox"),
        (2, "Harbour Clinic"),
        (3, "Anyone Detox"),
    ]
    best = answer["items"][0]
    assert best["reasons"] == [
        "Treats heroin",
        "Takes NHS funding",
        "In London",
        "Dual-diagnosis capable",
        "3 beds free, confirmed yesterday",
        "Typical wait 5 days",
        "Rated good by the Care Quality Commission",
    ]
    assert best["score"] == 2 + 2 + 2 + 2 + 2 + 1
    assert answer["criteria"]["pathway"] == "medical_detox"
    assert answer["criteria"]["dual_diagnosis"] is True  # from the assessment's mental-health indicators
    assert answer["criteria"]["other_substances"] == ["alcohol"]
    linked = answer["items"][1]["service"]
    assert linked["commercial_relationship"] == "commission"
    assert "we receive commission from Harbour Clinic" in linked["disclosure"]
    assert answer["items"][0]["service"]["disclosure"] is None


def test_suggestions_follow_the_advisors_criteria(api: Api) -> None:
    seeded = seed()

    rehab = _suggest(api, seeded, pathway="residential_rehab")
    beds = _suggest(api, seeded, available_only="true")
    nothing = _suggest(api, seeded, pathway="no_further_action")

    assert [i["service"]["id"] for i in rehab["items"]] == [seeded.rehab.id]
    assert [i["service"]["id"] for i in beds["items"]] == [seeded.best.id]
    assert {m["service"]["id"] for m in beds["near_misses"]} == {seeded.commission.id, seeded.plain.id}
    assert nothing["items"] == []
    assert "no further action" in nothing["message"]


def test_suggestions_are_audited_as_a_read_of_the_case(api: Api) -> None:
    seeded = seed()

    answer = _suggest(api, seeded)

    [event] = audit_events("referral.suggestions_viewed", entity_id=str(seeded.case.id))
    assert event.entity_type == "case"
    assert event.detail["service_ids"] == [i["service"]["id"] for i in answer["items"]]


def test_an_offer_of_a_commission_service_is_refused_without_the_disclosure(api: Api) -> None:
    seeded = seed()
    before = row_counts()

    response = _offer(api, seeded, [{"service_id": seeded.commission.id, "action": "offer"}])

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert set(error["fields"]) == {"items.0.disclosed"}
    assert "commercial relationship" in error["fields"]["items.0.disclosed"][0]
    assert row_counts() == before


def test_an_offer_with_the_disclosure_stores_the_servers_ranks_and_a_referral_each(api: Api) -> None:
    seeded = seed()
    items = [
        {"service_id": seeded.commission.id, "action": "offer", "disclosed": True, "rank": 1},
        {"service_id": seeded.plain.id, "action": "shortlist", "rank": 9},
        {"service_id": seeded.best.id, "action": "offer", "rank": 3},
    ]

    response = _offer(api, seeded, items, criteria={"region": "london"})

    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    offer = db.session.get(ReferralOffer, answer["id"])
    assert offer is not None
    assert offer.reason == "Wants NHS detox soon"
    assert offer.criteria["region"] == "london"
    stored = {
        row.service_id: (row.rank, row.offered, row.commercial_relationship.value, row.disclosed)
        for row in db.session.scalars(sa.select(ReferralOfferItem).where(ReferralOfferItem.offer_id == offer.id))
    }
    assert stored == {
        seeded.best.id: (1, True, "none", None),
        seeded.commission.id: (2, True, "commission", True),
        seeded.plain.id: (3, False, "none", None),
    }
    referrals = {
        r.service_id: r.status
        for r in db.session.scalars(sa.select(Referral).where(Referral.case_id == seeded.case.id))
    }
    assert referrals == {
        seeded.commission.id: ReferralStatus.OFFERED,
        seeded.best.id: ReferralStatus.OFFERED,
        seeded.plain.id: ReferralStatus.SUGGESTED,
    }
    assert sorted(answer["referral_ids"]) == sorted(
        db.session.scalars(sa.select(Referral.id).where(Referral.case_id == seeded.case.id))
    )
    events = db.session.scalars(sa.select(ReferralEvent).join(Referral).where(Referral.case_id == seeded.case.id)).all()
    assert len(events) == 3
    assert {e.from_status for e in events} == {None}


def test_an_offer_is_audited_with_ids_and_ranks_and_never_the_reason(api: Api) -> None:
    seeded = seed()

    response = _offer(
        api,
        seeded,
        [
            {"service_id": seeded.commission.id, "action": "offer", "disclosed": True},
            {"service_id": seeded.plain.id, "action": "shortlist"},
        ],
        reason="Partner must not know: wants somewhere far away",
    )

    assert response.status_code == 201, response.get_json()
    [event] = audit_events("referral.offered")
    assert event.entity_type == "referral_offer"
    assert event.entity_id == str(response.get_json()["id"])
    assert event.detail["case_id"] == seeded.case.id
    assert event.detail["offered"] == [{"service_id": seeded.commission.id, "rank": 2}]
    assert event.detail["shortlisted"] == [{"service_id": seeded.plain.id, "rank": 3}]
    assert event.detail["disclosed"] == [seeded.commission.id]
    assert "Partner" not in str(event.detail)
    assert len(audit_events("referral.created")) == 2


def test_a_service_not_suggested_is_stored_offered_without_a_rank(api: Api) -> None:
    seeded = seed()

    response = _offer(api, seeded, [{"service_id": seeded.rehab.id, "action": "offer"}])

    assert response.status_code == 201, response.get_json()
    items = {i["service_id"]: i for i in response.get_json()["items"]}
    assert items[seeded.rehab.id]["rank"] is None
    assert items[seeded.rehab.id]["offered"] is True
    assert [items[s.id]["rank"] for s in (seeded.best, seeded.commission, seeded.plain)] == [1, 2, 3]
    assert not any(items[s.id]["offered"] for s in (seeded.best, seeded.commission, seeded.plain))


def test_offer_refusals_name_their_fields_and_store_nothing(api: Api) -> None:
    seeded = seed()
    before = row_counts()

    cases = {
        "no reason": ({"items": [{"service_id": seeded.best.id, "action": "offer"}], "reason": "  "}, {"reason"}),
        "no items": ({"items": [], "reason": "x"}, {"items"}),
        "twice": (
            {
                "items": [
                    {"service_id": seeded.best.id, "action": "offer"},
                    {"service_id": seeded.best.id, "action": "shortlist"},
                ],
                "reason": "x",
            },
            {"items.1.service_id"},
        ),
        "inactive": (
            {"items": [{"service_id": seeded.inactive.id, "action": "offer"}], "reason": "x"},
            {"items.0.service_id"},
        ),
        "unknown": ({"items": [{"service_id": 999999, "action": "offer"}], "reason": "x"}, {"items.0.service_id"}),
        "shortlist not suggested": (
            {"items": [{"service_id": seeded.rehab.id, "action": "shortlist"}], "reason": "x"},
            {"items.0.action"},
        ),
        "bad action": (
            {"items": [{"service_id": seeded.best.id, "action": "send"}], "reason": "x"},
            {"items.0.action"},
        ),
        "bad criteria": (
            {"items": [{"service_id": seeded.best.id, "action": "offer"}], "reason": "x", "criteria": {"age": 300}},
            {"criteria.age"},
        ),
    }
    answers = {name: api.post(OFFERS.format(seeded.case.id), json=body) for name, (body, _) in cases.items()}

    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(cases, 422)
    assert {name: set(r.get_json()["error"]["fields"]) for name, r in answers.items()} == {
        name: fields for name, (_, fields) in cases.items()
    }
    assert row_counts() == before


def test_an_advisor_without_access_to_the_case_gets_403(api_as: Callable[..., Api]) -> None:
    owner = api_as(Role.ADVISOR)
    seeded = seed()
    stranger = api_as(Role.ADVISOR)
    assert owner.user_id != stranger.user_id

    read = stranger.get(URL.format(seeded.case.id))
    write = _offer(stranger, seeded, [{"service_id": seeded.best.id, "action": "offer"}])
    listing = stranger.get(OFFERS.format(seeded.case.id))

    assert (read.status_code, write.status_code, listing.status_code) == (403, 403, 403)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReferralOffer)) == 0


def test_a_case_without_an_assessment_needs_a_pathway(api: Api) -> None:
    case = factories.make_case()
    service = factories.make_treatment_service(name="Lone Rehab")
    db.session.commit()

    shown = api.get(URL.format(case.id))
    refused = api.post(
        OFFERS.format(case.id), json={"items": [{"service_id": service.id, "action": "offer"}], "reason": "x"}
    )
    chosen = api.get(URL.format(case.id), query_string={"pathway": "residential_rehab"})

    assert shown.status_code == 200
    assert shown.get_json()["items"] == []
    assert "choose a pathway" in shown.get_json()["message"]
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {"criteria.pathway"}
    assert [i["service"]["name"] for i in chosen.get_json()["items"]] == ["Lone Rehab"]


def test_offers_are_listed_and_shown_with_their_referrals(api: Api, api_as: Callable[..., Api]) -> None:
    seeded = seed()
    created = _offer(api, seeded, [{"service_id": seeded.best.id, "action": "offer"}]).get_json()

    listed = api.get(OFFERS.format(seeded.case.id))
    one = api_as(Role.MANAGER).get(f"/api/v1/referral-offers/{created['id']}")

    assert listed.status_code == 200
    assert [o["id"] for o in listed.get_json()["items"]] == [created["id"]]
    assert one.status_code == 200
    shown = one.get_json()
    assert shown["reason"] == "Wants NHS detox soon"
    [best] = [i for i in shown["items"] if i["service_id"] == seeded.best.id]
    assert best["referral_id"] == created["referral_ids"][0]
    assert best["shortlisted"] is False
    assert audit_events("referral.offer_viewed", entity_id=str(created["id"]))
    assert audit_events("referral.offers_listed", entity_id=str(seeded.case.id))
