"""The Flask app and its Celery app, built once per worker or beat process from the CASEAPP_* environment.

Task modules import their settings from here (retry backoff, attempts), and workers/app.py (the `-A` target)
imports the task modules, so nothing imports in a circle.
"""

import logging

from celery import Celery
from celery.signals import worker_process_init, worker_ready

from caseapp import create_app
from caseapp.extensions import db
from caseapp.tasks import WORKER_READY

flask_app = create_app()
celery_app: Celery = flask_app.extensions["celery"]
settings = flask_app.config
logger = logging.getLogger(__name__)


@worker_process_init.connect
def _fresh_database_connections(**_: object) -> None:
    """A forked pool process must not share the parent's pooled database connections."""
    with flask_app.app_context():
        db.engine.dispose(close=False)


@worker_ready.connect
def _announce_ready(**_: object) -> None:
    logger.info(WORKER_READY)
