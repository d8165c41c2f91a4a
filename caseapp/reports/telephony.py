"""The telephony report: what the phone system offered the helpline in a period beside what was logged, per
Europe/London day and hour of the day, and how quickly missed calls were rung back.

Figures (counts only; no number, caller or call is named):

- offered: every call the phone system offered; answered; missed (voicemail included, and shown on its own);
  ringing: offered calls with no outcome yet;
- answered within 20 s: answered_at - offered_at at most 20 seconds, also as a share of the answered;
- logged: answered calls an advisor saved a call log from, also as a share of the answered;
- abandonment: missed over offered, per hour of the day (0-23, the local hour the call was offered in);
- missed calls by callback: rung back within 1 hour, after 1 to 4 hours, later, never (callback closed without an
  attempt), still waiting (callback open, no attempt yet), number withheld, and no callback booked (a
  do-not-ring-back flag), so that every missed call is on exactly one line (telephony_queries.missed_call_callbacks
  says how a call sharing a callback with others is measured).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from caseapp.reports import telephony_queries as queries
from caseapp.reports.formatting import CsvTable
from caseapp.reports.params import Period
from caseapp.reports.services import iso_local, zone_name

#: an answered call counts as answered promptly when picked up within this many seconds of being offered
ANSWER_TARGET_SECONDS = 20
DAY_COUNTS = ("offered", "answered", "answered_within_20s", "logged", "missed", "voicemail")
HOUR_COUNTS = ("offered", "answered", "missed", "voicemail")
#: the lines of the missed-call callback table, in order, with their labels
CALLBACK_LINES = (
    (queries.WITHIN_1_HOUR, "Rung back within 1 hour"),
    (queries.WITHIN_4_HOURS, "Rung back after 1 to 4 hours"),
    (queries.LATER, "Rung back after more than 4 hours"),
    (queries.NEVER, "Never rung back (callback closed without an attempt)"),
    (queries.WAITING, "Still waiting (callback open, not yet attempted)"),
    (queries.WITHHELD, "Number withheld (no callback possible)"),
    (queries.NO_CALLBACK, "No callback booked (do not ring back)"),
)
CALLBACK_LABELS = dict(CALLBACK_LINES)
#: the same lines, short enough for a chart's axis
CALLBACK_SHORT_LABELS = {
    queries.WITHIN_1_HOUR: "Within 1 hour",
    queries.WITHIN_4_HOURS: "After 1 to 4 hours",
    queries.LATER: "After over 4 hours",
    queries.NEVER: "Never",
    queries.WAITING: "Still waiting",
    queries.WITHHELD: "Number withheld",
    queries.NO_CALLBACK: "No callback booked",
}


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _days_of(period: Period) -> list[date]:
    first, last = period.first_day.toordinal(), period.last_day.toordinal()
    return [date.fromordinal(n) for n in range(first, last + 1)]


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    row["ringing"] = row["offered"] - row["answered"] - row["missed"]
    row["answered_within_20s_share"] = share(row["answered_within_20s"], row["answered"])
    row["logged_share"] = share(row["logged"], row["answered"])
    row["abandonment_rate"] = share(row["missed"], row["offered"])
    return row


def telephony_report(period: Period) -> dict[str, Any]:
    """Three statements: the counts per day, per hour of the day, and the missed calls by callback."""
    by_day = {row.day: row for row in queries.counts_by_day(period, ANSWER_TARGET_SECONDS)}
    days = []
    for day in _days_of(period):
        found = by_day.get(day)
        counts = {
            "offered": found.offered if found else 0,
            "answered": found.answered if found else 0,
            "answered_within_20s": found.answered_within_target if found else 0,
            "logged": found.logged if found else 0,
            "missed": found.missed if found else 0,
            "voicemail": found.voicemail if found else 0,
        }
        days.append({"day": day.isoformat(), **_with_rates(counts)})
    totals = _with_rates({name: sum(row[name] for row in days) for name in DAY_COUNTS})

    by_hour = {row.hour: row for row in queries.counts_by_hour(period)}
    hours = []
    for hour in range(24):
        found = by_hour.get(hour)
        offered, missed = (found.offered, found.missed) if found else (0, 0)
        hours.append(
            {
                "hour": hour,
                "offered": offered,
                "answered": found.answered if found else 0,
                "missed": missed,
                "voicemail": found.voicemail if found else 0,
                "abandonment_rate": share(missed, offered),
            }
        )

    found_callbacks = queries.missed_call_callbacks(period)
    callbacks = [
        {"outcome": key, "label": label, "missed_calls": found_callbacks.get(key, 0)} for key, label in CALLBACK_LINES
    ]
    return {
        "timezone": zone_name(),
        "from": iso_local(period.start),
        "to": iso_local(period.end),
        "answer_target_seconds": ANSWER_TARGET_SECONDS,
        "totals": totals,
        "days": days,
        "hours": hours,
        "callbacks": callbacks,
    }


def telephony_table(report: dict[str, Any], by: str) -> CsvTable:
    """One of the report's tables as CSV: a row per local date (`day`), per hour of the day, or per callback line."""
    if by == "hour":
        return CsvTable(
            name="telephony-hours",
            columns=["hour", *HOUR_COUNTS, "abandonment_rate"],
            rows=report["hours"],
            counts=HOUR_COUNTS,
            derived={"abandonment_rate": ("offered", "missed")},
        )
    if by == "callback":
        return CsvTable(
            name="telephony-callbacks",
            columns=["outcome", "label", "missed_calls"],
            rows=report["callbacks"],
            counts=("missed_calls",),
        )
    return CsvTable(
        name="telephony",
        columns=[
            "day",
            "offered",
            "answered",
            "answered_within_20s",
            "answered_within_20s_share",
            "logged",
            "logged_share",
            "missed",
            "voicemail",
            "ringing",
            "abandonment_rate",
        ],
        rows=report["days"],
        counts=(*DAY_COUNTS, "ringing"),
        derived={
            "answered_within_20s_share": ("answered_within_20s", "answered"),
            "logged_share": ("logged", "answered"),
            "abandonment_rate": ("missed", "offered"),
        },
    )
