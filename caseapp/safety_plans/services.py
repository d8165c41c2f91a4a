"""Saving a case's safety plan (each save a new version) and reading it, audited."""

from __future__ import annotations

from typing import Any

from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.errors import ValidationError
from caseapp.extensions import db
from caseapp.safety_plans import queries
from caseapp.safety_plans.models import TEXT_FIELDS, SafetyPlan
from caseapp.timeutil import now_utc

EMPTY_PLAN = "Write at least one part of the plan."


def save_plan(case: Case, values: dict[str, Any], *, actor: User) -> SafetyPlan:
    """A new version of the case's plan from `values` (the TEXT_FIELDS); the case row should be locked by the
    caller so two saves number their versions in turn. Audited as safety_plan.saved."""
    texts = {name: (values.get(name) or "").strip() or None for name in TEXT_FIELDS}
    if not any(texts.values()):
        raise ValidationError(EMPTY_PLAN, fields={"warning_signs": [EMPTY_PLAN]})
    latest = queries.find_latest_plan(case.id)
    plan = SafetyPlan(
        case_id=case.id,
        version=(latest.version + 1) if latest else 1,
        created_by_id=actor.id,
        created_at=now_utc(),
        **texts,
    )
    db.session.add(plan)
    db.session.flush()
    record_event(
        "safety_plan.saved",
        actor_id=actor.id,
        entity_type="safety_plan",
        entity_id=plan.id,
        detail={"case_id": case.id, "version": plan.version},
    )
    return plan


def record_view(plan: SafetyPlan, *, actor: User, via: str) -> None:
    """`via`: page, print or api."""
    record_event(
        "safety_plan.viewed",
        actor_id=actor.id,
        entity_type="safety_plan",
        entity_id=plan.id,
        detail={"case_id": plan.case_id, "version": plan.version, "via": via},
    )
