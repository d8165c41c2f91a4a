"""Delivering outbox rows in-process, as the reminders.deliver task does (workers/reminders.py): claim, commit, send,
commit. The worker tests run the task itself; the integration tests call this."""

from __future__ import annotations

from caseapp.extensions import db
from caseapp.reminders import delivery
from caseapp.reminders.channels import DeliveryError


def deliver(outbox_id: int) -> delivery.DeliveryResult:
    claimed = delivery.claim(outbox_id)
    db.session.commit()
    if not isinstance(claimed, delivery.Claimed):
        return claimed
    try:
        delivery.send(claimed)
    except DeliveryError as exc:
        db.session.rollback()
        result = delivery.record_failure(outbox_id, exc)
        db.session.commit()
        return result
    result = delivery.mark_sent(outbox_id)
    db.session.commit()
    return result
