"""The pathway suggestion rules, as a table: every band of every instrument and what it suggests."""

from __future__ import annotations

import pytest

from caseapp.reference import Pathway, Substance
from caseapp.screenings.instruments import AUDIT, AUDIT_C, DAST10, INSTRUMENTS, SADQ, SDS, Instrument, InstrumentCode
from caseapp.screenings.scoring import score
from caseapp.screenings.suggestions import RULES, parse_overrides, suggest
from tests.unit.screenings.support import answers_scoring

TABLE = [
    # instrument, total, substance, expected pathway (None: no suggestion)
    (SADQ, 31, None, Pathway.MEDICAL_DETOX),
    (SADQ, 60, None, Pathway.MEDICAL_DETOX),
    (SADQ, 30, None, Pathway.MEDICAL_DETOX),
    (SADQ, 16, None, Pathway.MEDICAL_DETOX),
    (SADQ, 15, None, Pathway.OUTPATIENT),
    (AUDIT, 20, None, Pathway.OUTPATIENT),
    (AUDIT, 19, None, Pathway.OUTPATIENT),
    (AUDIT, 16, None, Pathway.OUTPATIENT),
    (AUDIT, 15, None, Pathway.SIGNPOSTED),
    (AUDIT, 8, None, Pathway.SIGNPOSTED),
    (AUDIT, 7, None, Pathway.NO_FURTHER_ACTION),
    (AUDIT_C, 5, None, None),
    (AUDIT_C, 4, None, None),
    (SDS, 5, Substance.HEROIN, Pathway.OUTPATIENT),
    (SDS, 4, Substance.HEROIN, None),
    (SDS, 7, Substance.BENZODIAZEPINES, Pathway.OUTPATIENT),
    (SDS, 6, Substance.BENZODIAZEPINES, None),
    (SDS, 3, Substance.CANNABIS, Pathway.OUTPATIENT),
    (DAST10, 6, None, Pathway.OUTPATIENT),
    (DAST10, 9, None, Pathway.OUTPATIENT),
    (DAST10, 5, None, Pathway.SIGNPOSTED),
    (DAST10, 3, None, Pathway.SIGNPOSTED),
    (DAST10, 2, None, None),
    (DAST10, 0, None, None),
]


@pytest.mark.parametrize(("instrument", "total", "substance", "pathway"), TABLE)
def test_suggestion_table(
    instrument: Instrument, total: int, substance: Substance | None, pathway: Pathway | None
) -> None:
    band = score(instrument, answers_scoring(instrument, total), substance).band
    suggestion = suggest(instrument.code, band.code)
    assert (suggestion.pathway if suggestion else None) == pathway
    if suggestion:
        assert suggestion.reason


def test_severe_sadq_says_inpatient_and_moderate_says_community_or_inpatient() -> None:
    severe = suggest(InstrumentCode.SADQ, "severe")
    moderate = suggest(InstrumentCode.SADQ, "moderate")
    assert severe is not None
    assert "inpatient" in severe.reason
    assert moderate is not None
    assert "community or as an inpatient" in moderate.reason


def test_every_rule_names_a_band_its_instrument_has() -> None:
    for code, band in RULES:
        assert band in {b.code for b in INSTRUMENTS[code].bands}


def test_an_override_replaces_the_pathway_and_keeps_the_reason() -> None:
    overridden = suggest(InstrumentCode.AUDIT, "possible_dependence", "audit.possible_dependence=medical_detox")
    assert overridden is not None
    assert overridden.pathway == Pathway.MEDICAL_DETOX
    assert overridden.reason == RULES[(InstrumentCode.AUDIT, "possible_dependence")].reason


@pytest.mark.parametrize(
    "text", ["audit=outpatient", "audit.lower_risk=rehab", "nope.x=outpatient", "audit_c.positive=outpatient"]
)
def test_overrides_refuse_what_they_cannot_read(text: str) -> None:
    with pytest.raises(ValueError, match="SCREENING_PATHWAY_OVERRIDES"):
        parse_overrides(text)
