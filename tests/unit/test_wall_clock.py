"""A time of day on the local wall clock (caseapp.timeutil next_wall_clock / latest_wall_clock) and the daily beat
schedule built on it (workers/daily.py), across the March and October clock changes."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from celery import Celery
from celery.schedules import crontab

from caseapp.timeutil import latest_wall_clock, next_wall_clock, parse_time_of_day
from workers.daily import DailyAt

LONDON = "Europe/London"
SEVEN = time(7, 0)


def utc(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (utc(3, 27, 7), utc(3, 28, 7)),  # Saturday 28 March: still GMT
        (utc(3, 28, 7), utc(3, 29, 6)),  # Sunday 29 March: BST from 01:00 UTC, 07:00 BST is 06:00 UTC (23 hours)
        (utc(3, 29, 6), utc(3, 30, 6)),
        (utc(10, 23, 6), utc(10, 24, 6)),  # Saturday 24 October: BST
        (utc(10, 24, 6), utc(10, 25, 7)),  # Sunday 25 October: GMT from 01:00 UTC (25 hours)
        (utc(10, 25, 7), utc(10, 26, 7)),
        (utc(3, 29, 5, 59), utc(3, 29, 6)),  # earlier the same day: today's
        (utc(12, 31, 23, 30), utc(1, 1, 7, year=2027)),  # across the new year
    ],
)
def test_next_wall_clock_is_seven_in_the_morning_uk_time_whatever_the_clocks_do(
    after: datetime, expected: datetime
) -> None:
    assert next_wall_clock(after, SEVEN, LONDON) == expected


def test_a_time_the_march_change_skips_runs_as_far_after_the_change_and_a_repeated_one_runs_the_first_time() -> None:
    skipped, repeated = time(1, 30), time(1, 30)

    # 01:30 does not exist on 29 March 2026: 02:30 BST (01:30 UTC), half an hour after the clocks jumped
    assert next_wall_clock(utc(3, 28, 12), skipped, LONDON) == utc(3, 29, 1, 30)
    # 01:30 happens twice on 25 October 2026: the first, 01:30 BST (00:30 UTC)
    assert next_wall_clock(utc(10, 24, 12), repeated, LONDON) == utc(10, 25, 0, 30)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(3, 29, 6), utc(3, 29, 6)),  # at the moment itself
        (utc(3, 29, 5, 59), utc(3, 28, 7)),  # a minute before Sunday's: Saturday's (GMT)
        (utc(10, 25, 6, 59), utc(10, 24, 6)),  # 06:59 GMT on Sunday: Saturday's 07:00 BST
        (utc(10, 25, 7, 1), utc(10, 25, 7)),
    ],
)
def test_latest_wall_clock_is_the_last_one_at_or_before_now(now: datetime, expected: datetime) -> None:
    assert latest_wall_clock(now, SEVEN, LONDON) == expected


@pytest.mark.parametrize("text", ["7:00", "07:0", "0700", "24:00", "07:60", "", "seven", "07:00:00", " 07:00x"])
def test_parse_time_of_day_takes_hh_mm_only(text: str) -> None:
    with pytest.raises(ValueError, match="time of day|hour|minute"):
        parse_time_of_day(text)


def test_parse_time_of_day() -> None:
    assert parse_time_of_day("07:00") == SEVEN
    assert parse_time_of_day(" 23:59 ") == time(23, 59)


# --- the beat schedule -------------------------------------------------------------------------------------------


@pytest.fixture
def beat_app() -> Celery:
    """A Celery app as beat has it: UTC."""
    app = Celery("daily-test", set_as_current=False)
    app.conf.timezone = "UTC"
    app.conf.enable_utc = True
    return app


@pytest.mark.parametrize(
    "runs",
    [
        [utc(3, 27, 7), utc(3, 28, 7), utc(3, 29, 6), utc(3, 30, 6), utc(3, 31, 6)],
        [utc(10, 23, 6), utc(10, 24, 6), utc(10, 25, 7), utc(10, 26, 7), utc(10, 27, 7)],
    ],
    ids=["march", "october"],
)
def test_the_daily_schedule_is_due_at_seven_uk_time_each_day_across_the_change(
    beat_app: Celery, runs: list[datetime]
) -> None:
    schedule = DailyAt("07:00", LONDON, app=beat_app)
    for last, upcoming, following in zip(runs, runs[1:], runs[2:], strict=False):
        with time_machine.travel(upcoming - timedelta(seconds=1), tick=False):
            assert schedule.is_due(last) == (False, 1.0)
        with time_machine.travel(upcoming, tick=False):
            # due now; then beat may sleep until the following morning's run (23, 24 or 25 hours)
            assert schedule.is_due(last) == (True, (following - upcoming).total_seconds())


def test_the_daily_schedule_runs_once_after_beat_was_away_for_days(beat_app: Celery) -> None:
    schedule = DailyAt("07:00", LONDON, app=beat_app)

    with time_machine.travel(utc(6, 20, 12), tick=False):
        due, wait = schedule.is_due(utc(6, 15, 6))  # last ran five days ago
        assert due
        assert wait == timedelta(hours=18).total_seconds()  # then tomorrow at 07:00 BST
        assert schedule.is_due(utc(6, 20, 12)) == (False, timedelta(hours=18).total_seconds())


def test_a_crontab_in_beat_s_utc_would_ring_at_eight_all_summer(beat_app: Celery) -> None:
    """The control: why the schedule is not crontab(hour=7): beat keeps UTC, so Sunday's run would be 08:00 BST."""
    naive = crontab(hour=7, minute=0, app=beat_app)

    with time_machine.travel(utc(3, 28, 7, 1), tick=False):
        upcoming = utc(3, 28, 7, 1) + naive.remaining_estimate(utc(3, 28, 7))

    assert upcoming == utc(3, 29, 7)  # 08:00 BST, an hour late all summer
    assert DailyAt("07:00", LONDON, app=beat_app).next_after(utc(3, 28, 7)) == utc(3, 29, 6)


def test_the_daily_schedule_survives_pickling_for_the_embedded_beat(beat_app: Celery) -> None:
    schedule = DailyAt("07:00", LONDON, app=beat_app)

    copy = pickle.loads(pickle.dumps(schedule))  # noqa: S301 - our own object, round-tripped

    assert copy == schedule
    assert copy.next_after(utc(3, 28, 7)) == utc(3, 29, 6)
    assert DailyAt("07:30", LONDON) != schedule


def test_the_daily_schedule_refuses_a_bad_time_or_zone() -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        DailyAt("7am", LONDON)
    with pytest.raises(Exception, match="Nowhere/Atlantis"):
        DailyAt("07:00", "Nowhere/Atlantis")
