"""The only module that knows about zoneinfo: UTC now, local conversion and local-day bounds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Europe/London"


def now_utc() -> datetime:
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    name = current_app.config["TIMEZONE"] if has_app_context() else DEFAULT_TIMEZONE
    return ZoneInfo(name)


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value.astimezone(local_zone())


def local_days_since(moment: datetime, now: datetime) -> int:
    """UK calendar days from `moment` to `now`: 0 on the same local date, 1 the day before, whatever the clocks did
    in between."""
    return (to_local(now).date() - to_local(moment).date()).days


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day in UTC; 23 or 25 hours long on clock-change days."""
    zone = local_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_hour_starts(first: datetime, hours: int) -> list[str]:
    """`(first + n hours).astimezone(local zone).isoformat()` for n in range(hours), without a conversion per hour
    (a year of hours takes about a millisecond). `first` is a UTC instant (in another zone, `first + n hours` is
    wall-clock arithmetic, which differs from n elapsed hours across that zone's own clock changes).

    The zone is asked for the offset a day ahead at a time, and a few times more to find the hour it changes, so at
    most one change in any 24 hours is assumed (true of every zone in use). Between changes a string is the local
    date and one of 24 precomputed "HH:MM:SS+01:00" tails."""
    zone = local_zone()
    out: list[str] = []
    done = 0
    while done < hours:
        start = first + timedelta(hours=done)
        local = start.astimezone(zone)
        run = _same_offset_hours(start, hours - done, local.utcoffset(), zone)
        after_hour = local.isoformat()[13:]  # what follows YYYY-MM-DDTHH: minutes, seconds, offset
        tails = [f"{hour:02d}{after_hour}" for hour in range(24)]
        day, hour, left = local.date(), local.hour, run
        while left:
            take = min(24 - hour, left)
            prefix = f"{day.isoformat()}T"
            out.extend([prefix + tail for tail in tails[hour : hour + take]])
            day, hour, left = day + timedelta(days=1), 0, left - take
        done += run
    return out


def _same_offset_hours(start: datetime, limit: int, offset: timedelta | None, zone: ZoneInfo) -> int:
    """How many hours from `start` (at most `limit`) have its offset: probe a day ahead at a time, then bisect."""

    def same(hour: int) -> bool:
        return (start + timedelta(hours=hour)).astimezone(zone).utcoffset() == offset

    known = 0
    while known < limit - 1:
        probe = min(known + 24, limit - 1)
        if same(probe):
            known = probe
            continue
        while probe - known > 1:
            middle = (known + probe) // 2
            known, probe = (middle, probe) if same(middle) else (known, middle)
        return probe
    return limit


def local_midnights(days: Iterable[date]) -> list[str]:
    """The local start of each day as RFC 3339 (2026-10-25T00:00:00+01:00): midnight exists on every UK date (the
    clocks change at 01:00 and 02:00)."""
    zone = local_zone()
    tails: dict[timedelta | None, str] = {}
    out = []
    for day in days:
        midnight = datetime.combine(day, time.min)
        offset = zone.utcoffset(midnight)
        tail = tails.get(offset)
        if tail is None:
            tail = tails[offset] = midnight.replace(tzinfo=zone).isoformat()[10:]
        out.append(day.isoformat() + tail)
    return out


def parse_time_of_day(text: str) -> time:
    """ "07:00" → time(7, 0): a wall-clock time of day as the settings give it (24-hour HH:MM)."""
    hours, sep, minutes = str(text).strip().partition(":")
    if not (sep and len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"{text!r} is not a time of day as HH:MM (24-hour)")
    return time(int(hours), int(minutes))


def _wall_clock_on(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant the wall clock in `zone` reads `at` on `day`: the first of two in the hour the clocks go back;
    in the hour they go forward (which the clock never reads) as many minutes after the change as `at` is into it."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def next_wall_clock(after: datetime, at: time, zone_name: str | None = None) -> datetime:
    """The first instant strictly after `after` at which the wall clock (the local zone, or `zone_name`) reads `at`.

    A day's occurrence is on the local calendar, so across a clock change it is 23 or 25 hours after the one before
    (07:00 GMT on Saturday, 07:00 BST on Sunday: 06:00 UTC)."""
    zone = ZoneInfo(zone_name) if zone_name else local_zone()
    day = after.astimezone(zone).date()
    for offset in range(3):  # today's has passed → tomorrow's (a third day only if a zone skips a whole date)
        candidate = _wall_clock_on(day + timedelta(days=offset), at, zone)
        if candidate > after:
            return candidate
    raise ValueError(f"no {at:%H:%M} after {after.isoformat()} in {zone.key}")  # pragma: no cover


def latest_wall_clock(now: datetime, at: time, zone_name: str | None = None) -> datetime:
    """The latest instant at or before `now` at which the wall clock reads `at` (today's, or yesterday's if today's
    is still to come)."""
    # occurrences are 23 to 25 hours apart: 36 hours before the next one falls after the one before the latest
    return next_wall_clock(next_wall_clock(now, at, zone_name) - timedelta(hours=36), at, zone_name)


class NonexistentLocalTime(ValueError):
    """The wall-clock time is skipped by a clock change (e.g. 01:30 on the last Sunday of March)."""


class AmbiguousLocalTime(ValueError):
    """The wall-clock time happens twice (e.g. 01:30 on the last Sunday of October); fold must be chosen."""


def local_to_utc(naive_local: datetime, fold: int | None = None) -> datetime:
    """Interpret a wall-clock time in the local zone, refusing times that do not exist or are ambiguous.

    fold=None refuses an ambiguous time; 0 picks the first occurrence (BST), 1 the second (GMT).
    """
    zone = local_zone()
    first = naive_local.replace(tzinfo=zone, fold=0)
    second = naive_local.replace(tzinfo=zone, fold=1)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive_local:
        raise NonexistentLocalTime(f"{naive_local:%Y-%m-%d %H:%M} does not exist in {zone.key} (clocks go forward)")
    if first.utcoffset() != second.utcoffset():
        if fold is None:
            raise AmbiguousLocalTime(f"{naive_local:%Y-%m-%d %H:%M} happens twice in {zone.key} (clocks go back)")
        return (first if fold == 0 else second).astimezone(UTC)
    return first.astimezone(UTC)


def _place() -> str:
    key = local_zone().key
    return "the UK" if key == DEFAULT_TIMEZONE else key


def skipped_time_message(naive_local: datetime) -> str:
    """Why a wall-clock time the March change skips is refused (the one wording, for every form)."""
    return (
        f"{naive_local:%H:%M} on {naive_local:%A %d %B %Y} does not exist in {_place()}: the clocks go forward an "
        "hour that night. Choose a time before 01:00 or from 02:00."
    )


def repeated_time_message(naive_local: datetime) -> str:
    """Why a wall-clock time the October change repeats needs a choice."""
    return (
        f"{naive_local:%H:%M} on {naive_local:%A %d %B %Y} happens twice in {_place()}: the clocks go back an hour "
        "that night. Choose which one you mean."
    )


def format_local(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """For templates: a UTC instant shown in local time with its zone abbreviation (once: a `fmt` that prints the
    zone itself with %Z gets nothing added)."""
    if value is None:
        return ""
    local = to_local(value)
    return local.strftime(fmt) if "%Z" in fmt else f"{local.strftime(fmt)} {local.tzname()}"


def format_countdown(seconds: int) -> str:
    """For templates: 'in 1 h 05 min' before a due time, '12 min overdue' after."""
    minutes = abs(seconds) // 60
    text = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    return f"in {text}" if seconds >= 0 else f"{text} overdue"
