"""Chart geometry for the dashboard's server-side SVG (templates/reports/_charts.html draws it).

No JavaScript and nothing from a CDN: each chart is a plain <svg role="img"> with a <title> and <desc>, colours come
from classes in app.css (the Content-Security-Policy allows no inline styles), and every chart has an HTML table
with the same numbers under it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

#: series colours (classes .series-0 .. .series-11 in app.css); more keys than this share .series-other, and "none"
#: (not assessed, no caller) is .series-none
PALETTE_SIZE = 12


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    width: int
    height: int
    rects: list[Rect] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    gridlines: list[float] = field(default_factory=list)
    #: the previous period, as a polyline "x,y x,y ..." (empty when there is none)
    line: str = ""
    legend: list[tuple[str, str]] = field(default_factory=list)


#: the most intervals an axis is split into (so at most six labels)
MAX_INTERVALS = 5


def _round_steps() -> Iterator[int]:
    """1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, ...: the whole numbers an axis may count in."""
    yield from (1, 2, 5)
    magnitude = 10
    while True:
        yield from (magnitude, 2 * magnitude, 5 * magnitude // 2, 5 * magnitude)
        magnitude *= 10


def axis_ticks(highest: int) -> list[int]:
    """The y-axis labels for counts up to `highest`: whole numbers from 0, one round step apart (never a fraction,
    so never the same label twice), the last at or just above `highest`; nothing to show still gets [0, 1]."""
    target = max(1, highest)

    def intervals(step: int) -> int:
        return -(-target // step)  # ceiling division, exact for any size of int

    step = next(step for step in _round_steps() if intervals(step) <= MAX_INTERVALS)
    return [step * i for i in range(intervals(step) + 1)]


def series_class(index: int) -> str:
    return f"series-{index}" if index < PALETTE_SIZE else "series-other"


def columns(
    labels: Sequence[str],
    stacks: Sequence[Sequence[int]],
    series_names: Sequence[str],
    previous: Sequence[int | None] = (),
    *,
    width: int = 960,
    height: int = 280,
    label_every: int | None = None,
    series_css: Sequence[str] | None = None,
) -> Chart:
    """Vertical (stacked) bars, one per bucket, with the previous period as a line over them. `series_css`: a class
    per series (default: the palette in order)."""
    css = list(series_css) if series_css is not None else [series_class(i) for i in range(len(series_names))]
    left, right, top, bottom = 48, 8, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(stack) for stack in stacks]
    ticks = axis_ticks(max([*totals, *(p or 0 for p in previous)], default=0))
    highest = ticks[-1]
    chart = Chart(width, height)
    n = max(1, len(labels))
    slot = plot_w / n
    bar = max(1.0, slot * 0.8)
    every = label_every or max(1, math.ceil(n / 12))
    for tick in ticks:
        y = top + plot_h - plot_h * tick / highest
        chart.gridlines.append(round(y, 1))
        chart.labels.append(Label(left - 6, round(y + 4, 1), f"{tick:,}", "end"))
    for index, (label, stack) in enumerate(zip(labels, stacks, strict=True)):
        x = left + index * slot + (slot - bar) / 2
        base = float(top + plot_h)
        for series, value in enumerate(stack):
            if value <= 0:
                continue
            h = plot_h * value / highest
            base -= h
            name = f"{series_names[series]}: " if len(series_names) > 1 else ""
            title = f"{label}: {name}{value:,}"
            chart.rects.append(Rect(round(x, 1), round(base, 1), round(bar, 1), round(h, 1), css[series], title))
        if index % every == 0:
            chart.labels.append(Label(round(x + bar / 2, 1), height - bottom + 16, label))
    points = [
        f"{left + index * slot + slot / 2:.1f},{top + plot_h - plot_h * value / highest:.1f}"
        for index, value in enumerate(previous)
        if value is not None
    ]
    chart.line = " ".join(points)
    if len(series_names) > 1:
        chart.legend = list(zip(css, series_names, strict=True))
    return chart


def bars(
    labels: Sequence[str], values: Sequence[int], *, width: int = 460, row: int = 26, unit: str = "", highest: int = 0
) -> Chart:
    """Horizontal bars, one per label (breakdowns, the funnel); `unit` follows each value ("%"), and `highest` fixes
    the full width (100 for percentages) instead of the largest value."""
    left, right = 170, 70
    height = max(row, row * len(labels)) + 8
    highest = highest or max([*values, 1])
    chart = Chart(width, height)
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + index * row
        w = (width - left - right) * value / highest
        chart.rects.append(Rect(left, y + 3, round(w, 1), row - 8, series_class(0), f"{label}: {value:,}{unit}"))
        chart.labels.append(Label(left - 8, y + row / 2 + 4, label[:26], "end"))
        chart.labels.append(Label(round(left + w + 6, 1), y + row / 2 + 4, f"{value:,}{unit}", "start"))
    return chart


HEAT_LEVELS = 6


def heat(cells: Sequence[Sequence[int]], row_names: Sequence[str], *, cell: int = 34) -> Chart:
    """A weekday x hour grid; darker = more calls (classes .heat-0 .. .heat-5)."""
    left, top = 44, 22
    chart = Chart(left + 24 * cell + 4, top + len(cells) * (cell - 10) + 4)
    highest = max([value for row in cells for value in row] + [1])
    for hour in range(0, 24, 2):
        chart.labels.append(Label(left + hour * cell + cell / 2, 14, f"{hour:02d}"))
    for r, (name, row) in enumerate(zip(row_names, cells, strict=True)):
        y = top + r * (cell - 10)
        chart.labels.append(Label(left - 6, y + (cell - 10) / 2 + 4, name[:3], "end"))
        for hour, value in enumerate(row):
            level = 0 if value == 0 else 1 + min(HEAT_LEVELS - 2, int((HEAT_LEVELS - 1) * value / (highest + 1)))
            chart.rects.append(
                Rect(left + hour * cell, y, cell - 2, cell - 12, f"heat-{level}", f"{name} {hour:02d}:00: {value:,}")
            )
    return chart
