"""Raising an emergency alert: the managers on shift hear at once that a caller is in immediate danger; and the
emergency log: the 999 calls and transfers made for the caller, with the service's reference and the outcome.

It is its own action, taken the moment an advisor chooses "immediate danger", and does not wait for the rest of an
assessment (which may still be incomplete or refused). Choosing it again, or saving the assessment, within
REPEAT_WINDOW does not alert the managers a second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.audit.services import record_event, record_listing
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.emergencies import queries
from caseapp.emergencies.models import EmergencyAction, EmergencyAlert, EmergencyOutcome
from caseapp.errors import ValidationError
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.timeutil import now_utc

#: a second alert for the same case within this is the same emergency
REPEAT_WINDOW = timedelta(minutes=30)
#: an emergency action logged without an alert is linked to the case's alert raised this long before it, if any
LINK_WINDOW = timedelta(hours=2)


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


def log_action(case: Case, values: dict[str, Any], *, actor: User) -> EmergencyAction:
    """An entry in the emergency log (validated by EmergencyActionInputSchema), by someone who may change the case;
    linked to the alert named, or else to the case's alert of the last LINK_WINDOW."""
    access.require(case, actor, Action.CHANGE)
    now = now_utc()
    made_at = values.get("made_at") or now
    reference = (values.get("reference") or "").strip() or None
    note = (values.get("outcome_note") or "").strip() or None
    errors: dict[str, list[str]] = {}
    if made_at > now:
        errors["made_at"] = ["That time has not come yet: give when the call or transfer was made."]
    if values["outcome"] == EmergencyOutcome.OTHER and note is None:
        errors["outcome_note"] = ["Say what happened."]
    alert_id = values.get("alert_id")
    if alert_id is not None:
        alert = queries.find_alert(alert_id)
        if alert is None or alert.case_id != case.id:
            errors["alert_id"] = ["Not an alert of this case."]
    else:
        latest = queries.find_latest_alert(case.id, since=made_at - LINK_WINDOW)
        alert_id = latest.id if latest is not None else None
    if errors:
        raise ValidationError("Some details of the emergency action need attention.", fields=errors)
    action = EmergencyAction(
        case_id=case.id,
        alert_id=alert_id,
        made_by_id=actor.id,
        made_by=actor,
        made_at=made_at,
        kind=values["kind"],
        service=values["service"],
        reference=reference,
        outcome=values["outcome"],
        outcome_note=note,
    )
    db.session.add(action)
    db.session.flush()
    record_event(
        "emergency.logged",
        actor_id=actor.id,
        entity_type="emergency_action",
        entity_id=action.id,
        detail={
            "case_id": case.id,
            "alert_id": alert_id,
            "kind": action.kind.value,
            "service": action.service.value,
            "outcome": action.outcome.value,
        },
    )
    return action


def record_log_listing(case: Case, actions: list[EmergencyAction], *, actor: User) -> None:
    record_listing(
        "emergency.listed", actor_id=actor.id, entity_type="case", entity_id=case.id, ids=[row.id for row in actions]
    )


def record_recent_listing(actions: list[EmergencyAction], *, actor: User) -> None:
    record_listing("emergency.listed", actor_id=actor.id, entity_type="emergency_action", ids=[a.id for a in actions])
