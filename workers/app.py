"""Celery entry point: `celery -A workers.app worker|beat`."""

from celery import Celery

from caseapp import create_app
from workers.schedule import BEAT_SCHEDULE

flask_app = create_app()
celery_app: Celery = flask_app.extensions["celery"]
celery_app.conf.beat_schedule = BEAT_SCHEDULE
celery_app.conf.task_default_queue = "default"

# register the tasks
import workers.maintenance  # noqa: E402,F401
