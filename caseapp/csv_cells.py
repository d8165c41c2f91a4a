"""Cells for CSV files people open in spreadsheets: text that a spreadsheet would run as a formula is made inert.

A cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip before reading one) is
prefixed with a single quote, as OWASP's CSV-injection guidance advises; numbers are written as numbers."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> Any:
    """A value for csv.writer: None as empty, floats to 4 places, text made safe, anything else as it is."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, str):
        return text_cell(value)
    return value
