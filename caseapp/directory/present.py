"""How the directory pages word a service's beds: how many, and how long ago that was confirmed (in UK days)."""

from __future__ import annotations

from datetime import datetime

from caseapp.directory.models import TreatmentService
from caseapp.timeutil import local_days_since, now_utc, to_local


def confirmed_ago(moment: datetime, now: datetime | None = None) -> str:
    """ "confirmed today at 09:15", "confirmed yesterday", "confirmed 3 days ago": calendar days in Europe/London, so
    23:30 last night is "yesterday" at 00:10 today, whatever the clocks did in between."""
    days = local_days_since(moment, now or now_utc())
    if days <= 0:
        return f"confirmed today at {to_local(moment):%H:%M}"
    if days == 1:
        return "confirmed yesterday"
    return f"confirmed {days} days ago"


def beds_text(service: TreatmentService, now: datetime | None = None) -> str:
    """ "2 beds free, confirmed yesterday", "No beds free, …", or "Not known"."""
    if service.beds_available is None or service.beds_confirmed_at is None:
        return "Not known"
    count = service.beds_available
    amount = "No beds free" if count == 0 else f"{count} bed{'s' if count != 1 else ''} free"
    return f"{amount}, {confirmed_ago(service.beds_confirmed_at, now)}"
