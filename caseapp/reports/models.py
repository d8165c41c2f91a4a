"""Tables the reports keep for speed, and the indexes they add to other features' tables.

The tables are kept current by database triggers (migration 7235cd3fc93d add_report_rollups: PL/pgSQL on
PostgreSQL, plain triggers on SQLite), so every write (log_call, record_assessment, a caller's details, a manual
INSERT) updates them in the same transaction. `caseapp seed` loads PostgreSQL with the triggers off and fills them in
bulk after (services.add_to_report_tables).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.assessments.models import Assessment
from caseapp.cases.models import Case
from caseapp.db import Base, UTCDateTime, str_enum
from caseapp.reference import Channel, Direction, Pathway, RiskLevel, Substance

#: report_call_hours.advisor_id for the rows that count every advisor's calls
ALL_ADVISORS = 0


class CallHour(Base):
    """Calls per UTC hour, channel and direction: once per advisor, and once more for all advisors (advisor_id 0).

    Enough for volume by hour/day/week/month, the heatmap and the channel, direction and advisor breakdowns without
    reading `calls` (Europe/London offsets are whole hours, so a UTC hour is a local hour, the repeated October
    01:00 included). Calls are never edited after they are logged; the triggers still handle UPDATE and DELETE."""

    __tablename__ = "report_call_hours"

    #: 0 = all advisors (no foreign key: a plain id, or 0); first in the key, so each level is one range scan
    advisor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: the UTC hour the calls started in
    hour_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "report_call_hours_channel"), primary_key=True)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "report_call_hours_direction"), primary_key=True)
    #: the calls' local_date and local_hour (the same for every call of a UTC hour)
    local_date: Mapped[date] = mapped_column(sa.Date())
    local_hour: Mapped[int] = mapped_column(sa.SmallInteger())
    calls: Mapped[int] = mapped_column()
    #: sum of ended_at - started_at over the calls that have ended
    talk_seconds: Mapped[float] = mapped_column(sa.Float())

    def __repr__(self) -> str:
        return f"<CallHour {self.hour_start:%Y-%m-%dT%H} advisor={self.advisor_id}>"


class CaseFacts(Base):
    """What each assessed case is about: its latest assessment revision's substance, pathway and risk."""

    __tablename__ = "report_case_facts"

    case_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    #: the latest (highest id) assessment of the case; a correction has a higher id than what it corrects
    assessment_id: Mapped[int] = mapped_column()
    substance: Mapped[Substance] = mapped_column(str_enum(Substance, "report_case_facts_substance"))
    pathway: Mapped[Pathway] = mapped_column(str_enum(Pathway, "report_case_facts_pathway"))
    risk: Mapped[RiskLevel] = mapped_column(str_enum(RiskLevel, "report_case_facts_risk"))

    def __repr__(self) -> str:
        return f"<CaseFacts case={self.case_id}>"


class CallDay(Base):
    """Calls per local day by what they are about and who rang: one row per (dimension, day, value), where the
    dimension is substance, pathway or risk (the case's latest assessment; '' = not assessed or no case) or
    relationship (the caller's; '' = no caller). Each call is in one row of each dimension. A new assessment moves
    the case's calls to the new value; a caller's changed relationship moves the caller's calls."""

    __tablename__ = "report_call_days"

    dimension: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    local_date: Mapped[date] = mapped_column(sa.Date(), primary_key=True)
    #: a Substance, Pathway, RiskLevel or Relationship value, or '' for none
    value: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    calls: Mapped[int] = mapped_column()
    talk_seconds: Mapped[float] = mapped_column(sa.Float())

    def __repr__(self) -> str:
        return f"<CallDay {self.dimension} {self.local_date}>"


# indexes the reports need on other features' tables (declared here so autogenerate sees them where they are used)
#: the funnel: cases opened in a period
sa.Index("ix_cases_created_at", Case.created_at)
#: the latest assessment of a case (the triggers' recompute after a delete)
sa.Index("ix_assessments_case_id_id", Assessment.case_id, Assessment.id)
