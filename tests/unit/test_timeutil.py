"""Local time (Europe/London) around the 2027 clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from caseapp.timeutil import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    format_local,
    local_day_bounds,
    local_to_utc,
    to_local,
)


def test_local_day_bounds_is_23_hours_when_clocks_go_forward() -> None:
    start, end = local_day_bounds(date(2027, 3, 28))

    assert end - start == timedelta(hours=23)
    assert start == datetime(2027, 3, 28, 0, 0, tzinfo=UTC)
    assert end == datetime(2027, 3, 28, 23, 0, tzinfo=UTC)


def test_local_day_bounds_is_25_hours_when_clocks_go_back() -> None:
    start, end = local_day_bounds(date(2027, 10, 31))

    assert end - start == timedelta(hours=25)
    assert start == datetime(2027, 10, 30, 23, 0, tzinfo=UTC)
    assert end == datetime(2027, 11, 1, 0, 0, tzinfo=UTC)


def test_local_day_bounds_is_24_hours_on_an_ordinary_summer_day() -> None:
    start, end = local_day_bounds(date(2027, 7, 1))

    assert (start, end - start) == (datetime(2027, 6, 30, 23, 0, tzinfo=UTC), timedelta(hours=24))


def test_local_to_utc_refuses_a_time_skipped_when_clocks_go_forward() -> None:
    with pytest.raises(NonexistentLocalTime, match="does not exist"):
        local_to_utc(datetime(2027, 3, 28, 1, 30))


def test_local_to_utc_refuses_an_ambiguous_time_without_fold() -> None:
    with pytest.raises(AmbiguousLocalTime, match="happens twice"):
        local_to_utc(datetime(2027, 10, 31, 1, 30))


@pytest.mark.parametrize(
    ("fold", "expected"),
    [(0, datetime(2027, 10, 31, 0, 30, tzinfo=UTC)), (1, datetime(2027, 10, 31, 1, 30, tzinfo=UTC))],
)
def test_local_to_utc_picks_the_occurrence_chosen_by_fold(fold: int, expected: datetime) -> None:
    assert local_to_utc(datetime(2027, 10, 31, 1, 30), fold=fold) == expected


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2027, 3, 28, 0, 59), datetime(2027, 3, 28, 0, 59, tzinfo=UTC)),
        (datetime(2027, 3, 28, 2, 0), datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),
        (datetime(2027, 7, 1, 12, 0), datetime(2027, 7, 1, 11, 0, tzinfo=UTC)),
        (datetime(2027, 12, 1, 12, 0), datetime(2027, 12, 1, 12, 0, tzinfo=UTC)),
    ],
)
def test_local_to_utc_converts_an_unambiguous_time(local: datetime, expected: datetime) -> None:
    assert local_to_utc(local) == expected
    assert local_to_utc(local, fold=1) == expected  # fold only matters for an ambiguous time


def test_to_local_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_local(datetime(2027, 7, 1, 12, 0))


def test_to_local_converts_to_london_time() -> None:
    local = to_local(datetime(2027, 7, 1, 11, 0, tzinfo=UTC))

    assert local.tzinfo == ZoneInfo("Europe/London")
    assert local.replace(tzinfo=None) == datetime(2027, 7, 1, 12, 0)


def test_format_local_names_the_zone_in_force() -> None:
    assert format_local(datetime(2027, 7, 1, 11, 0, tzinfo=UTC)) == "01 Jul 2027 12:00 BST"
    assert format_local(datetime(2027, 12, 1, 12, 0, tzinfo=UTC)) == "01 Dec 2027 12:00 GMT"
    assert format_local(None) == ""


def test_format_local_names_the_zone_once_when_the_format_prints_it() -> None:
    assert format_local(datetime(2026, 12, 1, 21, 40, tzinfo=UTC), "%a %d %b %H:%M %Z") == "Tue 01 Dec 21:40 GMT"
    assert format_local(datetime(2027, 7, 1, 11, 0, tzinfo=UTC), "%H:%M %Z on %a") == "12:00 BST on Thu"
