"""Apply the policy's rules to a set of cases and callers, through the mapped columns (plain or encrypted alike)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from caseapp.caller_flags import retention as caller_flags
from caseapp.callers.models import Caller, CallerNumber
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reminders import outbox
from caseapp.retention import queries
from caseapp.retention.policy import RULES, Scope, Scrub, rules_by_model, scrub_answers


def plan(case_ids: Sequence[int], caller_ids: Sequence[int]) -> Counter[str]:
    """How many rows of each table anonymising these cases and callers would change (nothing is written)."""
    counts: Counter[str] = Counter()
    for model, rules in rules_by_model().items():
        condition = sa.or_(*(queries.rows_in_scope(model, rule.scope, case_ids, caller_ids) for rule in rules))
        counts[model.__tablename__] = queries.count_rows(model, condition)
    counts["cases"] = len(case_ids)
    counts["caller_numbers"] = queries.count_rows(CallerNumber, CallerNumber.caller_id.in_(caller_ids))
    counts["caller_flags"] = caller_flags.count_for_callers(caller_ids)
    return +counts


def anonymise(case_ids: Sequence[int], caller_ids: Sequence[int], now: datetime) -> Counter[str]:
    """Remove the free text of the cases (and everything on them) and the identity and free text of the callers
    (and their calls without a case); mark the rows. Returns rows changed per table. Flushes, never commits."""
    counts: Counter[str] = Counter()
    if not case_ids and not caller_ids:
        return counts
    # what has not gone out yet never will: its text is about to be removed
    for callback_id in queries.callback_ids_of_cases(case_ids):
        counts["withdrawn_messages"] += outbox.withdraw(callback_id)
    # flags on the callers or their numbers go before the numbers do (they are matched by them)
    counts["caller_flags"] = caller_flags.remove_for_callers(caller_ids)
    for model, rules in rules_by_model().items():
        fixed = [rule for rule in rules if not isinstance(rule.replacement, Scrub)]
        for scope in {rule.scope for rule in fixed}:
            values = {rule.column.key: rule.replacement for rule in fixed if rule.scope is scope}
            extra = {"anonymised_at": now} if model is Caller else {}
            counts[model.__tablename__] = max(
                counts[model.__tablename__],
                _update(model, queries.rows_in_scope(model, scope, case_ids, caller_ids), {**values, **extra}),
            )
    if any(rule.replacement is Scrub.ASSESSMENT_ANSWERS for rule in RULES):
        assessments = queries.assessments_of_cases(case_ids)
        for assessment in assessments:
            assessment.answers = scrub_answers(dict(assessment.answers or {}), assessment.form_version)
        counts["assessments"] = len(assessments)
    if caller_ids:  # their other numbers (and the labels on them) go with their main number
        deleted = db.session.execute(
            sa.delete(CallerNumber)
            .where(CallerNumber.caller_id.in_(caller_ids))
            .execution_options(synchronize_session=False)
        )
        counts["caller_numbers"] = int(getattr(deleted, "rowcount", 0) or 0)
    if case_ids:
        counts["cases"] = _update(Case, Case.id.in_(case_ids), {"anonymised_at": now, "version": Case.version + 1})
    db.session.flush()
    db.session.expire_all()  # loaded rows read again: the UPDATEs bypassed them
    return +counts


def clear_stray_calls(cutoff: datetime) -> int:
    """Free text off calls before `cutoff` that have neither a case nor a caller."""
    values = {rule.column.key: rule.replacement for rule in RULES if rule.scope is Scope.CALL}
    return _update(Call, queries.stray_call_condition(cutoff), values)


def _update(model: Any, condition: Any, values: dict[str, Any]) -> int:
    statement = sa.update(model).where(condition).values(values).execution_options(synchronize_session=False)
    result = db.session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
