"""A callback's history: every step of its lifecycle is an audit event about it (and so on the case's timeline)."""

from __future__ import annotations

from typing import Any

from caseapp.audit.services import record_event

#: the steps shown on the case timeline, with how they read there
TIMELINE_STEPS: dict[str, str] = {
    "callback.pooled": "Callback moved to the pool",
    "callback.escalated": "Callback not started: managers told",
    "callback.stalled_nudged": "Callback in progress with no outcome: advisor reminded",
    "callback.stalled_escalated": "Callback in progress with no outcome: managers told",
    "callback.retry_prompted": "No answer and no new time: advisor asked to reschedule",
    "callback.missed": "Callback missed",
    "callback.handed_over": "Callback handed over",
    "callback.handover_accepted": "Handover accepted",
    "callback.handover_returned": "Handover not accepted: back to the pool",
}


def record(action: str, callback_id: int | None, actor_id: int | None, **detail: Any) -> None:
    """`callback.<action>` about callback `callback_id` (None: several, named in detail); ids and codes only."""
    record_event(f"callback.{action}", actor_id=actor_id, entity_type="callback", entity_id=callback_id, detail=detail)
