from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseapp.emergencies.models import EmergencyAction, EmergencyAlert
from caseapp.extensions import db


def find_alert(alert_id: int) -> EmergencyAlert | None:
    return db.session.get(EmergencyAlert, alert_id)


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


def actions_for_case(case_id: int) -> list[EmergencyAction]:
    """A case's emergency log, newest first."""
    query = sa.select(EmergencyAction).where(EmergencyAction.case_id == case_id)
    return list(db.session.scalars(query.order_by(EmergencyAction.made_at.desc(), EmergencyAction.id.desc())).unique())


def recent_actions(since: datetime, limit: int = 200) -> list[EmergencyAction]:
    """Every case's emergency log since `since`, newest first (the managers' list)."""
    query = sa.select(EmergencyAction).where(EmergencyAction.made_at >= since)
    return list(
        db.session.scalars(
            query.order_by(EmergencyAction.made_at.desc(), EmergencyAction.id.desc()).limit(limit)
        ).unique()
    )
