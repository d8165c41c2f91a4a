"""A case's timeline: calls, assessments, screenings, clinicians' withdrawal scores, notes, safeguarding records,
emergency actions, callbacks, their attempts and the steps their clocks took (pooled, escalated, missed …, from the
audit trail), their handovers with the note left for the receiver, and each step of the case's referrals (service,
from → to, who, when), newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caseapp.assessments import queries as assessment_queries
from caseapp.audit import queries as audit_queries
from caseapp.audit.models import AuditEvent
from caseapp.callbacks import history as callback_history
from caseapp.callbacks import queries as callback_queries
from caseapp.callbacks.models import Callback, Handover
from caseapp.calls import queries as call_queries
from caseapp.cases import queries as case_queries
from caseapp.emergencies import queries as emergency_queries
from caseapp.referrals import queries as referral_queries
from caseapp.referrals.models import ReferralEvent
from caseapp.safeguarding import queries as safeguarding_queries
from caseapp.safeguarding.reference import ConcernCategory
from caseapp.screenings import queries as screening_queries
from caseapp.screenings.clinician import SCALES
from caseapp.screenings.models import Screening
from caseapp.screenings.present import band_of, clinician_band_of
from caseapp.timeutil import format_local


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    id: int
    at: datetime
    actor_id: int | None
    summary: str
    item: object
    #: a handover's note for its receiver (on the "handed over" step)
    note: str | None = None


def build_timeline(case_id: int, callbacks: list[Callback] | None = None) -> list[TimelineEntry]:
    """The case's timeline; `callbacks` are the case's callbacks when the caller has read them already."""
    if callbacks is None:
        callbacks = callback_queries.callbacks_for_case(case_id)
    entries = [
        TimelineEntry(
            "call",
            c.id,
            c.started_at,
            c.advisor_id,
            f"{c.call_type.label} ({c.direction.in_sentence}, {c.channel.in_sentence})",
            c,
        )
        for c in call_queries.calls_for_case(case_id, with_case=False)
    ]
    entries += [
        TimelineEntry(
            "assessment",
            a.id,
            a.created_at,
            a.advisor_id,
            f"Assessment r{a.revision}: {a.primary_substance.label}, risk {a.risk_level.in_sentence}, "
            f"{a.recommended_pathway.in_sentence}",
            a,
        )
        for a in assessment_queries.assessments_for_case(case_id)
    ]
    entries += [
        TimelineEntry("screening", s.id, s.completed_at or s.recorded_at, s.recorded_by_id, _screening_summary(s), s)
        for s in screening_queries.screenings_for_case(case_id)
    ]
    entries += [
        TimelineEntry(
            "clinician_score",
            s.id,
            s.assessed_at,
            s.recorded_by_id,
            f"{SCALES[s.instrument].short} {s.score} reported by a clinician: {clinician_band_of(s).label.lower()}",
            s,
        )
        for s in screening_queries.clinician_scores_for_case(case_id)
    ]
    entries += [
        TimelineEntry("note", n.id, n.created_at, n.author_id, "Note", n) for n in case_queries.notes_for_case(case_id)
    ]
    entries += [
        TimelineEntry(
            "safeguarding",
            r.id,
            r.created_at,
            r.created_by_id,
            f"Safeguarding concern ({', '.join(ConcernCategory(c).in_sentence for c in r.categories)}): "
            f"{r.status.in_sentence}",
            r,
        )
        for r in safeguarding_queries.records_for_case(case_id)
    ]
    entries += [
        TimelineEntry(
            "emergency_action",
            a.id,
            a.made_at,
            a.made_by_id,
            f"Emergency: {a.service.label}, {a.kind.in_sentence}: {a.outcome.in_sentence}",
            a,
        )
        for a in emergency_queries.actions_for_case(case_id)
    ]
    entries += [
        TimelineEntry(
            "callback",
            cb.id,
            cb.created_at,
            cb.created_by_id,
            f"Callback for {format_local(cb.due_at, '%d %b %Y %H:%M')} ({cb.priority.in_sentence} priority): "
            f"{cb.status.in_sentence}",
            cb,
        )
        for cb in callbacks
    ]
    entries += [
        TimelineEntry("callback_attempt", a.id, a.attempted_at, a.advisor_id, f"Callback attempt: {a.outcome.label}", a)
        for a in callback_queries.attempts_for_case(case_id)
    ]
    entries += [
        TimelineEntry("referral", e.id, e.at, e.actor_id, _referral_summary(e), e, e.note)
        for e in referral_queries.events_for_case(case_id)
    ]
    steps = audit_queries.events_about("callback", [cb.id for cb in callbacks], callback_history.TIMELINE_STEPS)
    handovers = callback_queries.handovers_for_case(case_id) if steps else {}
    entries += [_step(event, handovers) for event in steps]
    return sorted(entries, key=lambda e: (e.at, e.kind, e.id), reverse=True)


def _step(event: AuditEvent, handovers: dict[int, Handover]) -> TimelineEntry:
    """A step of a callback's lifecycle; a handover's says to whom, with its note."""
    summary = callback_history.TIMELINE_STEPS[event.action]
    handover_id = event.detail.get("handover_id") if isinstance(event.detail, dict) else None
    handover = handovers.get(handover_id) if isinstance(handover_id, int) else None
    note = None
    if handover is not None and event.action == "callback.handed_over":
        summary += f" to {handover.to_user.full_name}" if handover.to_user else " to the pool"
        note = handover.note
    return TimelineEntry("callback_step", event.id, event.occurred_at, event.actor_id, summary, event, note)


def _referral_summary(event: ReferralEvent) -> str:
    """ "Referral to Oak House: sent → accepted" (its first step: "Referral to Oak House: suggested")."""
    name = event.referral.service.name
    step = event.to_status.in_sentence
    if event.from_status is not None:
        step = f"{event.from_status.in_sentence} → {step}"
    if event.decline_reason is not None:
        step += f" ({event.decline_reason.in_sentence})"
    return f"Referral to {name}: {step}"


def _screening_summary(screening: Screening) -> str:
    name = screening.instrument.label
    band = band_of(screening)
    if band is None:
        return f"{name} screening (draft)"
    return f"{name} screening: {screening.score}, {band.label[:1].lower()}{band.label[1:]}"
