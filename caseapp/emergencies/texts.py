"""What an advisor is told about an emergency alert (on the pages, and as `summary` in the API's answer)."""

from __future__ import annotations

from caseapp.emergencies.models import EmergencyAlert
from caseapp.timeutil import format_local, now_utc, to_local

NOT_YET = "The managers on shift have not been alerted yet."


def describe(alert: EmergencyAlert | None, *, is_new: bool = True) -> str:
    if alert is None:
        return NOT_YET
    today = to_local(alert.raised_at).date() == to_local(now_utc()).date()
    when = format_local(alert.raised_at, "%H:%M" if today else "%a %d %b %H:%M")
    if alert.recipients == 0:
        return f"No manager account could be alerted at {when}. Ring your shift manager now."
    people = "1 manager" if alert.recipients == 1 else f"{alert.recipients} managers"
    if not is_new:
        return f"The managers were already alerted at {when} ({people}); they have not been alerted again."
    return f"Alert sent at {when}: {people} told."
