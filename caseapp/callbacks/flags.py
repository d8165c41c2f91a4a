"""Flags on a case that need a person to look at it (the caller could not be reached)."""

from __future__ import annotations

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.callbacks import queries
from caseapp.callbacks.models import CaseFlag
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.notifications import services as notifications
from caseapp.timeutil import now_utc

FLAG_UNREACHABLE = "unreachable"


def flag_case(case: Case, kind: str, *, callback_id: int | None, actor_id: int | None) -> CaseFlag | None:
    """Raise a flag on a case (once per kind while open) and tell its advisor and the managers."""
    if queries.find_open_flag(case.id, kind) is not None:
        return None
    flag = CaseFlag(case_id=case.id, kind=kind, callback_id=callback_id)
    db.session.add(flag)
    db.session.flush()
    recipients = set(notifications.managers_to_alert())
    if case.assigned_advisor_id is not None:
        recipients.add(case.assigned_advisor_id)
    notifications.notify(
        sorted(recipients),
        kind=f"case_flagged_{kind}"[:32],
        title=f"Case {case.reference} flagged: caller {kind}",
        link=f"/cases/{case.id}",
        case_id=case.id,
    )
    record_event(
        "case.flagged",
        actor_id=actor_id,
        entity_type="case",
        entity_id=case.id,
        detail={"flag_id": flag.id, "kind": kind, "callback_id": callback_id},
    )
    return flag


def clear_flag(flag: CaseFlag, *, actor: User) -> None:
    if flag.cleared_at is not None:
        return
    flag.cleared_at, flag.cleared_by_id = now_utc(), actor.id
    db.session.flush()
    record_event(
        "case.flag_cleared",
        actor_id=actor.id,
        entity_type="case",
        entity_id=flag.case_id,
        detail={"flag_id": flag.id, "kind": flag.kind},
    )
