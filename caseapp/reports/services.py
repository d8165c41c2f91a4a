"""Reports as data: the aggregates from queries.py with empty buckets filled in, keys and rates made presentable.

Read-only. Everything here is counts (and talk time); no report carries a caller, a case or a note. Advisor keys are
staff ids; names are added by the dashboard page only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from itertools import repeat
from typing import Any

from caseapp.reference import Channel, Direction, Labelled, Pathway, Relationship, RiskLevel, Substance
from caseapp.reports import queries
from caseapp.reports.formatting import CsvTable
from caseapp.reports.params import Bucket, Dimension, Filters, Period, bucket_start, bucket_starts
from caseapp.timeutil import local_day_bounds, local_zone, now_utc, to_local

#: the enum each dimension's keys come from (advisor keys are user ids)
DIMENSION_ENUMS: dict[Dimension, type[Labelled]] = {
    Dimension.SUBSTANCE: Substance,
    Dimension.PATHWAY: Pathway,
    Dimension.RISK: RiskLevel,
    Dimension.CHANNEL: Channel,
    Dimension.RELATIONSHIP: Relationship,
    Dimension.DIRECTION: Direction,
}
DIMENSION_TITLES = {
    Dimension.SUBSTANCE: "Primary substance",
    Dimension.PATHWAY: "Recommended pathway",
    Dimension.RISK: "Risk level",
    Dimension.CHANNEL: "Channel",
    Dimension.ADVISOR: "Advisor",
    Dimension.RELATIONSHIP: "Caller's relationship",
    Dimension.DIRECTION: "Direction",
}
#: what a null key means, per dimension
NO_KEY_LABELS = {
    Dimension.SUBSTANCE: "Not assessed",
    Dimension.PATHWAY: "Not assessed",
    Dimension.RISK: "Not assessed",
    Dimension.RELATIONSHIP: "No caller recorded",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FUNNEL_STEPS = (
    ("first_calls", "First calls (new cases)"),
    ("assessed", "Assessed"),
    ("referred", "Referred"),
    ("admitted", "Admitted"),
)


def zone_name() -> str:
    return local_zone().key


def iso_local(moment: datetime) -> str:
    return to_local(moment).isoformat()


def key_value(key: Any) -> Any:
    """A key as JSON: an enum's stored value, an advisor id, or None."""
    return key.value if isinstance(key, Enum) else key


def key_label(dimension: Dimension | None, key: Any) -> str:
    """A human label for a key, without personal data (advisors stay ids here)."""
    if dimension is None:
        return "All calls"
    if key is None:
        return NO_KEY_LABELS.get(dimension, "None")
    if isinstance(key, Labelled):
        return key.label
    enum = DIMENSION_ENUMS.get(dimension)
    if enum is not None:
        return enum(key).label
    return f"Advisor {key}"


def _ordered_keys(dimension: Dimension | None, keys: Iterable[Any]) -> list[Any]:
    """Keys in the reference list's order (ids ascending), None last."""
    present = set(keys)
    if dimension is None:
        return [None]
    enum = DIMENSION_ENUMS.get(dimension)
    ordered = [m for m in enum if m in present] if enum is not None else sorted(k for k in present if k is not None)
    return ordered + ([None] if None in present else [])


def _normalise_bucket(value: Any) -> datetime | date:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# --- volume over time ------------------------------------------------------------------------------------------------


