"""Refused webhook requests, recorded for admins (what a misconfigured phone system needs put right)."""

from __future__ import annotations

from caseapp.extensions import db
from caseapp.telephony.models import TelephonyRejection

GENERIC = "events"
TWILIO = "twilio"


def record(endpoint: str, *, code: str, status: int, remote_addr: str | None) -> TelephonyRejection:
    rejection = TelephonyRejection(
        endpoint=endpoint, code=code[:32], status=status, remote_addr=(remote_addr or "")[:45]
    )
    db.session.add(rejection)
    db.session.flush()
    return rejection
