"""Telephony's own retention (the telephony.purge task): events and refused requests older than
TELEPHONY_RETENTION_DAYS are deleted, and calls older than that lose their number (their times and outcome stay
for the reports). A caller's anonymisation clears the number on their calls too (a rule in retention/policy.py)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from caseapp.extensions import db
from caseapp.telephony.models import TelephonyCall, TelephonyEvent, TelephonyRejection
from caseapp.timeutil import now_utc


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def cutoff(now: datetime | None = None) -> datetime:
    return (now or now_utc()) - timedelta(days=int(current_app.config["TELEPHONY_RETENTION_DAYS"]))


def purge(now: datetime | None = None) -> Counter[str]:
    """Apply the retention period; returns how many rows of each kind changed (flushes; the task commits)."""
    before = cutoff(now)
    done: Counter[str] = Counter()
    done["events"] = _rowcount(db.session.execute(sa.delete(TelephonyEvent).where(TelephonyEvent.created_at < before)))
    done["rejections"] = _rowcount(
        db.session.execute(sa.delete(TelephonyRejection).where(TelephonyRejection.created_at < before))
    )
    numbers = (
        sa.update(TelephonyCall)
        .where(TelephonyCall.offered_at < before, TelephonyCall.from_e164.is_not(None))
        .values(from_e164=None)
        .execution_options(synchronize_session=False)
    )
    done["numbers_cleared"] = _rowcount(db.session.execute(numbers))
    return done
