"""Delivering outbox rows in-process, step for step as the reminders.deliver task does (workers/reminders.py): claim
the batch, commit; the in-app rows' notifications, commit; each email sent, marked sent, commit (or its failure
recorded, commit); rows not got to given back. The worker tests run the task itself; the integration tests call
this."""

from __future__ import annotations

import time
from collections.abc import Sequence

from caseapp.extensions import db
from caseapp.reminders import delivery
from caseapp.reminders.channels import DeliveryError, ServerUnavailable

Result = delivery.DeliveryResult
#: what deliver_batch reports for a row it gave back unsent
GIVEN_BACK = "given_back"


def deliver_batch(outbox_ids: Sequence[int]) -> dict[int, Result | str]:
    """The task body for one batch; returns each row's result (GIVEN_BACK for rows given back unsent)."""
    batch = delivery.claim_batch(outbox_ids)
    db.session.commit()
    started = time.monotonic()
    results: dict[int, Result | str] = dict(batch.skipped)
    if batch.in_app:
        delivery.deliver_in_app(batch.in_app)
        delivery.mark_sent([c.message.outbox_id for c in batch.in_app])
        db.session.commit()
        results.update({c.message.outbox_id: Result.SENT for c in batch.in_app})
    outgoing = batch.outgoing
    for position, claimed in enumerate(outgoing):
        outbox_id = claimed.message.outbox_id
        rest = [c.message.outbox_id for c in outgoing[position + 1 :]]
        if time.monotonic() - started > delivery.send_deadline():
            results.update(dict.fromkeys(delivery.release(batch, [outbox_id, *rest]), GIVEN_BACK))
            db.session.commit()
            break
        try:
            delivery.send(claimed)
        except DeliveryError as exc:
            db.session.rollback()
            results[outbox_id] = delivery.record_failure(outbox_id, exc)
            if isinstance(exc, ServerUnavailable) and rest:
                retry_at = delivery.next_attempt_at(outbox_id)
                results.update(dict.fromkeys(delivery.release(batch, rest, retry_at=retry_at), GIVEN_BACK))
                db.session.commit()
                break
            db.session.commit()
            continue
        results[outbox_id] = delivery.mark_sent(outbox_id)
        db.session.commit()
    return results


def deliver(outbox_id: int) -> Result | str:
    """One row, as a delivery task of one."""
    return deliver_batch([outbox_id])[outbox_id]
