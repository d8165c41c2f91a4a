"""Callbacks that fall due: to the pool when the assignee is off shift, escalated, or missed."""

from celery import shared_task

from caseapp.callbacks import services
from caseapp.extensions import db
from caseapp.tasks import TaskName
from workers.retry import PERIODIC_RETRY


@shared_task(name=str(TaskName.ESCALATE_CALLBACKS), **PERIODIC_RETRY)
def escalate() -> dict[str, int]:
    result = services.escalate_overdue()
    db.session.commit()  # escalation messages are queued for delivery on commit
    return {
        "pooled": len(result.pooled),
        "escalated": len(result.escalated),
        "messages": len(result.escalation_messages),
        "missed": len(result.missed),
    }