@dataclass
class VolumeSeries:
    """A period's calls per bucket: for each key with calls, one count per bucket of the period, in order."""

    period: Period
    bucket: Bucket
    counts: dict[Any, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, period: Period, bucket: Bucket, dimension: Dimension | None, filters: Filters) -> VolumeSeries:
        counts: dict[Any, list[int]] = {}
        rows = queries.volume(period, bucket, dimension, filters)
        if bucket == Bucket.HOUR:  # keys are whole UTC hours since the epoch: the column is a look-up per hour
            first = int(period.first_hour.timestamp()) // 3600
            hours = range(first, first + period.hours)
            by_key: dict[Any, dict[int, int]] = {}
            if dimension is None:
                if rows:
                    by_key[None] = dict(rows)  # type: ignore[arg-type]
            else:
                for value, calls, key in rows:
                    by_key.setdefault(key, {})[value] = calls
            for key, found in by_key.items():
                # in C, not a Python step per hour: a year of hours with the year before is 17,520 of them
                counts[key] = list(map(found.get, hours, repeat(0)))
            return cls(period, bucket, counts)
        positions = {day: index for index, day in enumerate(period.buckets(bucket))}
        for value, calls, *split in rows:
            key = split[0] if split else None
            column = counts.get(key)
            if column is None:
                column = counts[key] = [0] * len(positions)
            index = positions.get(value)
            if index is None:
                index = positions.get(_normalise_bucket(value))
            if index is not None:
                column[index] = calls
        return cls(period, bucket, counts)

    def keys(self) -> set[Any]:
        return set(self.counts)

    def calls(self, key: Any, index: int) -> int:
        column = self.counts.get(key)
        return column[index] if column is not None else 0

    def rows(self, keys: list[Any]) -> list[dict[str, Any]]:
        """One row per bucket and key (keys in the order given), empty ones with 0."""
        starts = bucket_starts(self.period, self.bucket)
        zeros = [0] * len(starts)
        columns = [(key_value(key), self.counts.get(key, zeros)) for key in keys]
        if len(columns) == 1:
            shown, calls = columns[0]
            return [{"start": start, "key": shown, "calls": n} for start, n in zip(starts, calls, strict=True)]
        return [
            {"start": start, "key": shown, "calls": calls[index]}
            for index, start in enumerate(starts)
            for shown, calls in columns
        ]


@dataclass
class VolumeReport:
    period: Period
    bucket: Bucket
    dimension: Dimension | None
    filters: Filters
    current: VolumeSeries
    previous: VolumeSeries | None
    keys: list[Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "timezone": zone_name(),
            "bucket": self.bucket.value,
            "by": self.dimension.value if self.dimension else None,
            "from": iso_local(self.period.start),
            "to": iso_local(self.period.end),
            "rows": self.current.rows(self.keys),
            "previous": None
            if self.previous is None
            else {
                "from": iso_local(self.previous.period.start),
                "to": iso_local(self.previous.period.end),
                "rows": self.previous.rows(self.keys),
            },
        }

    def totals(self) -> list[dict[str, Any]]:
        """Per bucket (aligned with the previous period's bucket at the same position): for charts and tables."""
        current = list(self.current.period.buckets(self.bucket))
        previous = list(self.previous.period.buckets(self.bucket)) if self.previous else []
        out = []
        for index, value in enumerate(current):
            before = previous[index] if index < len(previous) else None
            by_key = {key: self.current.calls(key, index) for key in self.keys}
            out.append(
                {
                    "start": bucket_start(value),
                    "by_key": by_key,
                    "calls": sum(by_key.values()),
                    "previous_start": bucket_start(before) if before is not None else None,
                    "previous": sum(self.previous.calls(key, index) for key in self.keys)
                    if self.previous is not None and before is not None
                    else None,
                }
            )
        return out


def volume(
    period: Period, bucket: Bucket, dimension: Dimension | None, filters: Filters, *, with_previous: bool = True
) -> VolumeReport:
    current = VolumeSeries.load(period, bucket, dimension, filters)
    previous = VolumeSeries.load(period.previous(), bucket, dimension, filters) if with_previous else None
    found = current.keys() | (previous.keys() if previous else set())
    keys = _ordered_keys(dimension, found) if dimension is not None else [None]
    return VolumeReport(period, bucket, dimension, filters, current, previous, keys)


# --- hour-of-week heatmap -------------------------------------------------------------------------------------------


