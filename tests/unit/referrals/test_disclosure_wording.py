"""What the advisor reads to the caller before offering a service with a commercial link."""

from __future__ import annotations

from caseapp.directory.models import CommercialRelationship, TreatmentService
from caseapp.referrals.offer_present import disclosure_wording


def _service(relationship: CommercialRelationship, detail: str | None) -> TreatmentService:
    return TreatmentService(name="Oak House", commercial_relationship=relationship, commercial_detail=detail)


def test_disclosure_wording_names_the_link_and_its_detail_as_one_sentence() -> None:
    wording = disclosure_wording(_service(CommercialRelationship.COMMISSION, "We receive £500 for each admission."))

    assert wording is not None
    assert "Oak House" in wording
    assert "(We receive £500 for each admission). " in wording
    assert ".)." not in wording


def test_disclosure_wording_is_none_for_a_service_with_no_link() -> None:
    assert disclosure_wording(_service(CommercialRelationship.NONE, None)) is None
