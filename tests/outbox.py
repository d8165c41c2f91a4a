"""Delivering outbox rows in-process, step for step as the reminders.deliver task does (workers/reminders.py): claim
the batch, commit; the in-app rows' notifications, commit; the emails sent one by one and marked sent in commits of
DELIVERY_MARK_SENT_EVERY (a failure recorded, commit, after marking those before it); rows not got to given back.
The worker tests run the task itself; the integration tests call this."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from caseapp.extensions import db
from caseapp.reminders import delivery
from caseapp.reminders.channels import DeliveryError, ServerUnavailable

Result = delivery.DeliveryResult
#: what deliver_batch reports for a row it gave back unsent
GIVEN_BACK = "given_back"


def deliver_batch(
    outbox_ids: Sequence[int], *, after_send: Callable[[int], None] | None = None
) -> dict[int, Result | str]:
    """The task body for one batch; returns each row's result (GIVEN_BACK for rows given back unsent).
    `after_send(outbox_id)` runs after each email the server took, before it is marked sent (a test's crash)."""
    batch = delivery.claim_batch(outbox_ids)
    db.session.commit()
    started = time.monotonic()
    results: dict[int, Result | str] = dict(batch.skipped)
    if batch.in_app:
        delivery.deliver_in_app(batch.in_app)  # their notifications, and marked sent
        db.session.commit()
        results.update({c.message.outbox_id: Result.SENT for c in batch.in_app})
    outgoing, unmarked = batch.outgoing, list[int]()

    def mark_sent() -> None:
        if unmarked:
            delivery.mark_sent(unmarked)
            db.session.commit()
            results.update(dict.fromkeys(unmarked, Result.SENT))
            unmarked.clear()

    for position, claimed in enumerate(outgoing):
        outbox_id = claimed.message.outbox_id
        if time.monotonic() - started > delivery.send_deadline():
            mark_sent()
            given_back = delivery.release(batch, [c.message.outbox_id for c in outgoing[position:]])
            results.update(dict.fromkeys(given_back, GIVEN_BACK))
            db.session.commit()
            break
        try:
            delivery.send(claimed)
        except DeliveryError as exc:
            db.session.rollback()
            mark_sent()
            results[outbox_id] = delivery.record_failure(outbox_id, exc)
            rest = [c.message.outbox_id for c in outgoing[position + 1 :]]
            if isinstance(exc, ServerUnavailable) and rest:
                given_back = delivery.release(batch, rest, retry_at=delivery.next_attempt_at(outbox_id))
                results.update(dict.fromkeys(given_back, GIVEN_BACK))
                db.session.commit()
                break
            db.session.commit()
            continue
        if after_send is not None:
            after_send(outbox_id)
        unmarked.append(outbox_id)
        if len(unmarked) >= delivery.mark_sent_every():
            mark_sent()
    mark_sent()
    return results


def deliver(outbox_id: int) -> Result | str:
    """One row, as a delivery task of one."""
    return deliver_batch([outbox_id])[outbox_id]
