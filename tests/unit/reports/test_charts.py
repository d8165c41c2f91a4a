"""The dashboard's y-axes: whole-number ticks, each label once, for any count (hypothesis draws the maxima)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from caseapp.reports.charts import MAX_INTERVALS, axis_ticks, columns

ROUND_LEADS = {1, 2, 5, 25}  # the step's digits, trailing zeros dropped: 1, 2, 2.5 or 5 x 10^n


def _lead(step: int) -> int:
    while step % 10 == 0:
        step //= 10
    return step


@given(st.one_of(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=10**18)))
@example(0)
@example(1)
@example(2)
@example(3)
@example(5)
@example(7)
@example(13)
@example(1_000_003)
def test_axis_ticks_are_whole_round_distinct_and_cover_the_maximum(highest: int) -> None:
    ticks = axis_ticks(highest)

    assert all(isinstance(tick, int) for tick in ticks)
    assert ticks[0] == 0
    assert ticks[-1] >= highest
    assert 2 <= len(ticks) <= MAX_INTERVALS + 1
    steps = {b - a for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1  # evenly spaced, so strictly increasing
    (step,) = steps
    assert step >= 1
    assert _lead(step) in ROUND_LEADS
    assert ticks[-1] - step < max(highest, 1)  # no empty interval at the top
    labels = [f"{tick:,}" for tick in ticks]
    assert len(set(labels)) == len(labels)


@pytest.mark.parametrize(
    ("highest", "expected"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (3, [0, 1, 2, 3]),
        (5, [0, 1, 2, 3, 4, 5]),
        (7, [0, 2, 4, 6, 8]),
        (13, [0, 5, 10, 15]),
        (1_000_003, [0, 250_000, 500_000, 750_000, 1_000_000, 1_250_000]),
    ],
)
def test_axis_ticks_for_small_and_large_counts(highest: int, expected: list[int]) -> None:
    assert axis_ticks(highest) == expected


@pytest.mark.parametrize("highest", [1, 5])
def test_column_chart_labels_its_axis_with_each_whole_number_once(highest: int) -> None:
    chart = columns(["Mon", "Tue"], [[highest], [0]], ["Calls"], previous=[1, None])

    axis = [label.text for label in chart.labels if label.anchor == "end"]
    assert axis == [str(n) for n in range(highest + 1)]
    assert len(chart.gridlines) == len(axis)
    tallest = max(rect.height for rect in chart.rects)
    assert tallest == pytest.approx(280 - 12 - 36)  # the highest bar reaches the top tick
