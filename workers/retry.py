"""Which errors the periodic tasks retry, and how (exponential backoff with full jitter, bounded). Deliveries have
no Celery retry: the outbox keeps their next attempt in the database (caseapp/reminders/delivery.py)."""

from typing import Any

import kombu.exceptions
import redis.exceptions
import sqlalchemy.exc

#: worth another try soon: the database or Redis was unreachable or busy
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
)

#: the periodic scans: a few quick retries; the next beat tick runs them again anyway
PERIODIC_RETRY: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 30,
    "retry_jitter": True,
    "max_retries": 3,
}
