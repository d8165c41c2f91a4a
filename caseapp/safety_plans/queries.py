from __future__ import annotations

import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.safety_plans.models import SafetyPlan


def find_latest_plan(case_id: int) -> SafetyPlan | None:
    query = sa.select(SafetyPlan).where(SafetyPlan.case_id == case_id).order_by(SafetyPlan.version.desc()).limit(1)
    return db.session.scalars(query).first()


def plan_versions(case_id: int) -> list[SafetyPlan]:
    """Every version of the case's plan, newest first."""
    query = sa.select(SafetyPlan).where(SafetyPlan.case_id == case_id).order_by(SafetyPlan.version.desc())
    return list(db.session.scalars(query))
