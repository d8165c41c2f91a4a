"""An offer's place in the records: its reason removed when the case is anonymised (codes, ranks and disclosures
kept), and the offer with its items in the caller's subject access export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.referrals.models import ReferralOffer
from caseapp.referrals.offers import ItemAction, ItemChoice, RecordedOffer, record_offer
from caseapp.retention import services as retention
from caseapp.retention.policy import PLACEHOLDER
from caseapp.sar.services import build_export
from tests import factories
from tests.integration.referrals.support import Seeded, seed
from tests.integration.retention.support import where_found


@pytest.fixture
def advisor(db_session: Any) -> Iterator[User]:
    user = factories.make_user()
    factories.sign_in_as(user)
    yield user
    factories.signed_out()


def _offer(seeded: Seeded, advisor: User, reason: str) -> RecordedOffer:
    return record_offer(
        seeded.case,
        {},
        [
            ItemChoice(seeded.commission.id, ItemAction.OFFER, True),
            ItemChoice(seeded.plain.id, ItemAction.SHORTLIST),
        ],
        reason,
        actor=advisor,
    )


def test_erasing_the_caller_removes_the_offer_reason_and_keeps_its_codes(advisor: User) -> None:
    seeded = seed()
    secret = "partner-works-at-riverside-marigold"
    offer = _offer(seeded, advisor, f"Not Riverside: {secret}").offer
    admin = factories.make_user(role=Role.ADMIN)
    assert where_found([secret])

    retention.erase_caller(seeded.case.caller_id, actor=admin, reason="Erasure request, ticket 5150")

    assert where_found([secret]) == []
    db.session.expire_all()
    kept = db.session.get(ReferralOffer, offer.id)
    assert kept is not None
    assert kept.reason == PLACEHOLDER
    assert kept.pathway.value == "medical_detox"
    assert {(i.service_id, i.rank, i.offered, i.disclosed) for i in kept.items} == {
        (seeded.best.id, 1, False, None),
        (seeded.commission.id, 2, True, True),
        (seeded.plain.id, 3, False, None),
    }


def test_the_subject_access_export_holds_the_offers_and_their_items(advisor: User) -> None:
    seeded = seed()
    recorded = _offer(seeded, advisor, "Wants to stay near their children")
    other = seed()  # someone else's offer stays out
    _offer(other, advisor, "Someone else's reason")

    document = build_export(seeded.case.caller).document

    assert [o["id"] for o in document["referral_offers"]] == [recorded.offer.id]
    assert document["referral_offers"][0]["reason"] == "Wants to stay near their children"
    items = {i["service_id"]: i for i in document["referral_offer_items"]}
    assert set(items) == {seeded.best.id, seeded.commission.id, seeded.plain.id}
    assert items[seeded.commission.id]["service_name"] == "Harbour Clinic"
    assert items[seeded.commission.id]["commercial_relationship"] == "commission"
    assert items[seeded.commission.id]["disclosed"] is True
    assert any(row["action"] == "referral.offered" for row in document["access"])
