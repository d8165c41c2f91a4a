"""CSV cells a spreadsheet would run as a formula are made inert; numbers and other text are written as they are."""

from __future__ import annotations

import pytest

from caseapp.csv_cells import cell


@pytest.mark.parametrize("text", ["=1+1", "+44 20", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_starting_like_a_formula_gets_a_quote(text: str) -> None:
    assert cell(text) == f"'{text}"


@pytest.mark.parametrize(
    ("value", "written"), [("CA-2026-000001", "CA-2026-000001"), (-3, -3), (None, ""), (0.5, "0.5000")]
)
def test_everything_else_is_written_as_it_is(value: object, written: object) -> None:
    assert cell(value) == written
