"""Heatmap, breakdowns, funnel and callbacks against numbers worked out independently from the generated rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.api_support import Api
from tests.integration.reports import expected
from tests.integration.reports.conftest import Seeded
from tests.integration.reports.expected import CLOCK_CHANGE_DAYS, Filter, midnight

#: each seeded window, as a whole-day period
WINDOWS = [(day - timedelta(days=1), day + timedelta(days=2)) for day in CLOCK_CHANGE_DAYS]
ALL = (midnight(WINDOWS[0][0]), midnight(WINDOWS[-1][1]))
MID_DAY = (datetime(2026, 3, 28, 22, 15, tzinfo=UTC), datetime(2026, 3, 29, 17, 40, tzinfo=UTC))


def _get(api: Api, path: str, start: datetime, end: datetime, **query: Any) -> dict[str, Any]:
    response = api.get(
        f"/api/v1/reports/{path}", query_string={"from": start.isoformat(), "to": end.isoformat(), **query}
    )
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize(
    "period", [ALL, MID_DAY, (midnight(CLOCK_CHANGE_DAYS[1]), midnight(CLOCK_CHANGE_DAYS[1]) + timedelta(hours=25))]
)
@pytest.mark.parametrize("where", [Filter(), Filter(channel="phone"), Filter(substance="cocaine")], ids=str)
def test_heatmap_counts_each_call_in_its_local_weekday_and_hour(
    reports: Api, seeded: Seeded, period: tuple[datetime, datetime], where: Filter
) -> None:
    body = _get(reports, "heatmap", *period, **where.query())

    assert [(r["weekday"], r["hour"]) for r in body["rows"]] == [(w, h) for w in range(1, 8) for h in range(24)]
    assert {(r["weekday"], r["hour"]): r["calls"] for r in body["rows"]} == expected.heatmap(
        seeded.calls, *period, where
    )


def test_heatmap_puts_both_october_01_00s_in_one_cell_and_none_in_the_skipped_march_hour(
    reports: Api, seeded: Seeded
) -> None:
    october, march = CLOCK_CHANGE_DAYS[1], CLOCK_CHANGE_DAYS[0]

    cells = {
        (r["weekday"], r["hour"]): r["calls"]
        for r in _get(reports, "heatmap", midnight(october), midnight(october + timedelta(days=1)))["rows"]
    }
    skipped = {
        (r["weekday"], r["hour"]): r["calls"]
        for r in _get(reports, "heatmap", midnight(march), midnight(march + timedelta(days=1)))["rows"]
    }

    twice = [c for c in seeded.calls if c.local.date() == october and c.local.hour == 1]
    assert {c.local.utcoffset() for c in twice} == {timedelta(hours=1), timedelta(0)}  # calls in both 01:00 hours
    assert cells[(7, 1)] == len(twice)
    assert skipped[(7, 1)] == 0


@pytest.mark.parametrize("by", ["substance", "pathway", "risk", "channel", "advisor", "relationship", "direction"])
@pytest.mark.parametrize("period", [ALL, MID_DAY], ids=["whole-days", "mid-day"])
def test_breakdown_counts_calls_and_talk_time_per_key(
    reports: Api, seeded: Seeded, by: str, period: tuple[datetime, datetime]
) -> None:
    start, end = period
    body = _get(reports, "breakdown", start, end, by=by)

    assert body["by"] == by
    got = {row["key"]: (row["calls"], row["talk_seconds"]) for row in body["rows"]}
    assert got == expected.breakdown(seeded.calls, start, end, by)
    assert [row["calls"] for row in body["rows"]] == sorted((row["calls"] for row in body["rows"]), reverse=True)


@pytest.mark.parametrize(
    "where",
    [Filter(channel="web_chat"), Filter(substance="ketamine"), Filter(direction="outbound", channel="phone")],
    ids=str,
)
@pytest.mark.parametrize("by", ["substance", "risk", "channel", "advisor"])
def test_breakdown_filtered(reports: Api, seeded: Seeded, where: Filter, by: str) -> None:
    body = _get(reports, "breakdown", *ALL, by=by, **where.query())

    got = {row["key"]: (row["calls"], row["talk_seconds"]) for row in body["rows"]}
    assert got == expected.breakdown(seeded.calls, *ALL, by, where)


def test_breakdown_by_advisor_counts_first_assessments_completed(reports: Api, seeded: Seeded) -> None:
    from sqlalchemy import text

    from caseapp.extensions import db

    start, end = ALL
    with seeded.app.app_context():
        rows = db.session.execute(text("SELECT advisor_id, created_at, supersedes_id FROM assessments")).all()
    completed: dict[int, int] = {}
    for advisor, created, supersedes in rows:
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        if supersedes is None and start <= created < end:
            completed[advisor] = completed.get(advisor, 0) + 1

    body = _get(reports, "breakdown", start, end, by="advisor")

    assert {row["key"]: row["assessments"] for row in body["rows"] if row["assessments"]} == completed
    assert any(supersedes is not None for _, _, supersedes in rows)  # corrections exist, and are not counted


@pytest.mark.parametrize("period", [ALL, *((midnight(a), midnight(b)) for a, b in WINDOWS), MID_DAY])
def test_funnel_follows_the_cases_opened_in_the_period(
    reports: Api, seeded: Seeded, period: tuple[datetime, datetime]
) -> None:
    body = _get(reports, "funnel", *period)

    counts = [step["cases"] for step in body["steps"]]
    assert [step["step"] for step in body["steps"]] == ["first_calls", "assessed", "referred", "admitted"]
    assert counts == expected.funnel(seeded.cases, *period)
    assert counts[0] > counts[1] > counts[2] > counts[3] > 0
    for before, step in zip(body["steps"], body["steps"][1:], strict=False):
        assert step["conversion"] == round(step["cases"] / before["cases"], 4)
        assert step["of_first_calls"] == round(step["cases"] / counts[0], 4)
    assert body["steps"][0]["conversion"] is None


def test_funnel_filtered_by_substance(reports: Api, seeded: Seeded) -> None:
    body = _get(reports, "funnel", *ALL, substance="heroin")

    assert [step["cases"] for step in body["steps"]] == expected.funnel(seeded.cases, *ALL, substance="heroin")


@pytest.mark.parametrize("period", [ALL, (midnight(WINDOWS[2][0]), midnight(WINDOWS[2][1])), MID_DAY])
def test_callbacks_report_on_time_late_missed_and_unreachable(reports: Api, seeded: Seeded, period: Any) -> None:
    start, end = period
    due = [c for c in seeded.callbacks if start <= c.due_at < end]

    body = _get(reports, "callbacks", start, end)

    assert body["totals"] == expected.callback_counts(due)
    assert body["totals"]["completed_late"] > 0
    assert body["totals"]["lateness_p90_seconds"] >= body["totals"]["lateness_median_seconds"] > 0
    advisors = {c.assignee_id for c in due}
    assert {row["key"] for row in body["by_advisor"]} == advisors
    for row in body["by_advisor"]:
        assert {k: v for k, v in row.items() if k != "key"} == expected.callback_counts(
            c for c in due if c.assignee_id == row["key"]
        )
    days = expected.bucket_starts(start, end, "day")
    assert [row["key"] for row in body["by_day"]] == [d.date().isoformat() for d in days]
    for row in body["by_day"]:
        on_day = [c for c in due if c.due_at.astimezone(expected.LONDON).date().isoformat() == row["key"]]
        assert {k: v for k, v in row.items() if k != "key"} == expected.callback_counts(on_day)


def test_every_report_of_an_empty_range_is_zero(reports: Api) -> None:
    start, end = midnight(datetime(2025, 6, 2).date()), midnight(datetime(2025, 6, 9).date())

    assert all(r["calls"] == 0 for r in _get(reports, "heatmap", start, end)["rows"])
    assert _get(reports, "breakdown", start, end, by="substance")["rows"] == []
    funnel = _get(reports, "funnel", start, end)["steps"]
    assert [(s["cases"], s["conversion"], s["of_first_calls"]) for s in funnel] == [(0, None, None)] * 4
    callbacks = _get(reports, "callbacks", start, end)
    assert callbacks["totals"]["booked"] == 0
    assert callbacks["by_advisor"] == []
    assert [row["booked"] for row in callbacks["by_day"]] == [0] * 7


@pytest.mark.parametrize("name", ["heatmap", "breakdown", "funnel", "callbacks"])
def test_reports_sent_without_a_schema_dump_are_what_the_dump_would_send(
    reports: Api, seeded: Seeded, name: str
) -> None:
    """These endpoints send their plain values as they are (the dump cost more than the SQL): the body is what
    the documented schema's dump of the same report, sent as JSON, would be."""
    import json  # the standard library's: a date left in the report fails here (jsonify would send RFC 822 text)

    from caseapp.reports import schemas, services
    from caseapp.reports.params import Dimension, Filters, Period

    start, end = ALL
    period, filters = Period(start, end), Filters()
    query = {"by": "advisor"} if name == "breakdown" else {}
    report, schema = {
        "heatmap": (lambda: services.heatmap(period, filters), schemas.HeatmapReportSchema),
        "breakdown": (lambda: services.breakdown(period, Dimension.ADVISOR, filters), schemas.BreakdownReportSchema),
        "funnel": (lambda: services.funnel(period, filters), schemas.FunnelReportSchema),
        "callbacks": (lambda: services.callbacks(period, filters), schemas.CallbacksReportSchema),
    }[name]
    with seeded.app.app_context():
        dumped = json.loads(json.dumps(schema().dump(report())))

    body = _get(reports, name, start, end, **query)

    assert body == dumped
    assert schema().validate(body) == {}
