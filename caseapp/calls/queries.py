from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from caseapp.calls.models import Call, CallDraft
from caseapp.errors import NotFound
from caseapp.extensions import db


def get_call(call_id: int) -> Call:
    call = db.session.get(Call, call_id)
    if call is None:
        raise NotFound("No such call.")
    return call


def find_call(call_id: int) -> Call | None:
    return db.session.get(Call, call_id)


def select_calls(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    advisor_id: int | None = None,
    case_id: int | None = None,
) -> sa.Select[Call]:
    """Calls in [start, end), filtered; the caller orders (keyset on started_at, id)."""
    query = sa.select(Call)
    if start is not None:
        query = query.where(Call.started_at >= start)
    if end is not None:
        query = query.where(Call.started_at < end)
    if advisor_id is not None:
        query = query.where(Call.advisor_id == advisor_id)
    if case_id is not None:
        query = query.where(Call.case_id == case_id)
    return query


def recent_calls_for_caller(caller_id: int, limit: int = 5) -> list[Call]:
    query = (
        sa.select(Call).where(Call.caller_id == caller_id).order_by(Call.started_at.desc(), Call.id.desc()).limit(limit)
    )
    return list(db.session.scalars(query))


def calls_for_case(case_id: int, *, with_case: bool = True) -> list[Call]:
    """The case's calls, newest first. `with_case=False`: without joining each call's case and caller again (the
    case page has them already; an access finds them in the session instead)."""
    query = sa.select(Call).where(Call.case_id == case_id).order_by(Call.started_at.desc(), Call.id.desc())
    if not with_case:
        query = query.options(lazyload(Call.case), lazyload(Call.caller))
    return list(db.session.scalars(query))


def find_draft(draft_id: int, advisor_id: int) -> CallDraft | None:
    draft = db.session.get(CallDraft, draft_id)
    return draft if draft is not None and draft.advisor_id == advisor_id else None


def delete_drafts_updated_before(cutoff: datetime) -> int:
    result = db.session.execute(sa.delete(CallDraft).where(CallDraft.updated_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def latest_draft(advisor_id: int) -> CallDraft | None:
    query = (
        sa.select(CallDraft).where(CallDraft.advisor_id == advisor_id).order_by(CallDraft.updated_at.desc()).limit(1)
    )
    return db.session.scalar(query)
