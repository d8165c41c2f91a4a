"""Housekeeping tasks."""

import logging

from celery import shared_task

from caseapp.audit import chain
from caseapp.auth.services import purge_expired_sessions
from caseapp.auth.throttle import purge_idle
from caseapp.calls.services import purge_stale_drafts
from caseapp.extensions import db
from caseapp.tasks import TaskName

logger = logging.getLogger(__name__)


@shared_task(name=str(TaskName.PURGE_EXPIRED_SESSIONS))
def purge_expired() -> int:
    removed = purge_expired_sessions()
    throttles = purge_idle()  # failed sign-in counts nobody has added to for a day
    db.session.commit()
    logger.info("purged %s expired sessions and %s idle sign-in throttles", removed, throttles)
    return removed


@shared_task(name=str(TaskName.PURGE_STALE_DRAFTS))
def purge_drafts() -> int:
    removed = purge_stale_drafts()
    db.session.commit()
    logger.info("purged %s stale call drafts", removed)
    return removed


#: batches one run seals at most (SEAL_BATCH rows each); the next run takes the rest
SEAL_MAX_BATCHES = 20


@shared_task(name=str(TaskName.SEAL_AUDIT_TRAIL))
def seal_audit_trail() -> int:
    """Seal the committed audit rows into the hash chain, a batch per commit."""
    total = 0
    for _ in range(SEAL_MAX_BATCHES):
        result = chain.seal()
        db.session.commit()
        total += result.count
        if not result.ran or result.count < chain.SEAL_BATCH:
            break
    return total
