"""What retention does to flags: a caller anonymised or erased takes every flag on them and on their number with
them; an ended flag keeps its reason only as long as the other staff notes are kept (RETAIN_CLOSED_CASES_MONTHS)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from caseapp.caller_flags import queries
from caseapp.caller_flags.models import CallerFlag
from caseapp.extensions import db

#: what an ended flag's reason reads once retention has removed it
SCRUBBED = "[removed]"


def count_for_callers(caller_ids: Sequence[int]) -> int:
    if not caller_ids:
        return 0
    condition = queries.flags_of_callers(caller_ids)
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(CallerFlag).where(condition)) or 0)


def remove_for_callers(caller_ids: Sequence[int]) -> int:
    """Delete the flags on these callers and on their numbers (before the numbers themselves are removed)."""
    if not caller_ids:
        return 0
    statement = sa.delete(CallerFlag).where(queries.flags_of_callers(caller_ids))
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def scrub_ended(before: datetime, now: datetime) -> int:
    """Remove the reason and end note of flags that ended before `before` (kind, times and who stay)."""
    statement = (
        sa.update(CallerFlag)
        .where(queries.ended_unscrubbed(before))
        .values(reason=SCRUBBED, end_note=None, scrubbed_at=now)
        .execution_options(synchronize_session=False)
    )
    result = db.session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
