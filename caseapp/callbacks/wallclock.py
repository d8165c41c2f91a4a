"""Times as people give them: a date and a time in UK local time (with the October choice), and the caller's
preferred window. Used by the booking and rescheduling pages and by the API's checks alike."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from caseapp.callers.models import Caller
from caseapp.errors import ValidationError
from caseapp.timeutil import (
    AmbiguousLocalTime,
    NonexistentLocalTime,
    local_to_utc,
    repeated_time_message,
    skipped_time_message,
    to_local,
)


def fmt_local(value: datetime) -> str:
    """19:00 GMT: local wall-clock time with its zone, so the October hour is never ambiguous."""
    local = to_local(value)
    return f"{local:%H:%M} {local.tzname()}"


def fold_choices(day: date, at: time) -> list[dict[str, object]]:
    """The two instants a wall-clock time names on the night the clocks go back (for the booking form)."""
    naive = datetime.combine(day, at)
    choices: list[dict[str, object]] = []
    for fold, which in ((0, "the first time (before the clocks go back)"), (1, "the second time (after)")):
        instant = local_to_utc(naive, fold=fold)
        choices.append({"fold": fold, "label": f"{fmt_local(instant)}, {which}", "utc": instant.isoformat()})
    return choices


def local_due_at(day: date, at: time, fold: int | None = None, *, field_prefix: str = "due") -> datetime:
    """A form's date + time (Europe/London) as a UTC instant, refusing what the clocks make unclear.

    A time skipped in March is refused (never silently moved); a time that happens twice in October needs `fold`
    (0 = first, BST; 1 = second, GMT) and the error lists both choices.
    """
    naive = datetime.combine(day, at)
    try:
        return local_to_utc(naive, fold=fold)
    except NonexistentLocalTime as exc:
        message = skipped_time_message(naive)
        raise ValidationError(message, fields={f"{field_prefix}_time": [message]}) from exc
    except AmbiguousLocalTime as exc:
        message = repeated_time_message(naive)
        raise ValidationError(message, fields={"fold": [message]}, choices=fold_choices(day, at)) from exc


def within_preferred_times(caller: Caller, start: datetime, end: datetime) -> bool:
    """Whether [start, end] falls inside the caller's preferred local window (which may cross midnight)."""
    if caller.preferred_from is None or caller.preferred_to is None or caller.preferred_from == caller.preferred_to:
        return True
    lo, hi = caller.preferred_from, caller.preferred_to
    if end - start >= timedelta(days=1):
        return False

    def inside(t: time) -> bool:
        return lo <= t <= hi if lo < hi else (t >= lo or t <= hi)

    local_start, local_end = to_local(start), to_local(end)
    if not (inside(local_start.time()) and inside(local_end.time())):
        return False
    if lo < hi:  # a same-day window must hold the whole span, not just both ends on different days
        return local_start.date() == local_end.date()
    return True
