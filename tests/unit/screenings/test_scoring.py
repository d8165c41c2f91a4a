"""Every instrument's scoring against hand-worked examples: band edges, all answers at their lowest and highest,
the reverse-scored DAST-10 item 3, and SDS cut-offs per substance."""

from __future__ import annotations

import pytest

from caseapp.reference import Substance
from caseapp.screenings.instruments import AUDIT, AUDIT_C, DAST10, INSTRUMENTS, SADQ, SDS, Instrument, parse_cutoffs
from caseapp.screenings.scoring import ANSWER_THIS, check_answers, score
from tests.unit.screenings.support import answers_scoring


def _lowest(instrument: Instrument) -> dict[str, int]:
    return {i.id: min(i.options, key=lambda o: o.score).value for i in instrument.items}


def _highest(instrument: Instrument) -> dict[str, int]:
    return {i.id: max(i.options, key=lambda o: o.score).value for i in instrument.items}


@pytest.mark.parametrize(
    ("instrument", "lowest", "highest"),
    [(AUDIT_C, 0, 12), (AUDIT, 0, 40), (SDS, 0, 15), (DAST10, 0, 10), (SADQ, 0, 60)],
)
def test_all_answers_at_their_lowest_and_highest_give_the_ends_of_the_range(
    instrument: Instrument, lowest: int, highest: int
) -> None:
    assert score(instrument, _lowest(instrument), Substance.CANNABIS).score == lowest
    assert score(instrument, _highest(instrument), Substance.CANNABIS).score == highest
    assert (instrument.min_score, instrument.max_score) == (lowest, highest)


def test_audit_hand_worked_example() -> None:
    # weekly drinking (3), 7-9 units (3), 8+ units monthly (2), never unable to stop (0), failed expectations less
    # than monthly (1), no morning drink (0), guilt monthly (2), blackout less than monthly (1), injury not in the
    # last year (value 1: scores 2), someone concerned this year (value 2: scores 4) -> 3+3+2+0+1+0+2+1+2+4 = 18
    answers = {"q1": 3, "q2": 3, "q3": 2, "q4": 0, "q5": 1, "q6": 0, "q7": 2, "q8": 1, "q9": 1, "q10": 2}
    result = score(AUDIT, answers)
    assert result.score == 18
    assert result.band.code == "higher_risk"
    assert result.band.label == "Higher risk"


def test_audit_questions_9_and_10_score_0_2_4() -> None:
    assert [o.score for o in AUDIT.item("q9").options] == [0, 2, 4]  # type: ignore[union-attr]
    assert [o.score for o in AUDIT.item("q10").options] == [0, 2, 4]  # type: ignore[union-attr]
    assert all([o.score for o in AUDIT.item(f"q{n}").options] == [0, 1, 2, 3, 4] for n in range(1, 9))  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "lower_risk"),
        (7, "lower_risk"),
        (8, "increasing_risk"),
        (15, "increasing_risk"),
        (16, "higher_risk"),
        (19, "higher_risk"),
        (20, "possible_dependence"),
        (40, "possible_dependence"),
    ],
)
def test_audit_band_edges(total: int, band: str) -> None:
    result = score(AUDIT, answers_scoring(AUDIT, total))
    assert (result.score, result.band.code) == (total, band)


@pytest.mark.parametrize(("total", "band"), [(0, "lower_risk"), (4, "lower_risk"), (5, "positive"), (12, "positive")])
def test_audit_c_is_positive_from_5_uk_threshold(total: int, band: str) -> None:
    result = score(AUDIT_C, answers_scoring(AUDIT_C, total))
    assert (result.score, result.band.code) == (total, band)


def test_audit_c_is_the_first_three_audit_questions() -> None:
    assert AUDIT_C.items == AUDIT.items[:3]
    assert AUDIT_C.follow_up is not None
    assert AUDIT_C.follow_up[0] == AUDIT.code


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "mild"), (15, "mild"), (16, "moderate"), (30, "moderate"), (31, "severe"), (60, "severe")],
)
def test_sadq_band_edges(total: int, band: str) -> None:
    result = score(SADQ, answers_scoring(SADQ, total))
    assert (result.score, result.band.code) == (total, band)


def test_sadq_hand_worked_example() -> None:
    # sometimes (1) for the four physical items, often (2) for the rest of the first twelve, nearly always (3) for
    # the first two quantity items, almost never (0) for the other two, often (2) for the four reinstatement items
    answers = {f"q{n}": 1 for n in range(1, 5)} | {f"q{n}": 2 for n in range(5, 13)}
    answers |= {"q13": 3, "q14": 3, "q15": 0, "q16": 0} | {f"q{n}": 2 for n in range(17, 21)}
    result = score(SADQ, answers)
    assert result.score == 4 + 16 + 6 + 8 == 34
    assert result.band.label == "Severe dependence"


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"),
        (1, "low"),
        (2, "low"),
        (3, "moderate"),
        (5, "moderate"),
        (6, "substantial"),
        (8, "substantial"),
        (9, "severe"),
        (10, "severe"),
    ],
)
def test_dast10_band_edges(total: int, band: str) -> None:
    result = score(DAST10, answers_scoring(DAST10, total))
    assert (result.score, result.band.code) == (total, band)


