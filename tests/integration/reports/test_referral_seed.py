"""`caseapp seed`'s referrals (caseapp.reports.referral_seed): an offer and a referral for each referred or admitted
case, admitted cases admitted, every commercial offer disclosed, and nothing twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.reference import CaseStatus
from caseapp.referrals.models import Referral, ReferralOffer, ReferralOfferItem, ReferralStatus
from caseapp.reports.referral_seed import seed_referrals
from caseapp.timeutil import now_utc
from tests import factories


def test_seed_referrals_offers_and_refers_each_referred_or_admitted_case_once(db_session: Any) -> None:
    factories.make_user(role=Role.ADVISOR)
    started = now_utc() - timedelta(days=20)
    cases = {}
    for status in (CaseStatus.REFERRED, CaseStatus.ADMITTED, CaseStatus.ADMITTED, CaseStatus.ASSESSED):
        case = factories.make_case(status=status)
        factories.make_call(case, started_at=started, ended_at=started + timedelta(minutes=5))
        cases[case.id] = status

    made = seed_referrals(7)
    again = seed_referrals(7)

    offers = db.session.scalars(sa.select(ReferralOffer).where(ReferralOffer.case_id.in_(cases))).all()
    referrals = db.session.scalars(sa.select(Referral).where(Referral.case_id.in_(cases))).all()
    assert (made, again) == (3, 0)
    assert sorted(o.case_id for o in offers) == sorted(c for c, s in cases.items() if s != CaseStatus.ASSESSED)
    assert sorted(r.case_id for r in referrals) == sorted(o.case_id for o in offers)
    for referral in referrals:
        assert (referral.status is ReferralStatus.ADMITTED) == (cases[referral.case_id] is CaseStatus.ADMITTED)
        assert referral.events[-1].to_status is referral.status
        assert referral.offer_item is not None
        assert referral.offer_item.offered
    items = db.session.scalars(
        sa.select(ReferralOfferItem).where(ReferralOfferItem.offer_id.in_([o.id for o in offers]))
    ).all()
    assert all(i.disclosed for i in items if i.offered and i.commercial_relationship != "none")
    assert all(i.rank is not None for i in items if not i.offered)