def heatmap(period: Period, filters: Filters) -> dict[str, Any]:
    """Calls per (weekday, local hour): all 168 cells, Monday 00:00 first. Wall-clock hours: the repeated 01:00 of
    the October change is one cell, the skipped 01:00 of March has none."""
    counts = {(weekday, hour): calls for weekday, hour, calls in queries.heatmap(period, filters)}
    rows = [
        {"weekday": weekday, "hour": hour, "calls": counts.get((weekday, hour), 0)}
        for weekday in range(1, 8)
        for hour in range(24)
    ]
    return {"timezone": zone_name(), "from": iso_local(period.start), "to": iso_local(period.end), "rows": rows}


# --- breakdowns -----------------------------------------------------------------------------------------------------


def breakdown(period: Period, dimension: Dimension, filters: Filters) -> dict[str, Any]:
    """Calls and talk time per key, most calls first; for advisors also the assessments they completed."""
    rows: list[dict[str, Any]] = [
        {"key": key_value(r.key), "calls": r.calls, "talk_seconds": r.talk_seconds}
        for r in queries.breakdown(period, dimension, filters)
    ]
    if dimension == Dimension.ADVISOR:
        completed = queries.assessments_completed(period, filters)
        for row in rows:
            row["assessments"] = completed.pop(row["key"], 0)
        rows.extend(
            {"key": advisor, "calls": 0, "talk_seconds": 0, "assessments": n}
            for advisor, n in sorted(completed.items())
        )
    return {
        "timezone": zone_name(),
        "from": iso_local(period.start),
        "to": iso_local(period.end),
        "by": dimension.value,
        "rows": rows,
    }


# --- funnel ---------------------------------------------------------------------------------------------------------


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def funnel(period: Period, filters: Filters) -> dict[str, Any]:
    counts = queries.funnel(period, filters)
    values = [counts.first_calls, counts.assessed, counts.referred, counts.admitted]
    steps = []
    for index, ((step, label), cases) in enumerate(zip(FUNNEL_STEPS, values, strict=True)):
        steps.append(
            {
                "step": step,
                "label": label,
                "cases": cases,
                "conversion": rate(cases, values[index - 1]) if index else None,
                "of_first_calls": rate(cases, values[0]),
            }
        )
    return {"timezone": zone_name(), "from": iso_local(period.start), "to": iso_local(period.end), "steps": steps}


# --- today ----------------------------------------------------------------------------------------------------------


def today(now: datetime | None = None) -> dict[str, Any]:
    """The live strip: calls so far today, staff on shift now, callbacks due in the next hour and overdue now."""
    now = now or now_utc()
    day = to_local(now).date()
    start, _ = local_day_bounds(day)
    counts = queries.today_counts(start, now)
    return {
        "timezone": zone_name(),
        "date": day.isoformat(),
        "as_of": iso_local(now),
        "calls": counts.calls,
        "on_shift": counts.on_shift,
        "callbacks_due_next_hour": counts.callbacks_due_next_hour,
        "callbacks_overdue": counts.callbacks_overdue,
    }


# --- callbacks: timeliness -------------------------------------------------------------------------------------------

CALLBACK_GROUPS = ("advisor", "day")


def callback_json(row: queries.CallbackRow) -> dict[str, Any]:
    """A callbacks report row's counts, rate and lateness as the API sends them."""
    return {
        "booked": row.booked,
        "completed_on_time": row.completed_on_time,
        "completed_late": row.completed_late,
        "missed": row.missed,
        "unreachable": row.unreachable,
        "cancelled": row.cancelled,
        "open": row.still_open,
        "on_time_rate": rate(row.completed_on_time, row.completed_on_time + row.completed_late),
        "lateness_median_seconds": row.lateness_median,
        "lateness_p90_seconds": row.lateness_p90,
    }