def test_dast10_item_3_is_reverse_scored() -> None:
    no, yes = 0, 1
    everything_no = dict.fromkeys((i.id for i in DAST10.items), no)
    # "No" to "are you always able to stop?" is the only point
    assert score(DAST10, everything_no).score == 1
    assert score(DAST10, everything_no | {"q3": yes}).score == 0
    everything_yes = dict.fromkeys((i.id for i in DAST10.items), yes)
    assert score(DAST10, everything_yes).score == 9
    assert score(DAST10, everything_yes | {"q3": no}).score == 10
    reversed_items = [i.id for i in DAST10.items if i.option(yes).score == 0]  # type: ignore[union-attr]
    assert reversed_items == ["q3"]


@pytest.mark.parametrize(
    ("substance", "cutoff"),
    [
        (Substance.CANNABIS, 3),
        (Substance.COCAINE, 3),
        (Substance.CRACK_COCAINE, 3),
        (Substance.AMPHETAMINES, 4),
        (Substance.HEROIN, 5),
        (Substance.PRESCRIPTION_OPIOIDS, 5),
        (Substance.BENZODIAZEPINES, 7),
        (Substance.KETAMINE, 3),  # no validated cut-off: the default
    ],
)
def test_sds_cutoff_per_substance(substance: Substance, cutoff: int) -> None:
    below = score(SDS, answers_scoring(SDS, cutoff - 1), substance)
    at = score(SDS, answers_scoring(SDS, cutoff), substance)
    assert (below.score, below.band.code) == (cutoff - 1, "below_cutoff")
    assert (at.score, at.band.code) == (cutoff, "dependence")


def test_sds_cutoff_can_be_overridden_by_setting() -> None:
    overrides = parse_cutoffs("cannabis=4, ketamine=5")
    assert score(SDS, answers_scoring(SDS, 3), Substance.CANNABIS, overrides).band.code == "below_cutoff"
    assert score(SDS, answers_scoring(SDS, 4), Substance.CANNABIS, overrides).band.code == "dependence"
    assert score(SDS, answers_scoring(SDS, 4), Substance.KETAMINE, overrides).band.code == "below_cutoff"


@pytest.mark.parametrize("text", ["cannabis", "cannabis=x", "tea=3", "cannabis=0", "cannabis=16"])
def test_sds_cutoff_setting_refuses_what_it_cannot_read(text: str) -> None:
    with pytest.raises(ValueError, match="SCREENING_SDS_CUTOFFS"):
        parse_cutoffs(text)


def test_check_answers_names_the_missing_unknown_and_invalid_items() -> None:
    errors = check_answers(AUDIT_C, {"q1": 2, "q2": 9, "q4": 1}, complete=True)
    assert errors == {
        "answers.q2": ["Choose one of the answers: 0 (0 to 2), 1 (3 to 4), 2 (5 to 6), 3 (7 to 9), 4 (10 or more)."],
        "answers.q4": ["AUDIT-C has no question q4."],
        "answers.q3": [ANSWER_THIS],
    }


@pytest.mark.parametrize("value", ["2", 2.0, True, None, [1]])
def test_check_answers_takes_whole_numbers_only(value: object) -> None:
    errors = check_answers(AUDIT_C, {"q1": 0, "q2": 0, "q3": value}, complete=True)
    assert list(errors) == ["answers.q3"]


def test_a_draft_may_leave_items_unanswered_but_not_answer_them_wrongly() -> None:
    assert check_answers(SADQ, {"q1": 3}, complete=False) == {}
    assert list(check_answers(SADQ, {"q1": 4}, complete=False)) == ["answers.q1"]


def test_every_item_id_is_unique_and_every_option_value_is_its_position() -> None:
    for instrument in INSTRUMENTS.values():
        ids = [i.id for i in instrument.items]
        assert len(ids) == len(set(ids)) == len(instrument.items)
        for item in instrument.items:
            assert [o.value for o in item.options] == list(range(len(item.options)))
        # bands cover the range without gaps or overlaps
        edges = [(b.low, b.high) for b in instrument.bands]
        assert edges[0][0] == instrument.min_score
        assert edges[-1][1] == instrument.max_score
        assert all(a[1] + 1 == b[0] for a, b in zip(edges, edges[1:], strict=False))
