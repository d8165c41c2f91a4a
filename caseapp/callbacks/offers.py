"""How an open handover offer ends (callbacks/handover.py makes them). While a callback is offered it is the
receiver's, so anything else that happens to it settles the offer:

    the receiver works it (claims it from the pool, starts it, records an attempt, reschedules it)  → accepted
    it goes to someone else, to the pool, or closes before that                                     → withdrawn
    nobody accepted it within HANDOVER_ACCEPT_SECONDS (callbacks/due.py)                            → returned

The workflow functions call `settle` holding the callback's row lock, as every change to a handover is made; each
ending is a step in the callback's history (and so on the case's timeline). Lower than workflow.py and due.py, which
both use it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from caseapp.callbacks import history, queries
from caseapp.callbacks.models import Callback, Handover
from caseapp.extensions import db
from caseapp.reference import HandoverStatus
from caseapp.timeutil import now_utc


def close(
    callback: Callback,
    status: HandoverStatus,
    *,
    actor_id: int | None,
    reason: str,
    at: datetime | None = None,
    **detail: Any,
) -> Handover | None:
    """End the callback's open offer, if it has one, as `status` at `at` (default now; the caller holds the
    callback's lock). `reason` is a code for the history: what ended it; `detail` more ids and codes for it."""
    offer = queries.find_offer(callback.id)
    return _end(offer, status, actor_id=actor_id, reason=reason, at=at, **detail) if offer is not None else None


def _end(
    offer: Handover,
    status: HandoverStatus,
    *,
    actor_id: int | None,
    reason: str,
    at: datetime | None = None,
    **detail: Any,
) -> Handover:
    offer.status, offer.responded_at = status, at or now_utc()
    if status == HandoverStatus.ACCEPTED:
        offer.accepted_by_id = actor_id
    db.session.flush()
    about = {"handover_id": offer.id, "to_user_id": offer.to_user_id, "reason": reason, **detail}
    if status == HandoverStatus.ACCEPTED:
        history.record("handover_accepted", offer.callback_id, actor_id, **about)
    elif status == HandoverStatus.RETURNED:
        history.record("handover_returned", offer.callback_id, actor_id, **about)
    else:
        history.record("handover_withdrawn", offer.callback_id, actor_id, **about)
    return offer


def settle(callback: Callback, *, actor_id: int, worked: bool, reason: str) -> Handover | None:
    """After `actor_id` did something to the callback (`reason`: what; its holder already updated). The open offer
    is accepted if the actor `worked` it (claimed, started, attempted or rescheduled it) and it was theirs to take
    (offered to them, or to the pool); it is withdrawn if it closed or is no longer where it was offered (someone
    else holds it, or the pool); otherwise (a colleague recorded an attempt, and it stays open) it stays offered."""
    offer = queries.find_offer(callback.id)
    if offer is None:
        return None
    held_by_actor = callback.assignee_id == actor_id
    if worked and held_by_actor and offer.to_user_id in (None, actor_id):
        return _end(offer, HandoverStatus.ACCEPTED, actor_id=actor_id, reason=reason)
    if not callback.is_open or callback.assignee_id != offer.to_user_id:
        return _end(offer, HandoverStatus.WITHDRAWN, actor_id=actor_id, reason=reason)
    return None
