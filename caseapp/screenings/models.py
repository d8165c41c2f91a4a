"""A screening: one instrument's answers on a case, scored into a band with the pathway the band suggests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseapp.auth.models import User
from caseapp.db import Base, UTCDateTime, str_enum
from caseapp.encryption.types import EncryptedJSON, EncryptedText
from caseapp.reference import Labelled, Pathway, Substance
from caseapp.screenings.clinician import ClinicianScale
from caseapp.screenings.instruments import InstrumentCode


class ScreeningStatus(Labelled):
    DRAFT = "draft", "Draft"
    COMPLETE = "complete", "Complete"


class Screening(Base):
    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"))
    instrument: Mapped[InstrumentCode] = mapped_column(str_enum(InstrumentCode, "screening_instrument"))
    #: the instrument's version the answers were scored with (caseapp/screenings/instruments.py)
    version: Mapped[int] = mapped_column(sa.SmallInteger())
    #: {item id: option value}; health data, encrypted like assessment answers
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON(), default=dict)
    #: the named substance the SDS was asked about (SDS only)
    substance: Mapped[Substance | None] = mapped_column(str_enum(Substance, "screening_substance"))
    status: Mapped[ScreeningStatus] = mapped_column(str_enum(ScreeningStatus, "screening_status"))
    #: total and band code, set once complete
    score: Mapped[int | None] = mapped_column(sa.SmallInteger())
    band: Mapped[str | None] = mapped_column(sa.String(32))
    #: the pathway suggestions.py gives the band (advice; the assessment records the choice)
    suggested_pathway: Mapped[Pathway | None] = mapped_column(str_enum(Pathway, "screening_suggested_pathway"))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recorded_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.Index("ix_screenings_case_recorded", "case_id", "recorded_at"),
        sa.CheckConstraint(
            "(status = 'complete') = (score IS NOT NULL AND band IS NOT NULL AND completed_at IS NOT NULL)",
            name="complete_has_score",
        ),
    )

    def __repr__(self) -> str:
        return f"<Screening {self.id} case={self.case_id}>"


class ClinicianScore(Base):
    """A withdrawal-scale total a clinician reported (COWS, CIWA-Ar; caseapp/screenings/clinician.py), with who
    reported it and who recorded it."""

    __tablename__ = "clinician_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"))
    instrument: Mapped[ClinicianScale] = mapped_column(str_enum(ClinicianScale, "clinician_scale"))
    score: Mapped[int] = mapped_column(sa.SmallInteger())
    band: Mapped[str] = mapped_column(sa.String(32))
    #: when the clinician assessed (told us), not when it was recorded
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: the reporting clinician's name, and their role and organisation (free text)
    clinician_name: Mapped[str] = mapped_column(EncryptedText())
    clinician_role: Mapped[str] = mapped_column(EncryptedText())
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    recorded_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.Index("ix_clinician_scores_case_assessed", "case_id", "assessed_at"),
        sa.CheckConstraint(
            "(instrument = 'cows' AND score BETWEEN 0 AND 48) OR (instrument = 'ciwa_ar' AND score BETWEEN 0 AND 67)",
            name="score_range",
        ),
    )

    def __repr__(self) -> str:
        return f"<ClinicianScore {self.id} case={self.case_id}>"
