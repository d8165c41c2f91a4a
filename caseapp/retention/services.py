"""The retention run, erasure on request, and legal holds. Services flush, never commit; the run's loop commits
between batches through the `commit` it is given (the CLI's or the task's), so a big first run holds no lock long."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from caseapp.audit.services import record_event
from caseapp.auth.models import ApiToken, Role, User
from caseapp.auth.services import purge_expired_sessions
from caseapp.caller_flags import retention as caller_flags
from caseapp.callers import queries as caller_queries
from caseapp.calls.models import Call
from caseapp.calls.services import purge_stale_drafts
from caseapp.cases import queries as case_queries
from caseapp.cases.models import Case
from caseapp.errors import Conflict, Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.retention import anonymise, queries
from caseapp.retention.policy import closed_cases_cutoff
from caseapp.timeutil import now_utc

logger = logging.getLogger(__name__)

REASON_MAX_LENGTH = 500


class LegalHoldConflict(Conflict):
    code = "legal_hold"


@dataclass
class RetentionRun:
    """What a run changed (or, dry, would change): ids and counts, never names."""

    dry_run: bool
    months: int
    cutoff: datetime
    case_ids: list[int] = field(default_factory=list)
    caller_ids: list[int] = field(default_factory=list)
    rows: Counter[str] = field(default_factory=Counter)
    housekeeping: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "months": self.months,
            "cutoff": self.cutoff.isoformat(),
            "cases": len(self.case_ids),
            "callers": len(self.caller_ids),
            "rows": dict(sorted(self.rows.items())),
            **self.housekeeping,
        }


def _settings() -> tuple[int, int, int]:
    config = current_app.config
    return (
        int(config["RETAIN_CLOSED_CASES_MONTHS"]),
        int(config["RETENTION_BATCH_SIZE"]),
        int(config["RETAIN_REVOKED_TOKENS_DAYS"]),
    )


def preview_retention(now: datetime | None = None) -> RetentionRun:
    """What `apply_retention` would do now; writes nothing but its audit event."""
    now = now or now_utc()
    months, _batch, _tokens = _settings()
    cutoff = closed_cases_cutoff(now, months)
    run = RetentionRun(dry_run=True, months=months, cutoff=cutoff)
    run.case_ids = queries.due_case_ids(cutoff)
    run.caller_ids = queries.due_caller_ids(cutoff)
    run.rows = anonymise.plan(run.case_ids, run.caller_ids)
    run.rows["calls"] += queries.count_rows(Call, queries.stray_call_condition(cutoff))
    run.rows = +run.rows
    _audit_run(run, actor_id=None)
    return run


def apply_retention(
    commit: Callable[[], None], now: datetime | None = None, *, actor_id: int | None = None
) -> RetentionRun:
    """Anonymise the cases and callers the policy has reached, a batch per transaction (`commit` after each), then
    purge old drafts, sessions and tokens, and record the run with its counts (left for the caller to commit)."""
    now = now or now_utc()
    months, batch, token_days = _settings()
    cutoff = closed_cases_cutoff(now, months)
    run = RetentionRun(dry_run=False, months=months, cutoff=cutoff)
    while case_ids := queries.due_case_ids(cutoff, limit=batch):
        run.rows.update(anonymise.anonymise(case_ids, [], now))
        run.case_ids.extend(case_ids)
        commit()
    while caller_ids := queries.due_caller_ids(cutoff, limit=batch):
        # their cases are all anonymised by now, or due (one closed meanwhile): anonymised with them
        pending = queries.unanonymised_case_ids_of(caller_ids)
        run.rows.update(anonymise.anonymise(pending, caller_ids, now))
        run.case_ids.extend(pending)
        run.caller_ids.extend(caller_ids)
        commit()
    run.rows["calls"] += anonymise.clear_stray_calls(cutoff)
    run.housekeeping = {
        "drafts_purged": purge_stale_drafts(),
        "sessions_purged": purge_expired_sessions(),
        "tokens_purged": purge_revoked_tokens(now - timedelta(days=token_days)),
        # an ended flag's reason is a staff note about the caller: kept as long as the case notes are
        "flag_reasons_scrubbed": caller_flags.scrub_ended(cutoff, now),
    }
    run.rows = +run.rows
    _audit_run(run, actor_id=actor_id)
    logger.info("retention applied: %s cases, %s callers", len(run.case_ids), len(run.caller_ids), extra=run.counts())
    return run


def purge_revoked_tokens(before: datetime) -> int:
    """Delete API tokens revoked before `before` (their audit events keep the token's id)."""
    result = db.session.execute(sa.delete(ApiToken).where(ApiToken.revoked_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def _audit_run(run: RetentionRun, actor_id: int | None) -> None:
    record_event("retention.applied", actor_id=actor_id, entity_type="retention", detail=run.counts())


# --- erasure on request -------------------------------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError("Give a reason.", {"reason": ["Give a reason."]})
    if len(text) > REASON_MAX_LENGTH:
        message = f"The reason can be at most {REASON_MAX_LENGTH} characters."
        raise ValidationError(message, {"reason": [message]})
    return text


def refuse_if_held(caller_id: int) -> None:
    held = queries.held_case_of_caller(caller_id)
    if held is not None:
        raise LegalHoldConflict(
            f"Case {held.reference} is under a legal hold: release the hold before erasing this caller.",
            case_reference=held.reference,
        )


def erase_caller(caller_id: int, *, actor: User, reason: str | None) -> Counter[str]:
    """Anonymise one caller and all their cases now, by the retention rules (an admin, with a reason)."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can erase a caller.")
    text = _reason(reason)
    caller = caller_queries.get_caller(caller_id)
    if caller.is_anonymised:
        raise Conflict("This caller has already been anonymised.")
    refuse_if_held(caller_id)
    case_ids = queries.case_ids_of_caller(caller_id)
    # cases retention anonymised already keep their mark (and have nothing left to clear)
    counts = anonymise.anonymise(queries.unanonymised_case_ids_of([caller_id]), [caller_id], now_utc())
    record_event(
        "caller.erased",
        actor_id=actor.id,
        entity_type="caller",
        entity_id=caller_id,
        detail={"reason": text, "case_ids": case_ids, "rows": dict(sorted(counts.items()))},
    )
    logger.info("caller erased", extra={"caller_id": caller_id, "case_count": len(case_ids)})
    return counts


# --- legal holds --------------------------------------------------------------------------------------------------


def _hold_actor(actor: User) -> None:
    if not actor.has_role(Role.MANAGER):
        raise Forbidden("Only a manager or an admin can place or release a legal hold.")


def place_legal_hold(case_id: int, *, actor: User, reason: str | None) -> Case:
    _hold_actor(actor)
    text = _reason(reason)
    case = case_queries.get_case(case_id)
    if case.is_on_legal_hold:
        raise Conflict(f"Case {case.reference} is already under a legal hold.")
    case.legal_hold_at = now_utc()
    case.legal_hold_by_id = actor.id
    case.legal_hold_reason = text
    record_event(
        "case.legal_hold_set", actor_id=actor.id, entity_type="case", entity_id=case.id, detail={"reason": text}
    )
    db.session.flush()
    return case


def release_legal_hold(case_id: int, *, actor: User, reason: str | None) -> Case:
    _hold_actor(actor)
    text = _reason(reason)
    case = case_queries.get_case(case_id)
    if not case.is_on_legal_hold:
        raise Conflict(f"Case {case.reference} is not under a legal hold.")
    case.legal_hold_at = None
    case.legal_hold_by_id = None
    case.legal_hold_reason = None
    record_event(
        "case.legal_hold_released", actor_id=actor.id, entity_type="case", entity_id=case.id, detail={"reason": text}
    )
    db.session.flush()
    return case
