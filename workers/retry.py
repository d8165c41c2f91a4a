"""Which errors a task retries, and how (exponential backoff with full jitter, bounded)."""

from typing import Any

import kombu.exceptions
import redis.exceptions
import sqlalchemy.exc

from caseapp.reminders.channels import TransientDeliveryError
from workers.base import settings

#: worth another try later: the mail server, the database or Redis was unreachable or busy
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    TransientDeliveryError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
)

#: reminders.deliver: DELIVERY_RETRY_BACKOFF_SECONDS doubling up to the maximum; the outbox row counts attempts
#: and marks the message failed at OUTBOX_MAX_ATTEMPTS (one spare retry here for an attempt that found it in flight)
DELIVERY_RETRY: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": int(settings["DELIVERY_RETRY_BACKOFF_SECONDS"]),
    "retry_backoff_max": int(settings["DELIVERY_RETRY_BACKOFF_MAX_SECONDS"]),
    "retry_jitter": True,
    "max_retries": int(settings["OUTBOX_MAX_ATTEMPTS"]),
}

#: the periodic scans: a few quick retries; the next beat tick runs them again anyway
PERIODIC_RETRY: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 30,
    "retry_jitter": True,
    "max_retries": 3,
}
