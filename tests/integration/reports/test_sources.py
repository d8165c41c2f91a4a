"""The same numbers whichever table answers: the report tables kept by triggers (report_call_hours,
report_call_days) and the calls themselves, checked against the independent expectations, plus which source each
kind of question is sent to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from caseapp.reference import Channel, Substance
from caseapp.reports import queries
from caseapp.reports.params import Bucket, Dimension, Filters, Period
from tests.integration.api_support import Api
from tests.integration.reports import expected
from tests.integration.reports.conftest import Seeded
from tests.integration.reports.expected import CLOCK_CHANGE_DAYS, Filter, midnight

DAY = CLOCK_CHANGE_DAYS[1]
START, END = midnight(DAY - timedelta(days=1)), midnight(DAY + timedelta(days=2))


@pytest.fixture(params=["chosen", "calls"])
def source(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with the source the reports choose, then again with every report read from calls."""
    if request.param == "calls":
        monkeypatch.setattr(queries.Source, "choose", classmethod(lambda cls, *args, **kwargs: cls("calls")))
    return str(request.param)


def _get(api: Api, path: str, **query: Any) -> dict[str, Any]:
    response = api.get(
        f"/api/v1/reports/{path}", query_string={"from": START.isoformat(), "to": END.isoformat(), **query}
    )
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


@pytest.mark.parametrize("bucket", ["hour", "day", "week", "month"])
@pytest.mark.parametrize("by", [None, "channel", "advisor", "substance", "relationship"])
def test_volume_is_the_same_from_every_source(
    reports: Api, seeded: Seeded, source: str, bucket: str, by: str | None
) -> None:
    body = _get(reports, "volume", bucket=bucket, previous="false", **({"by": by} if by else {}))

    assert {(r["start"], r["key"]): r["calls"] for r in body["rows"]} == expected.volume(
        seeded.calls, START, END, bucket, by
    )


@pytest.mark.parametrize("by", ["channel", "direction", "advisor", "substance", "pathway", "risk", "relationship"])
def test_breakdown_is_the_same_from_every_source(reports: Api, seeded: Seeded, source: str, by: str) -> None:
    rows = _get(reports, "breakdown", by=by)["rows"]

    assert {r["key"]: (r["calls"], r["talk_seconds"]) for r in rows} == expected.breakdown(seeded.calls, START, END, by)


def test_heatmap_is_the_same_from_every_source(reports: Api, seeded: Seeded, source: str) -> None:
    rows = _get(reports, "heatmap", channel="phone")["rows"]

    assert {(r["weekday"], r["hour"]): r["calls"] for r in rows} == expected.heatmap(
        seeded.calls, START, END, Filter(channel="phone")
    )


WHOLE_DAYS = Period(START, END)
MID_HOUR = Period(START + timedelta(minutes=30), END)


@pytest.mark.parametrize(
    ("period", "dimension", "filters", "bucket", "kind"),
    [
        (WHOLE_DAYS, None, Filters(), Bucket.DAY, "hours"),
        (WHOLE_DAYS, Dimension.ADVISOR, Filters(channel=Channel.PHONE), Bucket.HOUR, "hours"),
        (Period(START + timedelta(hours=5), END), Dimension.CHANNEL, Filters(), Bucket.HOUR, "hours"),
        (WHOLE_DAYS, Dimension.SUBSTANCE, Filters(), Bucket.WEEK, "days"),
        (WHOLE_DAYS, None, Filters(substance=Substance.ALCOHOL), Bucket.MONTH, "days"),
        (WHOLE_DAYS, Dimension.RELATIONSHIP, Filters(), None, "days"),
        (WHOLE_DAYS, Dimension.SUBSTANCE, Filters(), Bucket.HOUR, "calls"),
        (WHOLE_DAYS, Dimension.PATHWAY, Filters(substance=Substance.ALCOHOL), Bucket.DAY, "calls"),
        (WHOLE_DAYS, Dimension.RISK, Filters(advisor_id=1), Bucket.DAY, "calls"),
        (MID_HOUR, None, Filters(), Bucket.DAY, "calls"),
        (Period(START + timedelta(hours=5), END), Dimension.SUBSTANCE, Filters(), Bucket.DAY, "calls"),
    ],
)
def test_each_question_goes_to_the_smallest_table_that_answers_it(
    period: Period, dimension: Dimension | None, filters: Filters, bucket: Bucket | None, kind: str
) -> None:
    assert queries.Source.choose(period, dimension, filters, bucket).kind == kind


def test_periods_used_here_are_whole_days_and_hours() -> None:
    assert WHOLE_DAYS.is_whole_days
    assert not MID_HOUR.is_whole_days
    assert datetime(2026, 10, 24, tzinfo=UTC) - START == timedelta(hours=1)  # 24 October starts at 23:00 UTC
