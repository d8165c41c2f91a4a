"""How long a flag may last: at least 24 hours from when it is raised, at most the admins' maximum (flag_max_days).
An expiry is given as an instant or as a number of hours or days (a day is 24 hours, whatever the clocks do)."""

from __future__ import annotations

from datetime import datetime, timedelta

from caseapp.errors import ValidationError
from caseapp.timeutil import format_local

MIN_HOURS = 24


def earliest(now: datetime) -> datetime:
    return now + timedelta(hours=MIN_HOURS)


def latest(now: datetime, max_days: int) -> datetime:
    return now + timedelta(days=max_days)


def resolve_expiry(
    now: datetime,
    max_days: int,
    *,
    expires_at: datetime | None = None,
    hours: int | None = None,
    days: int | None = None,
    field: str = "expires_at",
) -> datetime:
    """The expiry one of `expires_at`, `hours` or `days` gives, inside the bounds; ValidationError naming `field`
    (or the duration's field) otherwise."""
    given = [
        name for name, value in (("expires_at", expires_at), ("hours", hours), ("days", days)) if value is not None
    ]
    if len(given) != 1:
        message = "Give when the flag ends: a date and time, or a number of hours or days (one of them)."
        raise ValidationError(message, fields={field: [message]})
    if hours is not None:
        chosen, where = now + timedelta(hours=hours), "expires_in_hours"
    elif days is not None:
        chosen, where = now + timedelta(days=days), "expires_in_days"
    else:
        assert expires_at is not None  # noqa: S101 - one of the three is given
        chosen, where = expires_at, field
    if chosen < earliest(now):
        message = f"A flag lasts at least {MIN_HOURS} hours: choose {format_local(earliest(now))} or later."
        raise ValidationError(message, fields={where: [message]})
    if chosen > latest(now, max_days):
        message = (
            f"A flag lasts at most {max_days} days (the limit the admins set): choose "
            f"{format_local(latest(now, max_days))} or earlier."
        )
        raise ValidationError(message, fields={where: [message]}, max_days=max_days)
    return chosen
