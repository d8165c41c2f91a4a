"""What the caller was told: one row per prompt shown on an assessment, with the advisor's response."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.db import Base, UTCDateTime, str_enum


class PromptResponse(StrEnum):
    #: the advice was given
    GIVEN = "given"
    #: offered, and the caller did not want it
    DECLINED = "declined"
    #: the advisor judged it did not apply (e.g. already knows, or the answers were out of date)
    NOT_RELEVANT = "not_relevant"


class HarmReductionPrompt(Base):
    __tablename__ = "harm_reduction_prompts"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="RESTRICT"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    #: the code of the rule in harm_reduction/rules.py, and its version when the response was recorded
    rule_code: Mapped[str] = mapped_column(sa.String(40))
    rule_version: Mapped[int] = mapped_column(sa.SmallInteger())
    response: Mapped[PromptResponse] = mapped_column(str_enum(PromptResponse, "harm_reduction_response"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: the latest response (recording again replaces it; the audit trail keeps each one)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "rule_code"),
        sa.Index("ix_harm_reduction_prompts_recorded_at", "recorded_at"),
    )

    def __repr__(self) -> str:
        return f"<HarmReductionPrompt {self.id} assessment={self.assessment_id} rule={self.rule_code}>"
