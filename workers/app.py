"""Celery entry point: `celery -A workers.app worker|beat`."""

from celery import Celery
from kombu import Queue as KombuQueue

from caseapp.tasks import Queue
from workers.base import celery_app as _celery_app
from workers.base import flask_app
from workers.broker import TRANSPORT
from workers.schedule import build_schedule

celery_app: Celery = _celery_app
celery_app.conf.beat_schedule = build_schedule(flask_app.config)
celery_app.conf.task_default_queue = Queue.DEFAULT.value
# a worker started without -Q consumes every queue (Redis takes them in turn, so scans are not starved)
celery_app.conf.task_queues = [KombuQueue(queue.value, routing_key=queue.value) for queue in Queue]
if str(flask_app.config.get("REDIS_URL") or "").startswith("redis://"):
    # a worker holding unacknowledged tasks survives Redis going away (see workers/broker.py)
    celery_app.conf.broker_transport = TRANSPORT
if flask_app.config.get("REDIS_URL"):
    # RedBeat (one beat fires even if two run), made to survive Redis restarts: see workers/beat.py
    celery_app.conf.beat_scheduler = "workers.beat:ResilientRedBeatScheduler"
    # fail fast rather than hang when Redis is unreachable; the scheduler then waits and tries again
    celery_app.conf.redbeat_redis_options = {"socket_connect_timeout": 5, "socket_timeout": 5}

# register the tasks
import workers.callbacks  # noqa: E402,F401
import workers.caller_flags  # noqa: E402,F401
import workers.cases  # noqa: E402,F401
import workers.maintenance  # noqa: E402,F401
import workers.reminders  # noqa: E402,F401
import workers.retention  # noqa: E402,F401
import workers.telephony  # noqa: E402,F401

__all__ = ["celery_app", "flask_app"]
