"""Answers that add up to a chosen total, for the band-edge tables."""

from __future__ import annotations

from caseapp.screenings.instruments import Instrument


def answers_scoring(instrument: Instrument, total: int) -> dict[str, int]:
    """Each item takes the highest-scoring option that still fits what is left of `total` (every total the
    instruments allow can be made this way: each has items scoring 1 or 0/1/2/3/4)."""
    answers: dict[str, int] = {}
    left = total
    for item in instrument.items:
        option = max((o for o in item.options if o.score <= left), key=lambda o: o.score)
        answers[item.id] = option.value
        left -= option.score
    assert left == 0, f"{instrument.code}: {total} cannot be made"
    return answers
