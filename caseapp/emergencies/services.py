"""Raising an emergency alert: the managers on shift hear at once that a caller is in immediate danger.

It is its own action, taken the moment an advisor chooses "immediate danger", and does not wait for the rest of an
assessment (which may still be incomplete or refused). Choosing it again, or saving the assessment, within
REPEAT_WINDOW does not alert the managers a second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.emergencies import queries
from caseapp.emergencies.models import EmergencyAlert
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.timeutil import now_utc

#: a second alert for the same case within this is the same emergency
REPEAT_WINDOW = timedelta(minutes=30)


@dataclass(frozen=True)
class RaisedAlert:
    alert: EmergencyAlert
    #: False when an alert from the last REPEAT_WINDOW stands for this one (nobody was notified again)
    is_new: bool


def raise_alert(case: Case, *, actor: User, assessment_id: int | None = None) -> RaisedAlert:
    """Notify the managers on shift (all managers when none is on shift) about immediate danger on `case`."""
    now = now_utc()
    recent = queries.find_latest_alert(case.id, since=now - REPEAT_WINDOW)
    if recent is not None:
        if assessment_id is not None and recent.assessment_id is None:
            recent.assessment_id = assessment_id
        return RaisedAlert(recent, is_new=False)
    recipients = notifications.managers_to_alert()
    notifications.notify(
        recipients,
        kind="immediate_danger",
        title=f"Immediate danger on case {case.reference}",
        link=f"/cases/{case.id}",
        case_id=case.id,
    )
    alert = EmergencyAlert(
        case_id=case.id, raised_by_id=actor.id, raised_at=now, recipients=len(recipients), assessment_id=assessment_id
    )
    db.session.add(alert)
    db.session.flush()
    record_event(
        "case.emergency_alerted",
        actor_id=actor.id,
        entity_type="case",
        entity_id=case.id,
        detail={"alert_id": alert.id, "recipients": len(recipients), "assessment_id": assessment_id},
    )
    return RaisedAlert(alert, is_new=True)
