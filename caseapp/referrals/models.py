"""An offer (the services suggested for a case, ranked, and those offered to the caller), and each referral made
from it with its status history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.directory.models import CommercialRelationship, TreatmentService
from caseapp.encryption.types import EncryptedText
from caseapp.reference import FundingRoute, Labelled, Pathway


class ReferralStatus(Labelled):
    SUGGESTED = "suggested", "Suggested"
    OFFERED = "offered", "Offered to caller"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WAITLISTED = "waitlisted", "Waitlisted"
    ADMITTED = "admitted", "Admitted"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    WITHDRAWN = "withdrawn", "Withdrawn"


class DeclineReason(Labelled):
    """Why a service declined a referral."""

    NO_CAPACITY = "no_capacity", "No capacity"
    CRITERIA_NOT_MET = "criteria_not_met", "Criteria not met"
    FUNDING_NOT_AGREED = "funding_not_agreed", "Funding not agreed"
    NEEDS_HIGHER_CARE = "needs_higher_care", "Needs a higher level of care"
    NOT_IN_AREA = "not_in_area", "Outside the service's area"
    OTHER = "other", "Other"


class ReferralOffer(CreatedAtMixin, Base):
    """One "suggest services" for a case and what the advisor offered from it; the suggestions are worked out by
    the server when the offer is recorded, so their ranks are the matcher's, never the client's."""

    __tablename__ = "referral_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    advisor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    #: the pathway the services were matched for (the assessment's, or the advisor's choice)
    pathway: Mapped[Pathway] = mapped_column(str_enum(Pathway, "referral_offer_pathway"))
    #: the case's funding route when the offer was made (for the reports)
    funding_route: Mapped[FundingRoute] = mapped_column(str_enum(FundingRoute, "referral_offer_funding_route"))
    #: the matcher's inputs (substance, funding, region, age, gender, dual diagnosis, available only): codes only
    criteria: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: why these services were offered (staff text about the caller's situation)
    reason: Mapped[str] = mapped_column(EncryptedText())

    advisor: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    items: Mapped[list[ReferralOfferItem]] = relationship(
        back_populates="offer", order_by="ReferralOfferItem.rank", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<ReferralOffer {self.id} case={self.case_id}>"


class ReferralOfferItem(Base):
    """A service the matcher suggested (with its rank) or the advisor offered (or both)."""

    __tablename__ = "referral_offer_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("referral_offers.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("treatment_services.id", ondelete="RESTRICT"), index=True)
    #: 1 = the best fit; null: offered although the matcher did not suggest it
    rank: Mapped[int | None] = mapped_column(sa.SmallInteger())
    offered: Mapped[bool] = mapped_column(default=False)
    #: the service's commercial link when the offer was made (the directory may change later)
    commercial_relationship: Mapped[CommercialRelationship] = mapped_column(
        str_enum(CommercialRelationship, "referral_offer_item_commercial")
    )
    #: the advisor told the caller about the commercial link; null when there is none or it was not offered
    disclosed: Mapped[bool | None] = mapped_column()

    offer: Mapped[ReferralOffer] = relationship(back_populates="items")
    service: Mapped[TreatmentService] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.UniqueConstraint("offer_id", "service_id"),
        sa.CheckConstraint("rank IS NOT NULL OR offered", name="suggested_or_offered"),
        # an offered service with a commercial link is offered only with the link disclosed
        sa.CheckConstraint(
            "NOT offered OR commercial_relationship = 'none' OR disclosed", name="commercial_link_disclosed"
        ),
    )

    def __repr__(self) -> str:
        return f"<ReferralOfferItem {self.id} offer={self.offer_id} service={self.service_id}>"


class Referral(CreatedAtMixin, Base):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("treatment_services.id", ondelete="RESTRICT"), index=True)
    #: the offer it came from (null for a referral suggested outside an offer)
    offer_item_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("referral_offer_items.id", ondelete="RESTRICT"), unique=True
    )
    status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus, "referral_status"))
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decline_reason: Mapped[DeclineReason | None] = mapped_column(str_enum(DeclineReason, "referral_decline_reason"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    #: set by the status changes, for the reports
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: optimistic concurrency: a change sent with an older version gets 409
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    service: Mapped[TreatmentService] = relationship(lazy="joined", innerjoin=True)
    offer_item: Mapped[ReferralOfferItem | None] = relationship()
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        sa.CheckConstraint("(status = 'declined') = (decline_reason IS NOT NULL)", name="declined_has_reason"),
        sa.CheckConstraint("status != 'admitted' OR admitted_at IS NOT NULL", name="admitted_has_time"),
        sa.Index("ix_referrals_status_changed", "status", "status_changed_at"),
    )

    def __repr__(self) -> str:
        return f"<Referral {self.id} case={self.case_id} status={self.status}>"


class ReferralEvent(Base):
    """One status change: from, to, when, who, and a note (staff text, e.g. what the service said)."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[ReferralStatus | None] = mapped_column(str_enum(ReferralStatus, "referral_event_from"))
    to_status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus, "referral_event_to"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decline_reason: Mapped[DeclineReason | None] = mapped_column(str_enum(DeclineReason, "referral_event_decline"))
    note: Mapped[str | None] = mapped_column(EncryptedText())

    referral: Mapped[Referral] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ReferralEvent {self.id} referral={self.referral_id}>"
