"""A case's timeline: calls, assessments and notes (callbacks join later), newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caseapp.assessments import queries as assessment_queries
from caseapp.calls import queries as call_queries
from caseapp.cases import queries as case_queries


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    id: int
    at: datetime
    actor_id: int | None
    summary: str
    item: object


def build_timeline(case_id: int) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            "call",
            c.id,
            c.started_at,
            c.advisor_id,
            f"{c.call_type.label} ({c.direction.label.lower()}, {c.channel.label.lower()})",
            c,
        )
        for c in call_queries.calls_for_case(case_id)
    ]
    entries += [
        TimelineEntry(
            "assessment",
            a.id,
            a.created_at,
            a.advisor_id,
            f"Assessment r{a.revision}: {a.primary_substance.label}, risk {a.risk_level.label.lower()}, "
            f"{a.recommended_pathway.label.lower()}",
            a,
        )
        for a in assessment_queries.assessments_for_case(case_id)
    ]
    entries += [
        TimelineEntry("note", n.id, n.created_at, n.author_id, "Note", n) for n in case_queries.notes_for_case(case_id)
    ]
    return sorted(entries, key=lambda e: (e.at, e.kind, e.id), reverse=True)
