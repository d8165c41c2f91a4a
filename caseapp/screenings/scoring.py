"""Checking a screening's answers against its instrument, and scoring them into a band."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caseapp.reference import Substance
from caseapp.screenings.instruments import Band, Instrument, sds_bands, sds_cutoff

ANSWER_THIS = "Answer this question."


@dataclass(frozen=True)
class Result:
    score: int
    band: Band


def check_answers(instrument: Instrument, answers: dict[str, Any], *, complete: bool) -> dict[str, list[str]]:
    """Field errors keyed "answers.<item id>": unknown items, values that are not one of the item's options, and
    (when `complete`) items left unanswered."""
    errors: dict[str, list[str]] = {}
    for item_id, value in answers.items():
        item = instrument.item(str(item_id))
        if item is None:
            errors[f"answers.{item_id}"] = [f"{instrument.code.label} has no question {item_id}."]
        elif value is None:
            continue
        elif isinstance(value, bool) or not isinstance(value, int) or item.option(value) is None:
            allowed = ", ".join(f"{o.value} ({o.label})" for o in item.options)
            errors[f"answers.{item_id}"] = [f"Choose one of the answers: {allowed}."]
    if complete:
        for item in instrument.items:
            if answers.get(item.id) is None and f"answers.{item.id}" not in errors:
                errors[f"answers.{item.id}"] = [ANSWER_THIS]
    return errors


def bands_for(
    instrument: Instrument, substance: Substance | None, cutoffs: dict[str, int] | None = None
) -> tuple[Band, ...]:
    if instrument.needs_substance and substance is not None:
        return sds_bands(sds_cutoff(substance, cutoffs))
    return instrument.bands


def score(
    instrument: Instrument,
    answers: dict[str, int],
    substance: Substance | None = None,
    cutoffs: dict[str, int] | None = None,
) -> Result:
    """The total and its band; `answers` must be complete and valid (check_answers finds nothing)."""
    total = 0
    for item in instrument.items:
        option = item.option(answers[item.id])
        if option is None:
            raise ValueError(f"{item.id}: not an option")
        total += option.score
    band = next(b for b in bands_for(instrument, substance, cutoffs) if b.low <= total <= b.high)
    return Result(total, band)