def callbacks(period: Period, filters: Filters) -> dict[str, Any]:
    """Callbacks due in the period: booked, completed on time or late (median and 90th percentile lateness),
    missed, unreachable; in total, by advisor (assignee; null = the pool) and by local day (every day present)."""
    empty = queries.CallbackRow(None, 0, 0, 0, 0, 0, 0, 0)
    groups = queries.callback_timeliness_groups(period, filters)
    total = groups.total if groups.total is not None and groups.total.booked else empty
    by_advisor = sorted(groups.by_advisor, key=lambda r: (r.key is None, r.key or 0))
    days = {_normalise_bucket(r.key): r for r in groups.by_day}
    return {
        "timezone": zone_name(),
        "from": iso_local(period.start),
        "to": iso_local(period.end),
        "totals": callback_json(total),
        "by_advisor": [{"key": r.key, **callback_json(r)} for r in by_advisor],
        "by_day": [
            {"key": day.isoformat(), **callback_json(days.get(day, empty))}
            for day in period.buckets(Bucket.DAY)
            if isinstance(day, date)
        ],
    }


# --- the tables as CSV -------------------------------------------------------------------------------------------


def volume_table(report: VolumeReport) -> CsvTable:
    def rows() -> Iterator[dict[str, Any]]:
        for name, series in (("current", report.current), ("previous", report.previous)):
            if series is None:
                continue
            for row in series.rows(report.keys):
                yield {"period": name, **row, "label": key_label(report.dimension, row["key"])}

    return CsvTable("volume", ("period", "start", "key", "label", "calls"), rows(), counts=("calls",))


def heatmap_table(report: dict[str, Any]) -> CsvTable:
    rows = ({**row, "weekday_name": WEEKDAYS[row["weekday"] - 1]} for row in report["rows"])
    return CsvTable("heatmap", ("weekday", "weekday_name", "hour", "calls"), rows, counts=("calls",))


def breakdown_table(report: dict[str, Any]) -> CsvTable:
    dimension = Dimension(report["by"])
    columns = ["key", "label", "calls", "talk_seconds"]
    counts = ["calls"]
    if dimension == Dimension.ADVISOR:
        columns.append("assessments")
        counts.append("assessments")
    rows = ({**row, "label": key_label(dimension, row["key"])} for row in report["rows"])
    return CsvTable(f"by-{dimension.value}", columns, rows, counts=counts, derived={"talk_seconds": ("calls",)})


def funnel_table(report: dict[str, Any]) -> CsvTable:
    def rows() -> Iterator[dict[str, Any]]:
        previous = None
        first = report["steps"][0]["cases"] if report["steps"] else 0
        for step in report["steps"]:
            # the rates are worked from this step's count and the step before's (or the first): carry both
            yield {**step, "_before": previous if previous is not None else step["cases"], "_first": first}
            previous = step["cases"]

    return CsvTable(
        "funnel",
        ("step", "label", "cases", "conversion", "of_first_calls"),
        rows(),
        counts=("cases", "_before", "_first"),
        derived={"conversion": ("cases", "_before"), "of_first_calls": ("cases", "_first")},
    )


CALLBACK_COLUMNS = (
    "booked",
    "completed_on_time",
    "completed_late",
    "missed",
    "unreachable",
    "cancelled",
    "open",
    "on_time_rate",
    "lateness_median_seconds",
    "lateness_p90_seconds",
)


def callbacks_table(report: dict[str, Any], group: str) -> CsvTable:
    rows = report["by_day"] if group == "day" else report["by_advisor"]
    return CsvTable(
        f"callbacks-by-{group}",
        ("key", *CALLBACK_COLUMNS),
        rows,
        counts=CALLBACK_COLUMNS[:7],
        derived={
            "on_time_rate": ("completed_on_time", "completed_late"),
            "lateness_median_seconds": ("completed_late",),
            "lateness_p90_seconds": ("completed_late",),
        },
    )
