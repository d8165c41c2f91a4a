"""Every row linked to a caller, and the audit events about them (read-only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from caseapp.assessments.models import Assessment
from caseapp.audit.models import AuditEvent
from caseapp.callbacks.models import Callback, CallbackAttempt, CaseFlag, Handover
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.cases.models import Case, CaseNote
from caseapp.emergencies.models import EmergencyAlert
from caseapp.extensions import db


def find_caller_by_phone(e164: str) -> Caller | None:
    return db.session.scalars(sa.select(Caller).where(Caller.phone_e164 == e164)).first()


def _all(query: Any) -> list[Any]:
    return list(db.session.scalars(query).unique())


def cases_of(caller_id: int) -> list[Case]:
    return _all(sa.select(Case).where(Case.caller_id == caller_id).order_by(Case.id))


def calls_of(caller_id: int, case_ids: Sequence[int]) -> list[Call]:
    return _all(
        sa.select(Call).where(sa.or_(Call.caller_id == caller_id, Call.case_id.in_(case_ids))).order_by(Call.id)
    )


def by_case(model: Any, case_ids: Sequence[int]) -> list[Any]:
    """The rows of `model` (a table with case_id) on these cases, oldest first."""
    return _all(sa.select(model).where(model.case_id.in_(case_ids)).order_by(model.id))


def by_callback(model: Any, callback_ids: Sequence[int]) -> list[Any]:
    return _all(sa.select(model).where(model.callback_id.in_(callback_ids)).order_by(model.id))


LINKED_BY_CASE = (Assessment, Callback, CaseNote, EmergencyAlert, CaseFlag)
LINKED_BY_CALLBACK = (CallbackAttempt, Handover)


def access_events(entities: Mapping[str, Sequence[int]]) -> list[AuditEvent]:
    """Audit events about any of these entities ({entity_type: ids}), with who did them, oldest first."""
    conditions = [
        sa.and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_([str(i) for i in ids]))
        for kind, ids in entities.items()
        if ids
    ]
    if not conditions:
        return []
    return _all(
        sa.select(AuditEvent)
        .where(sa.or_(*conditions))
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
