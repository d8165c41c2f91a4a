"""The screening reports: complete screenings per instrument and band per Europe/London day, week or month, and
the pathway the screenings suggested against the pathway the assessment chose."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from caseapp.reference import Pathway
from caseapp.reports import queries as report_queries
from caseapp.reports.formatting import CsvTable
from caseapp.reports.params import Bucket, Period, bucket_of, bucket_start
from caseapp.reports.services import iso_local, zone_name
from caseapp.screenings import queries as screening_queries
from caseapp.timeutil import to_local

#: the row of assessments no complete screening on the case suggested a pathway for beforehand
NO_SUGGESTION = "none"


def screenings_report(period: Period, bucket: Bucket) -> dict[str, Any]:
    """Counts per (bucket, instrument, band), by when each screening was completed, in local time."""
    counts = Counter(
        (bucket_of(to_local(at).date(), bucket), instrument, band)
        for at, instrument, band in screening_queries.completed_between(period.start, period.end)
    )
    return {
        "timezone": zone_name(),
        "from": iso_local(period.start),
        "to": iso_local(period.end),
        "bucket": bucket.value,
        "rows": [
            {"start": bucket_start(day).isoformat(), "instrument": instrument, "band": band, "count": count}
            for (day, instrument, band), count in sorted(counts.items())
        ],
    }


def screenings_table(report: dict[str, Any]) -> CsvTable:
    return CsvTable(
        name="screenings",
        columns=["start", "instrument", "band", "count"],
        rows=report["rows"],
        counts=["count"],
    )


def _latest_before(moments: list[datetime], pathways: list[str], at: datetime) -> str:
    """The pathway of the latest moment strictly before `at`, or NO_SUGGESTION."""
    index = bisect_left(moments, at)
    return pathways[index - 1] if index else NO_SUGGESTION


def pathways_report(period: Period) -> dict[str, Any]:
    """Each current assessment recorded in the period, matched with the latest complete screening suggestion on
    its case before it was recorded: a matrix of suggested x chosen pathway, and the share followed (of the
    assessments that had a suggestion)."""
    assessments = report_queries.assessments_recorded(period.start, period.end)
    latest_at = max((at for _case, at, _p in assessments), default=period.start)
    by_case: dict[int, tuple[list[datetime], list[str]]] = defaultdict(lambda: ([], []))
    for case_id, at, pathway in screening_queries.suggestions_for_cases(
        sorted({case_id for case_id, _at, _p in assessments}), latest_at
    ):
        by_case[case_id][0].append(at)
        by_case[case_id][1].append(pathway)
    matrix: Counter[tuple[str, str]] = Counter()
    for case_id, at, chosen in assessments:
        moments, pathways = by_case.get(case_id, ([], []))
        matrix[(_latest_before(moments, pathways, at), chosen)] += 1
    suggested = sum(count for (s, _c), count in matrix.items() if s != NO_SUGGESTION)
    followed = sum(count for (s, c), count in matrix.items() if s == c)
    order = [p.value for p in Pathway]
    rows = [
        {
            "suggested": s,
            "counts": {c: matrix[(s, c)] for c in order},
            "total": sum(matrix[(s, c)] for c in order),
        }
        for s in [*order, NO_SUGGESTION]
    ]
    return {
        "timezone": zone_name(),
        "from": iso_local(period.start),
        "to": iso_local(period.end),
        "pathways": order,
        "rows": rows,
        "assessments": len(assessments),
        "with_suggestion": suggested,
        "followed": followed,
        "share_followed": round(followed / suggested, 4) if suggested else None,
    }
