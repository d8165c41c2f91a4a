"""A callback's history: every step of its lifecycle is an audit event about it (and so on the case's timeline)."""

from __future__ import annotations

from typing import Any

from caseapp.audit.actions import ACTIONS
from caseapp.audit.services import record_event

#: the steps shown on the case timeline, labelled as in the audit trail
TIMELINE_STEPS: dict[str, str] = {
    code: ACTIONS[code]
    for code in (
        "callback.pooled",
        "callback.escalated",
        "callback.stalled_nudged",
        "callback.stalled_escalated",
        "callback.retry_prompted",
        "callback.missed",
        "callback.handed_over",
        "callback.handover_accepted",
        "callback.handover_returned",
        "callback.handover_withdrawn",
    )
}


def record(action: str, callback_id: int | None, actor_id: int | None, **detail: Any) -> None:
    """`callback.<action>` about callback `callback_id` (None: several, named in detail); ids and codes only."""
    record_event(f"callback.{action}", actor_id=actor_id, entity_type="callback", entity_id=callback_id, detail=detail)
