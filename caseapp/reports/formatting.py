"""CSV exports of the report tables, streamed line by line, with optional small-count suppression.

Suppression (for sharing outside the service): a count from 1 to `below - 1` is written as `<below` (0 stays 0: an
empty cell discloses nothing about a person), and any figure derived from a suppressed count in the same row (talk
time, lateness, a rate) is left empty, so it cannot be worked back. There are no totals rows to subtract from.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from caseapp.csv_cells import cell


@dataclass(frozen=True)
class CsvTable:
    """`rows` are dicts; `counts` are the columns that may be suppressed, `derived` maps a column to the counts it
    is computed from (emptied when any of them is suppressed)."""

    name: str
    columns: Sequence[str]
    rows: Iterable[dict[str, Any]]
    counts: Sequence[str] = ()
    derived: dict[str, Sequence[str]] = field(default_factory=dict)


def suppressed(value: Any, below: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < below


def suppress_row(row: dict[str, Any], table: CsvTable, below: int) -> dict[str, Any]:
    out = dict(row)
    hidden = {name for name in table.counts if suppressed(row.get(name), below)}
    for name in hidden:
        out[name] = f"<{below}"
    for name, sources in table.derived.items():
        if hidden.intersection(sources):
            out[name] = ""
    return out


def csv_lines(table: CsvTable, *, suppress_below: int | None = None) -> Iterator[str]:
    """The table as CSV text, one line at a time (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([cell(name) for name in table.columns])
    yield flush()
    for row in table.rows:
        if suppress_below:
            row = suppress_row(row, table, suppress_below)
        writer.writerow([cell(row.get(name)) for name in table.columns])
        yield flush()
