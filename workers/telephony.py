"""Telephony's retention, a thin task over caseapp/telephony/retention.py."""

import logging

from celery import shared_task

from caseapp.extensions import db
from caseapp.tasks import TaskName
from caseapp.telephony import retention
from workers.retry import PERIODIC_RETRY

logger = logging.getLogger(__name__)


@shared_task(name=str(TaskName.PURGE_TELEPHONY), **PERIODIC_RETRY)
def purge() -> dict[str, int]:
    """Apply TELEPHONY_RETENTION_DAYS (a rerun finds nothing more to do)."""
    done = retention.purge()
    db.session.commit()
    logger.info("telephony retention: %s", dict(done))
    return dict(done)
