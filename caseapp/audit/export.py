"""The audit trail as CSV: every event the filters match, newest first, read and written a batch at a time."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from caseapp.audit import display, queries
from caseapp.audit.queries import EventFilters
from caseapp.csv_cells import cell
from caseapp.extensions import db
from caseapp.timeutil import format_local, to_local

COLUMNS = (
    "id",
    "occurred_at_utc",
    "occurred_at_uk",
    "actor_id",
    "actor",
    "action",
    "action_label",
    "entity_type",
    "entity_id",
    "about",
    "case",
    "detail",
    "ip",
    "request_id",
    "chain_seq",
    "row_hash",
)
BATCH = 1000


def _line(row: display.Row) -> list[object]:
    event = row.event
    about = row.entity.text if row.entity is not None else None
    case = row.case.text if row.case is not None else (about if event.entity_type == "case" else None)
    return [
        event.id,
        event.occurred_at.isoformat(),
        format_local(event.occurred_at, "%Y-%m-%d %H:%M:%S"),
        event.actor_id,
        row.actor.text,
        event.action,
        row.action,
        event.entity_type,
        event.entity_id,
        about,
        case,
        json.dumps(event.detail, sort_keys=True, ensure_ascii=False),
        event.ip,
        event.request_id,
        event.chain_seq,
        event.row_hash,
    ]


def csv_lines(filters: EventFilters, batch: int = BATCH) -> Iterator[str]:
    """Header first, then a chunk per batch of events; every text cell made formula-safe (caseapp/csv_cells.py)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield buffer.getvalue()
    before = None
    while True:
        buffer.seek(0)
        buffer.truncate()
        events = list(db.session.scalars(queries.select_events(filters, before=before).limit(batch)).unique())
        for row in display.rows(events):
            writer.writerow([cell(value) for value in _line(row)])
        yield buffer.getvalue()
        if len(events) < batch:
            return
        before = (events[-1].occurred_at, events[-1].id)


def filename(filters: EventFilters) -> str:
    parts = ["caseapp-audit"]
    if filters.since is not None:
        parts.append("from-" + to_local(filters.since).strftime("%Y-%m-%d"))
    if filters.until is not None:
        parts.append("until-" + to_local(filters.until).strftime("%Y-%m-%d"))
    return "-".join(parts) + ".csv"
