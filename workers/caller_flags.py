"""Closing expired caller flags, a thin task over caseapp/caller_flags/expiry.py."""

import logging

from celery import shared_task

from caseapp.caller_flags import expiry
from caseapp.extensions import db
from caseapp.tasks import TaskName
from workers.retry import PERIODIC_RETRY

logger = logging.getLogger(__name__)


@shared_task(name=str(TaskName.EXPIRE_CALLER_FLAGS), **PERIODIC_RETRY)
def expire() -> int:
    """Close the flags whose expiry has passed (a batch per commit; a flag another worker holds is left to it).
    Returns how many this run closed."""
    closed = expiry.expire_all(commit=db.session.commit)
    db.session.commit()
    if closed:  # every scan interval: quiet when there was nothing to close
        logger.info("caller flags: %s expired", closed)
    return closed
