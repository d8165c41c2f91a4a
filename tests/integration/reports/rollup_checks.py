"""What the reports answer from the trigger-kept tables (PostgreSQL, whole local days) against the same report from
the raw rows (the portable queries) and against numbers worked out in Python (expected.py)."""

from __future__ import annotations

from typing import Any

from caseapp.reference import Substance
from caseapp.reports import queries, services
from caseapp.reports.params import Dimension, Filters, Period
from tests.integration.reports import expected


def _by_key(rows: list[queries.CallbackRow]) -> list[queries.CallbackRow]:
    return sorted(rows, key=lambda row: (row.key is not None, str(row.key)))


def _counts(row: queries.CallbackRow | None) -> dict[str, Any]:
    """A report row in the shape of expected.callback_counts (no callbacks: the empty row the report shows)."""
    return services.callback_json(row or queries.CallbackRow(None, 0, 0, 0, 0, 0, 0, 0))


def assert_callback_reports_agree(period: Period, filters: Filters) -> None:
    """The callbacks report over whole days (PostgreSQL: from report_callback_days) says what the portable query
    over the callbacks says, in total, by assignee and by day, and what the rows say worked out in Python."""
    grouped = queries.callback_timeliness_groups(period, filters)
    raw_total = queries.callback_timeliness(period, None, filters)
    label = f"{period.first_day}..{period.last_day} {filters}"
    assert _counts(grouped.total) == _counts(raw_total[0] if raw_total else None), label
    assert _by_key(grouped.by_advisor) == _by_key(queries.callback_timeliness(period, "advisor", filters)), label
    assert _by_key(grouped.by_day) == _by_key(queries.callback_timeliness(period, "day", filters)), label

    due = [
        c
        for c in expected.load_callbacks()
        if period.start <= c.due_at < period.end and filters.advisor_id in (None, c.assignee_id)
    ]
    assert _counts(grouped.total) == expected.callback_counts(due), label
    by_assignee: dict[Any, list[expected.CallbackRow]] = {}
    by_day: dict[Any, list[expected.CallbackRow]] = {}
    for c in due:
        by_assignee.setdefault(c.assignee_id, []).append(c)
        by_day.setdefault(expected.local_date(c.due_at), []).append(c)
    assert {r.key: _counts(r) for r in grouped.by_advisor} == {
        key: expected.callback_counts(rows) for key, rows in by_assignee.items()
    }, label
    assert {r.key: _counts(r) for r in grouped.by_day} == {
        key: expected.callback_counts(rows) for key, rows in by_day.items()
    }, label


def assert_funnel_agrees(period: Period) -> None:
    """The funnel over whole days (PostgreSQL: from report_case_days) says what the cases say, worked out in Python,
    for every case and for cases about one substance."""
    every_case = expected.load_cases()
    for substance in (None, Substance.COCAINE, Substance.ALCOHOL, Substance.HEROIN):
        got = queries.funnel(period, Filters(substance=substance))
        assert [got.first_calls, got.assessed, got.referred, got.admitted] == expected.funnel(
            every_case, period.start, period.end, substance
        ), (period.first_day, period.last_day, substance)


def assert_assessments_completed_agree(period: Period, filters: Filters) -> None:
    """First assessments per advisor over whole days (PostgreSQL: from report_assessment_days) are what the
    assessments say."""
    want = expected.assessments_completed(expected.load_assessments(), period.start, period.end, filters.advisor_id)
    assert queries.assessments_completed(period, filters) == want, (period.first_day, period.last_day, filters)


def assert_advisor_breakdown_agrees(period: Period, advisor_id: int | None) -> None:
    """Calls and talk time per advisor over whole days (from report_call_days' advisor rows) are what the calls
    say."""
    filters = Filters(advisor_id=advisor_id)
    got = {row.key: (row.calls, row.talk_seconds) for row in queries.breakdown(period, Dimension.ADVISOR, filters)}
    where = expected.Filter(advisor=advisor_id)
    want = expected.breakdown(expected.load_calls(), period.start, period.end, "advisor", where)
    assert got == want, (period.first_day, period.last_day, advisor_id)
