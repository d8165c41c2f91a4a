"""GET /api/v1/reports/volume against counts worked out independently from the generated calls: every bucket size,
every split, filters, the clock-change days (23- and 25-hour days), empty, one-call and mid-day ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.api_support import Api
from tests.integration.reports import expected
from tests.integration.reports.conftest import Seeded
from tests.integration.reports.expected import CLOCK_CHANGE_DAYS, LONDON, Filter, midnight

DIMENSIONS = ["substance", "pathway", "risk", "channel", "advisor", "relationship", "direction"]


def _rows(body: dict[str, Any]) -> dict[tuple[str, Any], int]:
    return {(row["start"], row["key"]): row["calls"] for row in body["rows"]}


def _get(api: Api, **query: Any) -> dict[str, Any]:
    response = api.get("/api/v1/reports/volume", query_string=query)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_volume_answers_the_documented_shape(reports: Api) -> None:
    body = _get(reports, **{"from": "2026-10-25", "to": "2026-10-26"})

    assert set(body) == {"timezone", "bucket", "by", "from", "to", "rows", "previous"}
    assert body["timezone"] == "Europe/London"
    assert body["bucket"] == "day"
    assert body["by"] is None
    assert body["from"] == "2026-10-25T00:00:00+01:00"
    assert body["to"] == "2026-10-26T00:00:00+00:00"
    assert [set(row) for row in body["rows"]] == [{"start", "key", "calls"}]
    assert body["rows"][0]["start"] == "2026-10-25T00:00:00+01:00"
    assert body["rows"][0]["key"] is None


@pytest.mark.parametrize("day", CLOCK_CHANGE_DAYS, ids=str)
@pytest.mark.parametrize("bucket", ["hour", "day"])
def test_volume_on_a_clock_change_day_counts_every_call_once(
    reports: Api, seeded: Seeded, day: Any, bucket: str
) -> None:
    start, end = midnight(day), midnight(day + timedelta(days=1))

    body = _get(reports, **{"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat(), "bucket": bucket})

    want = expected.volume(seeded.calls, start, end, bucket)
    assert _rows(body) == want
    assert sum(row["calls"] for row in body["rows"]) == len(expected.in_period(seeded.calls, start, end)) > 0
    if bucket == "hour":  # 23 hours in March, 25 in October, each its own bucket (01:00 twice in October)
        assert len(body["rows"]) == (23 if day.month == 3 else 25)
        starts = [row["start"] for row in body["rows"]]
        assert len(set(starts)) == len(starts)
        assert starts == sorted(starts, key=datetime.fromisoformat)


@pytest.mark.parametrize("bucket", ["hour", "day", "week", "month"])
def test_volume_over_three_days_around_each_change_in_every_bucket_size(
    reports: Api, seeded: Seeded, bucket: str
) -> None:
    for day in CLOCK_CHANGE_DAYS:
        first, last = day - timedelta(days=1), day + timedelta(days=2)
        body = _get(reports, **{"from": first.isoformat(), "to": last.isoformat(), "bucket": bucket})

        assert _rows(body) == expected.volume(seeded.calls, midnight(first), midnight(last), bucket), day


@pytest.mark.parametrize("by", DIMENSIONS)
@pytest.mark.parametrize("bucket", ["day", "hour"])
def test_volume_split_by_each_dimension(reports: Api, seeded: Seeded, by: str, bucket: str) -> None:
    day = CLOCK_CHANGE_DAYS[1]
    first, last = day - timedelta(days=1), day + timedelta(days=2)

    body = _get(reports, **{"from": first.isoformat(), "to": last.isoformat(), "bucket": bucket, "by": by})

    assert body["by"] == by
    assert _rows(body) == expected.volume(seeded.calls, midnight(first), midnight(last), bucket, by)


@pytest.mark.parametrize(
    "where",
    [
        Filter(channel="web_chat"),
        Filter(direction="outbound"),
        Filter(substance="alcohol"),
        Filter(substance="heroin", channel="phone"),
        Filter(direction="inbound", channel="phone"),
    ],
    ids=lambda f: "+".join(f"{k}={v}" for k, v in f.query().items()),
)
@pytest.mark.parametrize("by", [None, "substance", "channel", "risk"])
def test_volume_filtered(reports: Api, seeded: Seeded, where: Filter, by: str | None) -> None:
    day = CLOCK_CHANGE_DAYS[3]
    first, last = day - timedelta(days=1), day + timedelta(days=2)
    query = {"from": first.isoformat(), "to": last.isoformat(), **where.query(), **({"by": by} if by else {})}

    body = _get(reports, **query)

    assert _rows(body) == expected.volume(seeded.calls, midnight(first), midnight(last), "day", by, where)


def test_volume_filtered_by_advisor(reports: Api, seeded: Seeded) -> None:
    day = CLOCK_CHANGE_DAYS[0]
    start, end = midnight(day), midnight(day + timedelta(days=1))
    advisor = expected.in_period(seeded.calls, start, end)[0].advisor_id
    where = Filter(advisor=advisor)

    for by in (None, "channel", "substance"):
        query = {"from": day.isoformat(), "to": (day + timedelta(days=1)).isoformat(), "advisor": advisor}
        body = _get(reports, bucket="hour", **query, **({"by": by} if by else {}))

        assert _rows(body) == expected.volume(seeded.calls, start, end, "hour", by, where)
        assert sum(body_row["calls"] for body_row in body["rows"]) > 0


def test_volume_starting_and_ending_mid_day(reports: Api, seeded: Seeded) -> None:
    start = datetime(2027, 10, 30, 9, 30, 15, tzinfo=UTC)
    end = datetime(2027, 10, 31, 1, 45, tzinfo=UTC)  # 01:45 GMT, in the second 01:00 hour of the day

    before = start - (end - start)  # the previous period: as long, just before
    for bucket in ("hour", "day"):
        for by in (None, "substance", "advisor"):
            query = {"from": start.isoformat(), "to": end.isoformat().replace("+00:00", "Z"), "bucket": bucket}
            body = _get(reports, **query, **({"by": by} if by else {}))

            # every series of either period is shown in both (empty buckets at 0)
            keys = {c.key(by) for c in expected.in_period(seeded.calls, before, start)}
            assert _rows(body) == expected.volume(seeded.calls, start, end, bucket, by, also_keys=keys)
            previous = {(r["start"], r["key"]): r["calls"] for r in body["previous"]["rows"]}
            now_keys = {c.key(by) for c in expected.in_period(seeded.calls, start, end)}
            assert previous == expected.volume(seeded.calls, before, start, bucket, by, also_keys=now_keys)
    assert body["from"] == "2027-10-30T10:30:15+01:00"
    assert body["to"] == "2027-10-31T01:45:00+00:00"


def test_volume_of_a_range_holding_one_call(reports: Api, seeded: Seeded) -> None:
    call = sorted(seeded.calls, key=lambda c: c.started_at)[len(seeded.calls) // 2]
    start, end = call.started_at, call.started_at + timedelta(microseconds=1)

    body = _get(reports, **{"from": start.isoformat(), "to": end.isoformat(), "bucket": "hour", "by": "channel"})

    assert body["rows"] == [
        {
            "start": call.started_at.replace(minute=0, second=0).astimezone(LONDON).isoformat(),
            "key": call.channel,
            "calls": 1,
        }
    ]


def test_volume_of_an_empty_range_has_every_bucket_at_zero(reports: Api) -> None:
    body = _get(reports, **{"from": "2025-06-02", "to": "2025-06-09"})

    assert [(row["start"], row["calls"]) for row in body["rows"]] == [
        (f"2025-06-0{d}T00:00:00+01:00", 0) for d in range(2, 9)
    ]
    split = _get(reports, **{"from": "2025-06-02", "to": "2025-06-09", "by": "substance"})
    assert split["rows"] == []


def test_volume_overlays_the_previous_period_of_as_many_local_days(reports: Api, seeded: Seeded) -> None:
    day = CLOCK_CHANGE_DAYS[2]  # 2027-03-28, 23 hours long

    body = _get(reports, **{"from": day.isoformat(), "to": (day + timedelta(days=2)).isoformat(), "bucket": "hour"})

    previous = body["previous"]
    assert previous["from"] == "2027-03-26T00:00:00+00:00"
    assert previous["to"] == "2027-03-28T00:00:00+00:00"
    before = day - timedelta(days=2)
    want = expected.volume(seeded.calls, midnight(before), midnight(day), "hour")
    assert {(r["start"], r["key"]): r["calls"] for r in previous["rows"]} == want
    assert len(previous["rows"]) == 48
    assert len(body["rows"]) == 47
    assert _get(reports, **{"from": day.isoformat(), "previous": "false"})["previous"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-10-26", "to": "2026-10-25"}, "to"),
        ({"from": "2026-10-25", "to": "2026-10-25"}, "to"),
        ({"bucket": "fortnight"}, "bucket"),
        ({"by": "postcode"}, "by"),
        ({"from": "2026-10-25T10:00:00", "to": "2026-10-26"}, "from"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
        ({"from": "2025-01-01", "to": "2026-12-01", "bucket": "hour"}, "bucket"),
        ({"channel": "pigeon"}, "channel"),
        ({"surprise": "1"}, "surprise"),
    ],
)
def test_volume_refuses_bad_parameters(reports: Api, query: dict[str, str], field: str) -> None:
    response = reports.get("/api/v1/reports/volume", query_string=query)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
