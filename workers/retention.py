"""The daily retention run, a thin task over caseapp/retention/services.py."""

import logging

from celery import shared_task

from caseapp.extensions import db
from caseapp.retention import services
from caseapp.tasks import TaskName
from workers.retry import PERIODIC_RETRY

logger = logging.getLogger(__name__)


@shared_task(name=str(TaskName.APPLY_RETENTION), **PERIODIC_RETRY)
def apply() -> int:
    """Anonymise what the retention policy has reached (a batch per commit; a rerun finds only what is left).
    Returns how many cases were anonymised."""
    run = services.apply_retention(commit=db.session.commit)
    db.session.commit()
    logger.info("retention: %s cases and %s callers anonymised", len(run.case_ids), len(run.caller_ids))
    return len(run.case_ids)
