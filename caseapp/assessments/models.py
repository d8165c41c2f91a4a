"""Structured assessments: immutable; a correction is a new revision that supersedes the old one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedJSON
from caseapp.reference import FundingRoute, Pathway, RiskLevel, Substance


class Assessment(CreatedAtMixin, Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"))
    call_id: Mapped[int | None] = mapped_column(sa.ForeignKey("calls.id", ondelete="SET NULL"))
    advisor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    #: the form the answers were given on; old revisions stay readable when the form changes
    form_version: Mapped[int] = mapped_column(sa.SmallInteger())
    #: the revision this one corrects; each revision can be superseded once
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessments.id", ondelete="RESTRICT"), unique=True)
    revision: Mapped[int] = mapped_column(sa.SmallInteger(), default=1)
    # the answers reports and rules need, as columns
    primary_substance: Mapped[Substance] = mapped_column(str_enum(Substance, "assessment_primary_substance"))
    recommended_pathway: Mapped[Pathway] = mapped_column(str_enum(Pathway, "assessment_pathway"))
    risk_level: Mapped[RiskLevel] = mapped_column(str_enum(RiskLevel, "assessment_risk_level"))
    funding_route: Mapped[FundingRoute] = mapped_column(str_enum(FundingRoute, "assessment_funding_route"))
    consent_data_processing: Mapped[bool] = mapped_column()
    consent_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: every other answer of the form, keyed by the field names of `form_version`
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)

    advisor: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    #: set by queries that know whether a later revision exists (not a column)
    is_superseded: bool = False

    __table_args__ = (sa.Index("ix_assessments_case_created", "case_id", "created_at"),)

    def __repr__(self) -> str:
        return f"<Assessment {self.id} case={self.case_id}>"
