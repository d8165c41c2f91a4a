"""Tables the reports keep for speed, and the indexes they add to other features' tables.

The tables are kept current by database triggers, so every write (log_call, record_assessment, a callback's
outcome, a manual INSERT) updates them in the same transaction:

- report_call_hours, report_case_facts and report_call_days (migration 7235cd3fc93d; the advisor dimension of
  report_call_days from 3b1f0c9d2e71): PL/pgSQL on PostgreSQL, plain triggers on SQLite;
- report_callback_days, report_case_days and report_assessment_days (migration 3b1f0c9d2e71) and
  report_late_callbacks (5d0c7a9e4b18): PostgreSQL only, since they bucket timestamps by local date in the trigger
  (the zone is fixed when the migration runs: the app's TIMEZONE). On SQLite they stay empty and the reports read
  the raw tables, which are small there.

`caseapp seed` loads PostgreSQL with the triggers off and fills the tables in bulk after
(rollups.add_to_report_tables).
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
    dimension is substance, pathway or risk (the case's latest assessment; '' = not assessed or no case),
    relationship (the caller's; '' = no caller) or advisor (the advisor's id as text).
    Each call is in one row of each dimension. A new assessment moves
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


#: report_callback_days' counts, one column each
CALLBACK_DAY_COUNTS = ("booked", "on_time", "late", "missed", "unreachable", "cancelled", "still_open")


class CallbackDay(Base):
    """Callbacks per local day they fell due and assignee, by outcome. PostgreSQL only (see the module docstring)."""

    __tablename__ = "report_callback_days"

    due_date: Mapped[date] = mapped_column(sa.Date(), primary_key=True)
    #: the assignee, or 0 for the pool (no user has id 0)
    assignee_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    booked: Mapped[int] = mapped_column()
    #: completed, and started by the end of the window (or the due time, with no window)
    on_time: Mapped[int] = mapped_column()
    #: completed, and started after it
    late: Mapped[int] = mapped_column()
    missed: Mapped[int] = mapped_column()
    unreachable: Mapped[int] = mapped_column()
    cancelled: Mapped[int] = mapped_column()
    #: scheduled, in progress or waiting to be rescheduled after no answer
    still_open: Mapped[int] = mapped_column()

    def __repr__(self) -> str:
        return f"<CallbackDay {self.due_date} assignee={self.assignee_id}>"


class LateCallback(Base):
    """Each callback completed late, with its lateness in whole seconds: the lateness percentiles are
    percentile_disc over these, by day and by assignee in index order (rounding keeps order: the k-th smallest of
    the rounded values is the rounded k-th smallest). PostgreSQL only (see the module docstring)."""

    __tablename__ = "report_late_callbacks"
    __table_args__ = (
        sa.Index(
            "ix_report_late_callbacks_due_date_lateness",
            "due_date",
            "lateness_seconds",
            postgresql_include=["assignee_id"],
        ),
        sa.Index(
            "ix_report_late_callbacks_assignee_lateness",
            "assignee_id",
            "lateness_seconds",
            postgresql_include=["due_date"],
        ),
    )

    callback_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    due_date: Mapped[date] = mapped_column(sa.Date())
    #: the assignee, or 0 for the pool
    assignee_id: Mapped[int] = mapped_column()
    #: started_at - (due_at + window), rounded to whole seconds, halves up
    lateness_seconds: Mapped[int] = mapped_column()

    def __repr__(self) -> str:
        return f"<LateCallback {self.callback_id}>"


class CaseDay(Base):
    """Cases per local day they were opened, by how far they have got (the funnel) and their latest assessment's
    substance ('' = not assessed). PostgreSQL only (see the module docstring)."""

    __tablename__ = "report_case_days"

    created_date: Mapped[date] = mapped_column(sa.Date(), primary_key=True)
    substance: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    #: the furthest funnel step reached: opened, assessed, referred or admitted
    stage: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    cases: Mapped[int] = mapped_column()

    def __repr__(self) -> str:
        return f"<CaseDay {self.created_date} {self.stage}>"


class AssessmentDay(Base):
    """First assessments (not corrections) per advisor and local day. PostgreSQL only (see the module docstring)."""

    __tablename__ = "report_assessment_days"

    advisor_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    local_date: Mapped[date] = mapped_column(sa.Date(), primary_key=True)
    assessments: Mapped[int] = mapped_column()

    def __repr__(self) -> str:
        return f"<AssessmentDay {self.local_date} advisor={self.advisor_id}>"


# indexes the reports need on other features' tables (declared here so autogenerate sees them where they are used)
#: the funnel: cases opened in a period
sa.Index("ix_cases_created_at", Case.created_at)
#: the latest assessment of a case (the triggers' recompute after a delete)
sa.Index("ix_assessments_case_id_id", Assessment.case_id, Assessment.id)
