"""Any valid answers score within the instrument's range, into exactly one of its bands."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from caseapp.reference import Substance
from caseapp.screenings.instruments import INSTRUMENTS, Instrument
from caseapp.screenings.scoring import bands_for, check_answers, score

instruments = st.sampled_from(list(INSTRUMENTS.values()))


@st.composite
def answered(draw: st.DrawFn) -> tuple[Instrument, dict[str, int], Substance]:
    instrument = draw(instruments)
    answers = {item.id: draw(st.sampled_from([o.value for o in item.options])) for item in instrument.items}
    return instrument, answers, draw(st.sampled_from(list(Substance)))


@given(answered())
def test_score_is_within_range_and_in_one_band(case: tuple[Instrument, dict[str, int], Substance]) -> None:
    instrument, answers, substance = case
    assert check_answers(instrument, answers, complete=True) == {}
    result = score(instrument, answers, substance)
    assert instrument.min_score <= result.score <= instrument.max_score
    matching = [b for b in bands_for(instrument, substance) if b.low <= result.score <= b.high]
    assert matching == [result.band]
