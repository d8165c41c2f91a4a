from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from caseapp.assessments.models import Assessment
from caseapp.audit.models import AuditEvent
from caseapp.auth.models import User
from caseapp.callbacks.models import Callback
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.cases.models import Case, format_reference
from caseapp.emergencies.models import EmergencyAction
from caseapp.extensions import db
from caseapp.safeguarding.models import SafeguardingRecord
from caseapp.screenings.models import ClinicianScore, Screening


@dataclass(frozen=True)
class EventFilters:
    """What the trail is narrowed to; every part optional. `action` is a code, or an area prefix ending in '.'."""

    actor_id: int | None = None
    #: only events with no actor (the system, or a failed sign-in of an unknown user)
    system_only: bool = False
    action: str | None = None
    case_id: int | None = None
    #: events about a caller: the caller, their calls, and their cases with everything on them
    caller_id: int | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    #: exclusive
    until: datetime | None = None


def _ids_as_text(column: Any, case_column: Any, case_id: int) -> sa.Select[str]:
    """The ids (as the audit trail stores them, text) of one case's rows in another table."""
    return sa.select(sa.cast(column, sa.String)).where(case_column == case_id)


def _about_case(case_id: int) -> sa.ColumnElement[bool]:
    """Events about the case itself, or about one of its calls, callbacks, assessments, safeguarding records or
    emergency log entries (every such event names its entity; the entity index answers each part)."""
    parts = [
        (AuditEvent.entity_type == "case") & (AuditEvent.entity_id == str(case_id)),
        (AuditEvent.entity_type == "call") & AuditEvent.entity_id.in_(_ids_as_text(Call.id, Call.case_id, case_id)),
        (AuditEvent.entity_type == "callback")
        & AuditEvent.entity_id.in_(_ids_as_text(Callback.id, Callback.case_id, case_id)),
        (AuditEvent.entity_type == "assessment")
        & AuditEvent.entity_id.in_(_ids_as_text(Assessment.id, Assessment.case_id, case_id)),
        (AuditEvent.entity_type == "screening")
        & AuditEvent.entity_id.in_(_ids_as_text(Screening.id, Screening.case_id, case_id)),
        (AuditEvent.entity_type == "clinician_score")
        & AuditEvent.entity_id.in_(_ids_as_text(ClinicianScore.id, ClinicianScore.case_id, case_id)),
        (AuditEvent.entity_type == "safeguarding")
        & AuditEvent.entity_id.in_(_ids_as_text(SafeguardingRecord.id, SafeguardingRecord.case_id, case_id)),
        (AuditEvent.entity_type == "emergency_action")
        & AuditEvent.entity_id.in_(_ids_as_text(EmergencyAction.id, EmergencyAction.case_id, case_id)),
    ]
    return sa.or_(*parts)


def _about_caller(caller_id: int) -> sa.ColumnElement[bool]:
    """Events about the caller, about one of their calls, or about one of their cases and what is on it."""
    cases = sa.select(sa.cast(Case.id, sa.String)).where(Case.caller_id == caller_id)
    case_ids = sa.select(Case.id).where(Case.caller_id == caller_id).scalar_subquery()

    def on_their_cases(column: Any, case_column: Any) -> sa.Select[str]:
        return sa.select(sa.cast(column, sa.String)).where(case_column.in_(case_ids))

    calls = sa.select(sa.cast(Call.id, sa.String)).where(
        sa.or_(Call.caller_id == caller_id, Call.case_id.in_(case_ids))
    )
    parts = [
        (AuditEvent.entity_type == "caller") & (AuditEvent.entity_id == str(caller_id)),
        (AuditEvent.entity_type == "case") & AuditEvent.entity_id.in_(cases),
        (AuditEvent.entity_type == "call") & AuditEvent.entity_id.in_(calls),
        (AuditEvent.entity_type == "callback")
        & AuditEvent.entity_id.in_(on_their_cases(Callback.id, Callback.case_id)),
        (AuditEvent.entity_type == "assessment")
        & AuditEvent.entity_id.in_(on_their_cases(Assessment.id, Assessment.case_id)),
        (AuditEvent.entity_type == "screening")
        & AuditEvent.entity_id.in_(on_their_cases(Screening.id, Screening.case_id)),
        (AuditEvent.entity_type == "clinician_score")
        & AuditEvent.entity_id.in_(on_their_cases(ClinicianScore.id, ClinicianScore.case_id)),
        (AuditEvent.entity_type == "safeguarding")
        & AuditEvent.entity_id.in_(on_their_cases(SafeguardingRecord.id, SafeguardingRecord.case_id)),
        (AuditEvent.entity_type == "emergency_action")
        & AuditEvent.entity_id.in_(on_their_cases(EmergencyAction.id, EmergencyAction.case_id)),
    ]
    return sa.or_(*parts)


