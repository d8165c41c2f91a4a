"""Properties of Europe/London conversion: wall-clock times and UTC instants round trip, the hour the clocks skip is
refused, the hour that happens twice needs a fold, and local days tile time (23, 24 or 25 hours each)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from caseapp.timeutil import AmbiguousLocalTime, NonexistentLocalTime, local_day_bounds, local_to_utc, to_local
from tests.unit.properties.strategies import HOUR, days, instants, wall_clock_times

LONDON = ZoneInfo("Europe/London")


def instants_showing(wall: datetime) -> list[datetime]:
    """Every UTC instant whose London wall clock reads `wall`, earliest first: none in the hour the clocks skip, two
    in the hour that happens twice. Found by converting candidates from UTC (no fold involved)."""
    candidates = (wall.replace(tzinfo=UTC) - offset * HOUR for offset in (0, 1, 2))
    return sorted(c for c in candidates if c.astimezone(LONDON).replace(tzinfo=None) == wall)


def is_last_sunday(day: date, month: int) -> bool:
    return day.month == month and day.weekday() == 6 and (day + timedelta(days=7)).month != month


@given(instants)
@example(datetime(2026, 10, 25, 0, 59, 59, 999999, tzinfo=UTC))  # the first 01:59:59.999999
@example(datetime(2026, 10, 25, 1, 0, tzinfo=UTC))  # the second 01:00
@example(datetime(2027, 3, 28, 1, 0, tzinfo=UTC))  # 02:00 BST, straight after 00:59:59 GMT
@example(datetime(2027, 10, 31, 0, 30, tzinfo=UTC))
@example(datetime(2027, 10, 31, 1, 30, tzinfo=UTC))
def test_local_to_utc_inverts_to_local_for_every_instant(instant: datetime) -> None:
    local = to_local(instant)

    assert local_to_utc(local.replace(tzinfo=None), fold=local.fold) == instant
    assert local.utcoffset() in (timedelta(0), HOUR)


@given(wall_clock_times)
@example(datetime(2027, 3, 28, 1, 0))
@example(datetime(2027, 3, 28, 1, 59, 59, 999999))
@example(datetime(2027, 3, 28, 2, 0))
@example(datetime(2027, 3, 28, 0, 59, 59, 999999))
def test_local_to_utc_refuses_exactly_the_times_the_clocks_skip(wall: datetime) -> None:
    showing = instants_showing(wall)

    if showing:
        for chosen in (0, 1):
            assert local_to_utc(wall, fold=chosen) in showing
    else:  # only the hour from 01:00 on the last Sunday of March
        for fold in (None, 0, 1):
            with pytest.raises(NonexistentLocalTime):
                local_to_utc(wall, fold=fold)
        assert is_last_sunday(wall.date(), 3)
        assert time(1) <= wall.time() < time(2)


@given(wall_clock_times)
@example(datetime(2027, 10, 31, 1, 0))
@example(datetime(2027, 10, 31, 1, 59, 59, 999999))
@example(datetime(2027, 10, 31, 2, 0))
@example(datetime(2026, 10, 25, 0, 59, 59, 999999))
def test_local_to_utc_needs_a_fold_exactly_for_times_that_happen_twice(wall: datetime) -> None:
    showing = instants_showing(wall)

    if len(showing) == 2:
        with pytest.raises(AmbiguousLocalTime):
            local_to_utc(wall)
        first, second = local_to_utc(wall, fold=0), local_to_utc(wall, fold=1)
        assert [first, second] == showing
        assert second - first == HOUR
        assert (to_local(first).tzname(), to_local(second).tzname()) == ("BST", "GMT")
        assert is_last_sunday(wall.date(), 10)
        assert time(1) <= wall.time() < time(2)
    elif len(showing) == 1:
        assert local_to_utc(wall) == local_to_utc(wall, fold=0) == local_to_utc(wall, fold=1) == showing[0]


@given(days)
@example(date(2027, 3, 28))
@example(date(2027, 10, 31))
@example(date(2026, 10, 25))
def test_local_day_bounds_is_23_24_or_25_hours_from_midnight_to_midnight(day: date) -> None:
    start, end = local_day_bounds(day)

    assert (to_local(start).date(), to_local(start).time()) == (day, time.min)
    assert end == local_day_bounds(day + timedelta(days=1))[0]
    assert start.tzinfo is UTC
    assert end.tzinfo is UTC
    expected_hours = 23 if is_last_sunday(day, 3) else 25 if is_last_sunday(day, 10) else 24
    assert end - start == expected_hours * HOUR


@given(instants)
@example(datetime(2026, 10, 24, 23, 0, tzinfo=UTC))  # local midnight starting the 25-hour day
@example(datetime(2026, 10, 25, 23, 59, 59, 999999, tzinfo=UTC))  # its last microsecond
@example(datetime(2027, 3, 27, 23, 59, 59, 999999, tzinfo=UTC))
@example(datetime(2027, 3, 28, 23, 0, tzinfo=UTC))
def test_local_day_bounds_puts_every_instant_in_exactly_one_local_day(instant: datetime) -> None:
    local_day = to_local(instant).date()
    containing = [
        day
        for day in (local_day - timedelta(days=1), local_day, local_day + timedelta(days=1))
        if local_day_bounds(day)[0] <= instant < local_day_bounds(day)[1]
    ]

    assert containing == [local_day]


@given(st.datetimes(timezones=st.just(UTC)))
def test_to_local_keeps_the_instant_and_answers_in_london_time(instant: datetime) -> None:
    local = to_local(instant)

    assert local == instant
    assert local.tzinfo is not None
    assert str(local.tzinfo) == "Europe/London"
