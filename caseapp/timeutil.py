"""The only module that knows about zoneinfo: UTC now, local conversion and local-day bounds."""

from __future__ import annotations

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


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day in UTC; 23 or 25 hours long on clock-change days."""
    zone = local_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


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


def format_local(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """For templates: a UTC instant shown in local time with its zone abbreviation."""
    if value is None:
        return ""
    local = to_local(value)
    return f"{local.strftime(fmt)} {local.tzname()}"


def format_countdown(seconds: int) -> str:
    """For templates: 'in 1 h 05 min' before a due time, '12 min overdue' after."""
    minutes = abs(seconds) // 60
    text = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    return f"in {text}" if seconds >= 0 else f"{text} overdue"
