"""What a report is asked for: a period of time, a bucket size, a dimension to split by, and filters.

Periods are [start, end) in UTC. Given as local dates they start and end at Europe/London midnights, so a local day
is 23 or 25 hours long on clock-change days and every call belongs to exactly one day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from caseapp.reference import Channel, Direction, Substance
from caseapp.timeutil import local_day_bounds, local_hour_starts, local_midnights, local_zone, now_utc, to_local

DEFAULT_DAYS = 7
#: longest period any report answers (three years and a bit)
MAX_DAYS = 1100
#: most buckets one volume report returns (a year and a half of hours)
MAX_BUCKETS = 13_000
HOUR = timedelta(hours=1)


class Bucket(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Dimension(StrEnum):
    """What a volume report or a breakdown splits calls by."""

    SUBSTANCE = "substance"
    PATHWAY = "pathway"
    RISK = "risk"
    CHANNEL = "channel"
    ADVISOR = "advisor"
    RELATIONSHIP = "relationship"
    DIRECTION = "direction"


@dataclass(frozen=True)
class Filters:
    advisor_id: int | None = None
    channel: Channel | None = None
    substance: Substance | None = None
    direction: Direction | None = None

    @property
    def on_calls(self) -> bool:
        """Whether a filter on the call itself (advisor, channel or direction) is set."""
        return self.advisor_id is not None or self.channel is not None or self.direction is not None

    def as_query(self) -> dict[str, str]:
        """The filters as query-string arguments (for links between the dashboard and the exports)."""
        values = {
            "advisor": self.advisor_id,
            "channel": self.channel,
            "substance": self.substance,
            "direction": self.direction,
        }
        return {name: str(value) for name, value in values.items() if value is not None}


def _is_local_midnight(moment: datetime) -> bool:
    local = to_local(moment)
    return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    @classmethod
    def of_days(cls, first: date, last: date) -> Period:
        """Whole local days, both included."""
        return cls(local_day_bounds(first)[0], local_day_bounds(last)[1])

    @classmethod
    def around(cls, start: datetime | None, end: datetime | None, now: datetime | None = None) -> Period:
        """What the API means by missing `from`/`to`: the last DEFAULT_DAYS local days up to the end of today."""
        if end is None:
            today = to_local(now or now_utc()).date()
            end = local_day_bounds(today)[1]
        if start is None:
            start = cls._days_before(end, DEFAULT_DAYS)
        return cls(start.astimezone(UTC), end.astimezone(UTC))

    @staticmethod
    def _days_before(moment: datetime, days: int) -> datetime:
        if _is_local_midnight(moment):
            return local_day_bounds(to_local(moment).date() - timedelta(days=days))[0]
        return moment - timedelta(days=days)

    @property
    def first_day(self) -> date:
        """The local date of the first instant."""
        return to_local(self.start).date()

    @property
    def last_day(self) -> date:
        """The local date of the last instant (end is exclusive)."""
        return to_local(self.end - timedelta(microseconds=1)).date()

    @property
    def is_whole_days(self) -> bool:
        return _is_local_midnight(self.start) and _is_local_midnight(self.end)

    @property
    def is_whole_months(self) -> bool:
        return self.is_whole_days and self.first_day.day == 1 and to_local(self.end).day == 1

    def previous(self) -> Period:
        """The period just before, as long: the same number of months or local days when the period is made of
        them (so the previous of a 25-hour day is the 24-hour day before it), else the same duration."""
        if self.is_whole_months:
            first, end = self.first_day, to_local(self.end).date()
            months = (end.year - first.year) * 12 + end.month - first.month
            return Period.of_days(_add_months(first, -months), first - timedelta(days=1))
        if self.is_whole_days:
            days = (self.last_day - self.first_day).days + 1
            return Period.of_days(self.first_day - timedelta(days=days), self.first_day - timedelta(days=1))
        return Period(self.start - (self.end - self.start), self.start)

    def buckets(self, bucket: Bucket) -> Iterator[datetime | date]:
        """The bucket keys covering the period, in order: UTC hour starts for `hour`, else the local date a day,
        week (Monday) or month (the 1st) starts on. The first may start before the period (e.g. a week bucket)."""
        if bucket == Bucket.HOUR:
            moment = self.first_hour
            while moment < self.end:
                yield moment
                moment += HOUR
            return
        day, last = bucket_of(self.first_day, bucket), self.last_day
        step = timedelta(days=7 if bucket == Bucket.WEEK else 1)
        while day <= last:
            yield day
            day = _add_months(day, 1) if bucket == Bucket.MONTH else day + step

    @property
    def first_hour(self) -> datetime:
        """The UTC start of the hour the period starts in: the first hour bucket."""
        return self.start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)

    @property
    def hours(self) -> int:
        """How many hour buckets cover the period."""
        return -((self.first_hour - self.end) // HOUR)

    def bucket_count(self, bucket: Bucket) -> int:
        if bucket == Bucket.HOUR:
            return int((self.end - self.start).total_seconds() // 3600) + 2
        return (self.last_day - self.first_day).days // {Bucket.DAY: 1, Bucket.WEEK: 7, Bucket.MONTH: 28}[bucket] + 2


def bucket_of(day: date, bucket: Bucket) -> date:
    """The local date the day's bucket starts on."""
    if bucket == Bucket.WEEK:
        return day - timedelta(days=day.weekday())
    if bucket == Bucket.MONTH:
        return day.replace(day=1)
    return day


def bucket_start(key: datetime | date) -> datetime:
    """When a bucket starts, in local time with its offset (2026-10-25T00:00:00+01:00)."""
    if isinstance(key, datetime):
        return to_local(key)
    return to_local(local_day_bounds(key)[0])


def bucket_starts(period: Period, bucket: Bucket) -> list[str]:
    """The local start of every bucket of the period as RFC 3339, in order: bucket_start() for many at once, without
    a zone conversion per bucket (a year of hours is 8,760 of them), and kept for the periods asked for most lately
    (the same year of hours is asked for again and again, and writing it takes about 2 ms)."""
    return list(_bucket_starts(period, bucket, local_zone().key))  # a copy: the kept one is shared


@lru_cache(maxsize=16)
def _bucket_starts(period: Period, bucket: Bucket, zone: str) -> tuple[str, ...]:
    """bucket_starts() for one zone (the key: the zone is configured, and tests change it)."""
    if bucket == Bucket.HOUR:
        return tuple(local_hour_starts(period.first_hour, period.hours))
    return tuple(local_midnights(period.buckets(bucket)))
