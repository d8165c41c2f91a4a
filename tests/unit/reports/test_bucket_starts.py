"""The local starts of report buckets, built in bulk without a zone conversion per bucket, against zoneinfo itself
around every UK clock change of 2026-2027 and over whole years."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from caseapp.reports.params import Bucket, Period, bucket_start, bucket_starts
from caseapp.reports.services import VolumeSeries
from caseapp.timeutil import local_hour_starts, local_midnights

LONDON = ZoneInfo("Europe/London")
CLOCK_CHANGES = (date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31))


def _zoneinfo_hours(first: datetime, hours: int) -> list[str]:
    return [(first + timedelta(hours=n)).astimezone(LONDON).isoformat() for n in range(hours)]


@pytest.mark.parametrize("day", CLOCK_CHANGES, ids=str)
@pytest.mark.parametrize("lead", [0, 1, 2, 23, 24, 47])
def test_local_hour_starts_match_zoneinfo_across_a_clock_change(day: date, lead: int) -> None:
    first = datetime.combine(day, time(1), tzinfo=UTC) - timedelta(hours=lead)  # the change is at 01:00 UTC

    assert local_hour_starts(first, 96) == _zoneinfo_hours(first, 96)


@pytest.mark.parametrize("day", CLOCK_CHANGES, ids=str)
def test_local_hour_starts_match_zoneinfo_when_starting_or_ending_on_the_change(day: date) -> None:
    change = datetime.combine(day, time(1), tzinfo=UTC)

    for first, hours in ((change, 5), (change - timedelta(hours=3), 3), (change - timedelta(hours=3), 4)):
        assert local_hour_starts(first, hours) == _zoneinfo_hours(first, hours)


@pytest.mark.parametrize(
    "first",
    [
        datetime(2026, 1, 1, tzinfo=UTC),  # the calendar year 2026, both changes
        datetime(2026, 11, 8, tzinfo=UTC),  # the benchmarked year, both 2027 changes
        datetime(2026, 3, 22, 13, tzinfo=UTC),  # all four changes in one run
    ],
    ids=str,
)
def test_local_hour_starts_match_zoneinfo_over_a_year_and_more(first: datetime) -> None:
    hours = 24 * 600 if first.month == 3 else 24 * 366

    assert local_hour_starts(first, hours) == _zoneinfo_hours(first, hours)


def test_local_hour_starts_keep_minutes_seconds_and_microseconds_of_an_odd_start() -> None:
    first = datetime(2026, 10, 24, 23, 30, 15, 250000, tzinfo=UTC)

    assert local_hour_starts(first, 30) == _zoneinfo_hours(first, 30)
    assert local_hour_starts(first, 0) == []


def test_local_midnights_match_zoneinfo_for_every_day_of_2026_and_2027() -> None:
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(730)]

    assert local_midnights(days) == [datetime.combine(d, time.min, tzinfo=LONDON).isoformat() for d in days]


@pytest.mark.parametrize("bucket", list(Bucket))
@pytest.mark.parametrize(
    "period",
    [
        *(Period.of_days(day - timedelta(days=1), day + timedelta(days=1)) for day in CLOCK_CHANGES),
        Period.of_days(date(2026, 11, 8), date(2027, 11, 7)),
        Period(datetime(2026, 10, 24, 13, 30, tzinfo=UTC), datetime(2026, 10, 26, 5, 10, tzinfo=UTC)),
    ],
    ids=lambda p: f"{p.start:%Y%m%d%H%M}-{p.end:%Y%m%d%H%M}",
)
def test_bucket_starts_are_each_bucket_start_in_order(period: Period, bucket: Bucket) -> None:
    assert bucket_starts(period, bucket) == [bucket_start(key).isoformat() for key in period.buckets(bucket)]


def test_period_hours_counts_the_hour_buckets() -> None:
    mid_hour = Period(datetime(2026, 10, 24, 13, 30, tzinfo=UTC), datetime(2026, 10, 24, 16, 0, 1, tzinfo=UTC))

    assert mid_hour.first_hour == datetime(2026, 10, 24, 13, tzinfo=UTC)
    assert mid_hour.hours == len(list(mid_hour.buckets(Bucket.HOUR))) == 4
    assert Period.of_days(date(2026, 10, 25), date(2026, 10, 25)).hours == 25


def test_volume_rows_are_bucket_major_in_the_keys_order_with_empty_ones_at_zero() -> None:
    period = Period.of_days(date(2026, 10, 25), date(2026, 10, 26))
    series = VolumeSeries(period, Bucket.DAY, counts={"phone": [3, 0], None: [0, 4]})
    starts = ["2026-10-25T00:00:00+01:00", "2026-10-26T00:00:00+00:00"]

    assert series.rows(["phone", "sms", None]) == [
        {"start": starts[0], "key": "phone", "calls": 3},
        {"start": starts[0], "key": "sms", "calls": 0},
        {"start": starts[0], "key": None, "calls": 0},
        {"start": starts[1], "key": "phone", "calls": 0},
        {"start": starts[1], "key": "sms", "calls": 0},
        {"start": starts[1], "key": None, "calls": 4},
    ]
    assert series.rows([None]) == [
        {"start": starts[0], "key": None, "calls": 0},
        {"start": starts[1], "key": None, "calls": 4},
    ]
    assert series.rows([]) == []
