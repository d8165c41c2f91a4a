"""The report tables filled in bulk by the seed (PostgreSQL, triggers off while it loads) against the rows, and the
reports over whole days read from them against the same reports from the raw rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseapp.extensions import db
from caseapp.reports.params import Filters, Period
from tests.integration.reports import expected
from tests.integration.reports import rollup_checks as checks
from tests.integration.reports.conftest import Seeded

#: each seeded window (the day before a clock change to the day after), and the day of the change alone
PERIODS = [
    *(Period.of_days(day - timedelta(days=1), day + timedelta(days=1)) for day in expected.CLOCK_CHANGE_DAYS),
    *(Period.of_days(day, day) for day in expected.CLOCK_CHANGE_DAYS),
]


def test_seeded_report_tables_hold_what_the_rows_say(seeded: Seeded) -> None:
    with seeded.app.app_context():
        expected.assert_report_tables_agree("the seed")
        db.session.remove()


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.first_day}..{p.last_day}")
def test_seeded_reports_from_the_rollups_match_the_raw_rows(seeded: Seeded, period: Period) -> None:
    with seeded.app.app_context():
        assignees = sorted({c.assignee_id for c in seeded.callbacks if c.assignee_id is not None})
        for advisor_id in (None, assignees[0]):
            checks.assert_callback_reports_agree(period, Filters(advisor_id=advisor_id))
            checks.assert_assessments_completed_agree(period, Filters(advisor_id=advisor_id))
            checks.assert_advisor_breakdown_agrees(period, advisor_id)
        checks.assert_funnel_agrees(period)
        db.session.remove()