def select_events(
    filters: EventFilters | None = None, *, before: tuple[datetime, int] | None = None
) -> sa.Select[AuditEvent]:
    """Newest first, with each event's actor loaded in the same query; `before`: only events older than this
    (occurred_at, id), for reading a long trail in batches."""
    f = filters or EventFilters()
    query = (
        sa.select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    if f.system_only:
        query = query.where(AuditEvent.actor_id.is_(None))
    elif f.actor_id is not None:
        query = query.where(AuditEvent.actor_id == f.actor_id)
    if f.action and f.action.endswith("."):
        query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
    elif f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.case_id is not None:
        query = query.where(_about_case(f.case_id))
    if f.caller_id is not None:
        query = query.where(_about_caller(f.caller_id))
    if f.entity_type:
        query = query.where(AuditEvent.entity_type == f.entity_type)
    if f.entity_id:
        query = query.where(AuditEvent.entity_id == f.entity_id)
    if f.since is not None:
        query = query.where(AuditEvent.occurred_at >= f.since)
    if f.until is not None:
        query = query.where(AuditEvent.occurred_at < f.until)
    if before is not None:
        query = query.where(sa.tuple_(AuditEvent.occurred_at, AuditEvent.id) < sa.tuple_(*before))
    return query


def case_references(case_ids: Iterable[int]) -> dict[int, str]:
    """CA-… references of these cases, in one query (the trail names cases by reference)."""
    wanted = set(case_ids)
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(Case.id, Case.reference_year).where(Case.id.in_(wanted)))
    return {case_id: format_reference(year, case_id) for case_id, year in rows}


def caller_exists(caller_id: int) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(Caller.id == caller_id))) is True


def user_names(user_ids: Iterable[int]) -> dict[int, str]:
    """Staff names for users the trail shows as the subject of an event, in one query."""
    wanted = set(user_ids)
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {row.id: row.full_name for row in rows}


def events_about(entity_type: str, entity_ids: Iterable[int], actions: Iterable[str]) -> list[AuditEvent]:
    """The events of `actions` about these entities, oldest first (e.g. a case's callbacks' lifecycle steps)."""
    ids = [str(i) for i in entity_ids]
    if not ids:
        return []
    query = (
        sa.select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .where(
            AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(ids), AuditEvent.action.in_(list(actions))
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return list(db.session.scalars(query))


# --- the hash chain (caseapp/audit/chain.py) -------------------------------------------------------------------------

#: pg_advisory_xact_lock key of the sealer ("audit" in ASCII): one sealer at a time, held until its commit
SEALER_LOCK = 0x6175646974

#: the columns a row's hash covers, in the order chain.canonical names them
CHAINED_COLUMNS = (
    AuditEvent.id,
    AuditEvent.occurred_at,
    AuditEvent.actor_id,
    AuditEvent.action,
    AuditEvent.entity_type,
    AuditEvent.entity_id,
    AuditEvent.request_id,
    AuditEvent.ip,
    AuditEvent.detail,
)


def take_sealer_lock() -> bool:
    """True when this transaction may seal: the advisory lock on PostgreSQL (False while another sealer holds it);
    on SQLite writers are serialised by the database itself, so always True."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(db.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(SEALER_LOCK))))


def find_chain_head() -> Any:
    """(chain_seq, row_hash, id, occurred_at) of the last sealed row, or None before the first."""
    query = (
        sa.select(AuditEvent.chain_seq, AuditEvent.row_hash, AuditEvent.id, AuditEvent.occurred_at)
        .where(AuditEvent.chain_seq.is_not(None))
        .order_by(AuditEvent.chain_seq.desc())
        .limit(1)
    )
    return db.session.execute(query).first()


def unsealed_rows(limit: int) -> list[sa.Row[Any]]:
    """Committed rows the sealer has not reached, oldest id first (a row committed late comes after newer ones)."""
    query = sa.select(*CHAINED_COLUMNS).where(AuditEvent.chain_seq.is_(None)).order_by(AuditEvent.id).limit(limit)
    return list(db.session.execute(query))


def sealed_rows(batch: int = 2000) -> Iterator[sa.Row[Any]]:
    """Every sealed row in chain order, with its chain columns, read `batch` at a time by keyset (any size of
    table in constant memory, and no server-side cursor held across the walk)."""
    after = 0
    while True:
        query = (
            sa.select(AuditEvent.chain_seq, AuditEvent.row_hash, *CHAINED_COLUMNS)
            .where(AuditEvent.chain_seq > after)
            .order_by(AuditEvent.chain_seq)
            .limit(batch)
        )
        rows = list(db.session.execute(query))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].chain_seq


def find_sealed_row(chain_seq: int) -> Any:
    query = sa.select(AuditEvent.chain_seq, AuditEvent.row_hash, AuditEvent.id).where(AuditEvent.chain_seq == chain_seq)
    return db.session.execute(query).first()


def count_unsealed() -> int:
    """Rows waiting for the sealer (from the partial index; cheap however long the trail)."""
    return int(db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.chain_seq.is_(None))) or 0)
