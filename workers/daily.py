"""A beat schedule for "every day at 07:00 UK time", whatever the clocks do.

Beat keeps UTC (`timezone = UTC`): the interval scans must not skip or repeat an hour when the clocks change, and
Celery compares times in its own zone. A crontab would then fire at 07:00 UTC, which is 08:00 in summer; this
schedule asks caseapp.timeutil for the next time the local wall clock reads `at`, so on the last Sunday of March it
fires 23 hours after Saturday's run (06:00 UTC) and on the last Sunday of October 25 hours after (07:00 UTC).

RedBeat stores schedules in Redis as JSON it knows (intervals, crontabs, rrules); workers/beat.py teaches it this one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from celery.schedules import BaseSchedule, schedstate

from caseapp.timeutil import next_wall_clock, parse_time_of_day


class DailyAt(BaseSchedule):
    """Due once a day when the wall clock in `zone` reads `at` ("HH:MM")."""

    #: how workers/beat.py names it in RedBeat's JSON
    JSON_TYPE = "caseapp_daily_at"

    def __init__(self, at: str, zone: str, nowfun: Any = None, app: Any = None) -> None:
        super().__init__(nowfun=nowfun, app=app)
        self.at = str(at)
        self.time = parse_time_of_day(self.at)  # ValueError for anything but HH:MM
        self.zone = str(zone)
        next_wall_clock(
            datetime(2026, 1, 1, tzinfo=UTC), self.time, self.zone
        )  # an unknown zone fails here, not in beat

    def next_after(self, moment: datetime) -> datetime:
        """The first run strictly after `moment` (UTC)."""
        return next_wall_clock(self.maybe_make_aware(moment), self.time, self.zone)

    def remaining_estimate(self, last_run_at: datetime) -> timedelta:
        return self.next_after(last_run_at) - self.maybe_make_aware(self.now())

    def is_due(self, last_run_at: datetime) -> schedstate:
        """Due when the first run after the last one has come (once, however long beat was away); then the seconds to
        the next check: to the next run."""
        now = self.maybe_make_aware(self.now())
        upcoming = self.next_after(last_run_at)
        if upcoming <= now:
            return schedstate(True, (self.next_after(now) - now).total_seconds())
        return schedstate(False, (upcoming - now).total_seconds())

    def __reduce__(self) -> tuple[type, tuple[str, str]]:  # the embedded beat keeps its schedule in a shelve (pickle)
        return self.__class__, (self.at, self.zone)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DailyAt):
            return (self.time, self.zone) == (other.time, other.zone)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.time, self.zone))

    def __repr__(self) -> str:
        return f"<daily at {self.at} {self.zone}>"
