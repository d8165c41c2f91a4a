from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseapp.emergencies.models import EmergencyAlert
from caseapp.extensions import db


def find_latest_alert(case_id: int, since: datetime | None = None) -> EmergencyAlert | None:
    """The case's most recent alert (raised at or after `since`, when given)."""
    query = sa.select(EmergencyAlert).where(EmergencyAlert.case_id == case_id)
    if since is not None:
        query = query.where(EmergencyAlert.raised_at >= since)
    return db.session.scalars(
        query.order_by(EmergencyAlert.raised_at.desc(), EmergencyAlert.id.desc()).limit(1)
    ).first()


def alerts_for_case(case_id: int) -> list[EmergencyAlert]:
    query = sa.select(EmergencyAlert).where(EmergencyAlert.case_id == case_id)
    return list(db.session.scalars(query.order_by(EmergencyAlert.raised_at.desc(), EmergencyAlert.id.desc())))
