"""Failed sign-ins, counted per (account, client address), with a delay that doubles after each failure.

A stranger's failures only ever slow down that stranger's address: the account's owner, signing in from another
address, is not held up. One address trying many accounts is held to LOGIN_RATE_LIMIT by Flask-Limiter (views.py).
The account is the email as typed (normalised and hashed), so unknown addresses are throttled exactly like real ones
and the answer never tells which exist. Rows live in the database, so the embedded mode (no Redis) works the same."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from caseapp.auth import queries
from caseapp.auth.models import LoginThrottle
from caseapp.extensions import db
from caseapp.timeutil import now_utc

#: rows idle this long are deleted by the maintenance task (longer than any delay)
KEEP_FOR = timedelta(days=1)


def account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def delay_after(failures: int) -> timedelta:
    """How long the next attempt waits after `failures` failures in a row (0 before LOGIN_BACKOFF_AFTER_FAILURES)."""
    config = current_app.config
    free = int(config["LOGIN_BACKOFF_AFTER_FAILURES"])
    if failures < free:
        return timedelta(0)
    seconds = int(config["LOGIN_BACKOFF_BASE_SECONDS"]) * 2 ** min(failures - free, 30)
    return timedelta(seconds=min(seconds, int(config["LOGIN_BACKOFF_MAX_SECONDS"])))


def is_blocked(key: str, address: str, now: datetime | None = None) -> bool:
    row = queries.find_login_throttle(key, address)
    return row is not None and row.blocked_until is not None and row.blocked_until > (now or now_utc())


def register_failure(key: str, address: str, now: datetime | None = None) -> LoginThrottle:
    now = now or now_utc()
    row = queries.find_login_throttle(key, address, for_update=True)
    if row is None:
        row = LoginThrottle(account_key=key, address=address, failures=0, last_failed_at=now)
        try:
            with db.session.begin_nested():  # two first failures at once: the second one updates the first's row
                db.session.add(row)
        except sa.exc.IntegrityError:
            row = queries.find_login_throttle(key, address, for_update=True)
            assert row is not None  # noqa: S101 - the unique key just said it exists
    row.failures += 1
    row.last_failed_at = now
    delay = delay_after(row.failures)
    row.blocked_until = now + delay if delay else None
    db.session.flush()
    return row


def clear(key: str, address: str) -> None:
    """A success from this address forgets its failures (other addresses keep theirs)."""
    db.session.execute(
        sa.delete(LoginThrottle).where(LoginThrottle.account_key == key, LoginThrottle.address == address)
    )


def purge_idle(now: datetime | None = None) -> int:
    cutoff = (now or now_utc()) - KEEP_FOR
    result = db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.last_failed_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
