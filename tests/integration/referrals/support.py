"""A seeded case for the suggestion and offer tests: assessed for a medical detox (heroin, NHS funding, mental-health
indicators), and a small directory around it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from caseapp.cases.models import Case
from caseapp.directory.models import CommercialRelationship, Funding, Region, ServiceType, TreatmentService
from caseapp.extensions import db
from caseapp.reference import Substance
from caseapp.timeutil import now_utc
from tests import factories


@dataclass
class Seeded:
    case: Case
    #: the best fit: treats heroin, NHS, in London, dual-diagnosis capable, beds confirmed yesterday
    best: TreatmentService
    #: a good fit with a commission: treats heroin, NHS, UK-wide
    commission: TreatmentService
    #: a weaker fit: treats any substance, NHS, in London
    plain: TreatmentService
    #: not a detox: never suggested for this case
    rehab: TreatmentService
    inactive: TreatmentService


def seed(**assessment: Any) -> Seeded:
    """The case is the signed-in advisor's (factories.sign_in_as), assessed through the service."""
    case = factories.make_case()
    factories.make_assessment(
        case,
        primary_substance="heroin",
        substances=["heroin", "alcohol"],
        recommended_pathway="medical_detox",
        funding_route="nhs_local_authority",
        mental_health_indicators=["depression"],
        **assessment,
    )
    heroin = [Substance.HEROIN.value]
    detox = {"service_type": ServiceType.MEDICAL_DETOX, "funding": [Funding.NHS.value], "typical_wait_days": 5}
    seeded = Seeded(
        case=case,
        best=factories.make_treatment_service(
            name="Riverside Detox",
            **detox,
            substances=heroin,
            dual_diagnosis=True,
            beds_available=3,
            beds_confirmed_at=now_utc() - timedelta(days=1),
        ),
        commission=factories.make_treatment_service(
            name="Harbour Clinic",
            **detox,
            substances=heroin,
            region=Region.NATIONAL,
            commercial_relationship=CommercialRelationship.COMMISSION,
            commercial_detail="10% of the first month's fee",
        ),
        plain=factories.make_treatment_service(name="Anyone Detox", **detox, substances=[]),
        rehab=factories.make_treatment_service(name="Hillside Rehab"),
        inactive=factories.make_treatment_service(name="Closed Detox", **detox, is_active=False),
    )
    db.session.commit()
    return seeded
