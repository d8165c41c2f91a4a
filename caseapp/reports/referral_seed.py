"""`caseapp seed`'s referrals: a small synthetic directory and, for each seeded case that was referred or admitted
and has no offer yet, an offer of ranked suggestions with what was offered (commercial links disclosed), and one
referral with its status history, so the referrals and neutrality report has something to show. Reproducible from
the same seed; nothing is audited (this is not anybody's action)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from caseapp.auth.models import Role, User
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.directory.models import CommercialRelationship, Region, Regulator, ServiceType, TreatmentService
from caseapp.extensions import db
from caseapp.reference import CaseStatus, FundingRoute, Pathway
from caseapp.referrals.models import (
    DeclineReason,
    Referral,
    ReferralEvent,
    ReferralOffer,
    ReferralOfferItem,
    ReferralStatus,
)
from caseapp.timeutil import now_utc

S = ReferralStatus
#: the synthetic directory: name, type, region, commercial link
SERVICES = (
    ("Synthetic Riverside Detox Unit", ServiceType.MEDICAL_DETOX, Region.LONDON, CommercialRelationship.NONE),
    ("Synthetic Hillview Rehab", ServiceType.RESIDENTIAL_REHAB, Region.SOUTH_EAST, CommercialRelationship.COMMISSION),
    ("Synthetic Northgate Recovery", ServiceType.COMMUNITY, Region.NORTH_WEST, CommercialRelationship.NONE),
    ("Synthetic Meadow House", ServiceType.RESIDENTIAL_REHAB, Region.SOUTH_WEST, CommercialRelationship.OWNERSHIP),
    ("Synthetic Harbour Dual Diagnosis", ServiceType.DUAL_DIAGNOSIS, Region.WALES, CommercialRelationship.NONE),
    ("Synthetic City Outreach", ServiceType.HARM_REDUCTION, Region.NATIONAL, CommercialRelationship.NONE),
    ("Synthetic Oakwood Clinic", ServiceType.MEDICAL_DETOX, Region.WEST_MIDLANDS, CommercialRelationship.CONTRACT),
    ("Synthetic Lakeside Community Service", ServiceType.COMMUNITY, Region.SCOTLAND, CommercialRelationship.NONE),
)
PATHWAYS = (Pathway.MEDICAL_DETOX, Pathway.RESIDENTIAL_REHAB, Pathway.OUTPATIENT, Pathway.DUAL_DIAGNOSIS)
#: how a referred (not admitted) case's referral ends up, with weights
OUTCOMES = (
    ((S.OFFERED, S.SENT), 3),
    ((S.OFFERED, S.SENT, S.ACCEPTED), 2),
    ((S.OFFERED, S.SENT, S.DECLINED), 2),
    ((S.OFFERED, S.SENT, S.WAITLISTED), 2),
    ((S.OFFERED, S.SENT, S.ACCEPTED, S.DID_NOT_ATTEND), 1),
    ((S.OFFERED, S.WITHDRAWN), 1),
)


def _directory() -> list[TreatmentService]:
    services = [
        TreatmentService(
            name=name,
            service_type=kind,
            region=region,
            regulator=Regulator.NONE,
            commercial_relationship=link,
            commercial_detail=None if link is CommercialRelationship.NONE else "Synthetic commercial link",
            substances=[],
            funding=[],
        )
        for name, kind, region, link in SERVICES
    ]
    db.session.add_all(services)
    db.session.flush()
    return services


def _cases_to_refer() -> list[sa.Row[Any]]:
    first_call = sa.select(sa.func.min(Call.started_at)).where(Call.case_id == Case.id).scalar_subquery()
    statement = (
        sa.select(Case.id, Case.status, first_call.label("first_call_at"))
        .where(
            Case.status.in_((CaseStatus.REFERRED, CaseStatus.ADMITTED)),
            ~sa.exists().where(ReferralOffer.case_id == Case.id),
            first_call.is_not(None),
        )
        .order_by(Case.id)
    )
    return list(db.session.execute(statement))


def seed_referrals(seed: int) -> int:
    """Offers and referrals for the referred and admitted cases without one; returns how many offers."""
    cases = _cases_to_refer()
    advisor = db.session.scalar(sa.select(sa.func.min(User.id)).where(User.role == Role.ADVISOR))
    if not cases or advisor is None:
        return 0
    rng = random.Random(seed)  # noqa: S311 - synthetic data, reproducible on purpose
    services = _directory()
    now = now_utc()
    for row in cases:
        case_id, status = row.id, row.status
        at = min(row.first_call_at + timedelta(hours=rng.randint(1, 72)), now - timedelta(hours=1))
        offer = ReferralOffer(
            case_id=case_id,
            advisor_id=advisor,
            pathway=rng.choice(PATHWAYS),
            funding_route=rng.choice(list(FundingRoute)),
            criteria={},
            reason="Synthetic offer",
            created_at=at,
        )
        suggested = rng.sample(services, rng.randint(3, 6))
        chosen = suggested[0] if rng.random() < 0.8 else suggested[1]
        items = [
            ReferralOfferItem(service=service, rank=rank, offered=service is chosen)
            for rank, service in enumerate(suggested, start=1)
        ]
        if rng.random() < 0.05:  # now and then an advisor offers a service the matcher did not suggest
            others = [s for s in services if s not in suggested]
            chosen = rng.choice(others)
            items.append(ReferralOfferItem(service=chosen, rank=None, offered=True))
        for item in items:
            item.commercial_relationship = item.service.commercial_relationship
            item.disclosed = True if item.offered and item.service.has_commercial_link else None
        offer.items = items
        db.session.add(offer)
        db.session.flush()
        chosen_item = next(i for i in items if i.service is chosen and i.offered)
        path: tuple[ReferralStatus, ...]
        if status is CaseStatus.ADMITTED:
            path = (S.OFFERED, S.SENT, S.ACCEPTED, S.ADMITTED)
        else:
            paths, weights = zip(*OUTCOMES, strict=True)
            path = rng.choices(paths, weights)[0]
        times = [at]
        for _ in path[1:]:
            times.append(min(times[-1] + timedelta(hours=rng.randint(2, 24 * 9)), now))
        reason = rng.choice(list(DeclineReason)) if path[-1] is S.DECLINED else None
        referral = Referral(
            case_id=case_id,
            service_id=chosen.id,
            offer_item_id=chosen_item.id,
            status=path[-1],
            status_changed_at=times[-1],
            decline_reason=reason,
            created_by_id=advisor,
            created_at=at,
            sent_at=times[1] if S.SENT in path else None,
            admitted_at=times[-1] if path[-1] is S.ADMITTED else None,
        )
        referral.events = [
            ReferralEvent(
                from_status=path[n - 1] if n else None,
                to_status=step,
                at=times[n],
                decline_reason=reason if step is S.DECLINED else None,
            )
            for n, step in enumerate(path)
        ]
        db.session.add(referral)
    db.session.flush()
    return len(cases)
