"""The reads "suggest services" and offers need: candidate services, services by id, a case's offers (read-only)."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from caseapp.directory.models import ServiceType, TreatmentService
from caseapp.errors import NotFound
from caseapp.extensions import db
from caseapp.referrals.models import Referral, ReferralOffer, ReferralOfferItem


def candidate_services(
    types: Collection[ServiceType], *, dual_diagnosis_capable: bool = False
) -> list[TreatmentService]:
    """Active services of these types (and, for the dual-diagnosis pathway, every dual-diagnosis capable one)."""
    wanted: sa.ColumnElement[bool] = TreatmentService.service_type.in_(list(types))
    if dual_diagnosis_capable:
        wanted = sa.or_(wanted, TreatmentService.dual_diagnosis.is_(True))
    query = sa.select(TreatmentService).where(TreatmentService.is_active.is_(True), wanted)
    return list(db.session.scalars(query.order_by(TreatmentService.id)))


def services_by_id(ids: Collection[int]) -> dict[int, TreatmentService]:
    if not ids:
        return {}
    query = sa.select(TreatmentService).where(TreatmentService.id.in_(list(ids)))
    return {service.id: service for service in db.session.scalars(query)}


def active_services() -> list[TreatmentService]:
    """Every active service by name: what an advisor may offer although it was not suggested."""
    query = sa.select(TreatmentService).where(TreatmentService.is_active.is_(True))
    return list(db.session.scalars(query.order_by(sa.func.lower(TreatmentService.name), TreatmentService.id)))


def _with_items() -> sa.Select[ReferralOffer]:
    return sa.select(ReferralOffer).options(selectinload(ReferralOffer.items))


def offers_for_case(case_id: int) -> list[ReferralOffer]:
    """Newest first, with their items."""
    query = _with_items().where(ReferralOffer.case_id == case_id)
    return list(db.session.scalars(query.order_by(ReferralOffer.created_at.desc(), ReferralOffer.id.desc())))


def get_offer(offer_id: int) -> ReferralOffer:
    offer = db.session.scalars(_with_items().where(ReferralOffer.id == offer_id)).first()
    if offer is None:
        raise NotFound("No such referral offer.")
    return offer


def referral_ids_by_item(item_ids: Collection[int]) -> dict[int, int]:
    """{offer item id: the referral made from it}."""
    if not item_ids:
        return {}
    query = sa.select(Referral.offer_item_id, Referral.id).where(Referral.offer_item_id.in_(list(item_ids)))
    return {int(item_id): referral_id for item_id, referral_id in db.session.execute(query) if item_id is not None}


def items_of_offers(offer_ids: Collection[int]) -> list[ReferralOfferItem]:
    """The items of these offers (the subject access export), oldest first."""
    if not offer_ids:
        return []
    query = sa.select(ReferralOfferItem).where(ReferralOfferItem.offer_id.in_(list(offer_ids)))
    return list(db.session.scalars(query.order_by(ReferralOfferItem.id)).unique())
