"""Cases nobody has reached: the managers' daily notice, a thin task over caseapp/cases/stale.py."""

import logging

from celery import shared_task

from caseapp.cases import stale
from caseapp.extensions import db
from caseapp.tasks import TaskName
from workers.retry import PERIODIC_RETRY

logger = logging.getLogger(__name__)


@shared_task(name=str(TaskName.NOTIFY_STALE_CASES), **PERIODIC_RETRY)
def notify_stale() -> int:
    """Tell the managers how many open cases nobody has reached (once a day; a repeat that day does nothing).
    Returns how many were notified."""
    digest = stale.notify_managers()
    db.session.commit()
    if digest is None:
        logger.info("stale cases: today's notice was given already")
        return 0
    logger.info(
        "stale cases: %s on the list, %s managers notified",
        digest.case_count,
        digest.recipients,
        extra={"stale_digest_id": digest.id},
    )
    return digest.recipients
