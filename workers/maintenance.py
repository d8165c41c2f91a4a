"""Housekeeping tasks."""

import logging

from celery import shared_task

from caseapp.auth.services import purge_expired_sessions
from caseapp.extensions import db
from caseapp.tasks import TaskName

logger = logging.getLogger(__name__)


@shared_task(name=str(TaskName.PURGE_EXPIRED_SESSIONS))
def purge_expired() -> int:
    removed = purge_expired_sessions()
    db.session.commit()
    logger.info("purged %s expired sessions", removed)
    return removed
