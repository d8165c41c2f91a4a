"""Properties of report periods and buckets: the buckets of a period cover it with no gap and no overlap (so no call
is counted twice or lost at a boundary, on clock-change days too), the bucket limit never undercounts, and the bulk
builders of bucket starts say exactly what a zone conversion per bucket says."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from caseapp.reports.params import Bucket, Period, bucket_of, bucket_start, bucket_starts
from caseapp.timeutil import local_day_bounds, local_hour_starts, local_midnights, to_local
from tests.unit.properties.strategies import CLOCK_CHANGES, HOUR, changes, days, instants

LONDON = ZoneInfo("Europe/London")
MICROSECOND = timedelta(microseconds=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def bucket_interval(key: datetime | date, bucket: Bucket) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the bucket a key names, worked out from local days alone."""
    if bucket == Bucket.HOUR:
        assert isinstance(key, datetime)
        return key, key + HOUR
    assert isinstance(key, date)
    assert not isinstance(key, datetime)
    after = {
        Bucket.DAY: key + timedelta(days=1),
        Bucket.WEEK: key + timedelta(days=7),
        Bucket.MONTH: _next_month(key),
    }[bucket]
    return local_day_bounds(key)[0], local_day_bounds(after)[0]


def months_in(period: Period) -> int:
    end = to_local(period.end)
    return (end.year - period.first_day.year) * 12 + end.month - period.first_day.month


whole_days = st.builds(
    lambda first, length: Period.of_days(first, first + timedelta(days=length)), days, st.integers(0, 120)
)
any_instants = st.builds(
    lambda start, length: Period(start, start + length),
    instants,
    st.timedeltas(min_value=MICROSECOND, max_value=timedelta(days=60)),
)
around_changes = st.builds(
    lambda day, lead, length: Period(
        datetime.combine(day, time(1), tzinfo=UTC) - lead, datetime.combine(day, time(1), tzinfo=UTC) - lead + length
    ),
    changes,
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)),
    st.timedeltas(min_value=MICROSECOND, max_value=timedelta(days=3)),
)
periods = st.one_of(whole_days, any_instants, around_changes)
buckets = st.sampled_from(list(Bucket))


@given(periods, buckets)
@example(Period.of_days(date(2026, 10, 25), date(2026, 10, 25)), Bucket.HOUR)  # 25 hours
@example(Period.of_days(date(2027, 3, 28), date(2027, 3, 28)), Bucket.HOUR)  # 23 hours
@example(Period.of_days(date(2027, 3, 1), date(2027, 3, 31)), Bucket.MONTH)
@example(Period.of_days(date(2027, 10, 25), date(2027, 11, 7)), Bucket.WEEK)
@example(Period(datetime(2027, 10, 30, 23, 0, tzinfo=UTC), datetime(2027, 10, 31, 0, 0, 1, tzinfo=UTC)), Bucket.DAY)
def test_period_buckets_cover_the_period_without_gap_or_overlap(period: Period, bucket: Bucket) -> None:
    keys = list(period.buckets(bucket))
    intervals = [bucket_interval(key, bucket) for key in keys]

    assert keys, "a period has at least one bucket"
    assert all(a[1] == b[0] for a, b in zip(intervals, intervals[1:], strict=False)), "gap or overlap"
    assert intervals[0][0] <= period.start < intervals[0][1], "the first bucket holds the first instant"
    assert intervals[-1][0] < period.end <= intervals[-1][1], "the last bucket holds the last instant"
    if bucket == Bucket.WEEK:
        assert {key.weekday() for key in keys} == {0}  # weeks start on Mondays
    if bucket == Bucket.MONTH:
        assert {key.day for key in keys} == {1}


@given(periods, buckets, st.data())
def test_period_buckets_count_every_instant_of_the_period_exactly_once(
    period: Period, bucket: Bucket, data: st.DataObject
) -> None:
    """What the reports do with a call: its local date (or UTC hour) names its bucket, which is one of the period's."""
    offset = data.draw(st.timedeltas(min_value=timedelta(0), max_value=period.end - period.start - MICROSECOND))
    instant = period.start + offset
    keys = list(period.buckets(bucket))

    if bucket == Bucket.HOUR:
        key: datetime | date = instant.replace(minute=0, second=0, microsecond=0)
    else:
        key = bucket_of(to_local(instant).date(), bucket)
    assert keys.count(key) == 1
    start, end = bucket_interval(key, bucket)
    assert start <= instant < end


@given(periods, buckets)
def test_period_bucket_count_never_undercounts(period: Period, bucket: Bucket) -> None:
    """bucket_count() is what refuses a report of more than MAX_BUCKETS: it must not let a bigger one through."""
    assert period.bucket_count(bucket) >= len(list(period.buckets(bucket)))
    assert period.hours == len(list(period.buckets(Bucket.HOUR)))


@given(periods, buckets)
@example(Period.of_days(date(2026, 10, 24), date(2026, 10, 26)), Bucket.HOUR)
@example(Period.of_days(date(2027, 3, 27), date(2027, 3, 29)), Bucket.HOUR)
def test_bucket_starts_say_what_a_conversion_per_bucket_says(period: Period, bucket: Bucket) -> None:
    assert bucket_starts(period, bucket) == [bucket_start(key).isoformat() for key in period.buckets(bucket)]


@given(instants, st.integers(min_value=0, max_value=24 * 50))
@example(datetime(2026, 10, 25, 0, 0, tzinfo=UTC), 3)
@example(datetime(2027, 3, 27, 1, 0, tzinfo=UTC), 24)  # one day ahead exactly: the change is the last hour probed
@example(datetime(2027, 3, 27, 1, 0, tzinfo=UTC), 25)
@example(datetime(2027, 10, 30, 1, 0, tzinfo=UTC), 25)
@example(datetime(2027, 10, 31, 0, 59, 59, 999999, tzinfo=UTC), 2)
def test_local_hour_starts_equal_a_conversion_per_hour(first: datetime, hours: int) -> None:
    assert local_hour_starts(first, hours) == [(first + n * HOUR).astimezone(LONDON).isoformat() for n in range(hours)]


@given(st.lists(days, max_size=60) | st.builds(lambda day: [day + timedelta(days=n) for n in range(-3, 4)], changes))
@example(list(CLOCK_CHANGES))
def test_local_midnights_equal_a_conversion_per_day(given_days: list[date]) -> None:
    assert local_midnights(given_days) == [datetime.combine(d, time.min, tzinfo=LONDON).isoformat() for d in given_days]


@given(periods)
@example(Period.of_days(date(2026, 10, 26), date(2026, 10, 26)))  # the previous day is the 25-hour one
@example(Period.of_days(date(2027, 3, 1), date(2027, 3, 31)))  # a whole month: the previous is February
def test_period_previous_is_as_long_and_ends_where_the_period_starts(period: Period) -> None:
    previous = period.previous()

    assert previous.end == period.start
    if period.is_whole_months:
        assert previous.is_whole_months
        assert months_in(previous) == months_in(period)
    elif period.is_whole_days:
        assert previous.is_whole_days
        assert (previous.last_day - previous.first_day) == (period.last_day - period.first_day)
    else:
        assert previous.end - previous.start == period.end - period.start
