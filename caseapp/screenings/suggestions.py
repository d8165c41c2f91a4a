"""Which pathway a screening's band suggests, and why: every rule in one table, for clinical review in one place.

A suggestion is advice to the advisor, never a decision: the assessment records the pathway chosen. Pathways are
caseapp.reference.Pathway. SCREENING_PATHWAY_OVERRIDES may replace a rule's pathway: "instrument.band=pathway"
pairs separated by commas (e.g. "audit.possible_dependence=medical_detox").
"""

from __future__ import annotations

from dataclasses import dataclass

from caseapp.reference import Pathway
from caseapp.screenings.instruments import InstrumentCode


@dataclass(frozen=True)
class Suggestion:
    pathway: Pathway
    reason: str


#: (instrument, band) -> suggestion; a band not listed suggests nothing (AUDIT-C offers the full AUDIT instead)
RULES: dict[tuple[InstrumentCode, str], Suggestion] = {
    # SADQ (Stockwell et al. 1983; NICE CG115 1.3.1): the severity of dependence decides the setting of withdrawal
    (InstrumentCode.SADQ, "severe"): Suggestion(
        Pathway.MEDICAL_DETOX,
        "SADQ 31 or more (severe dependence): medically managed (inpatient) withdrawal.",
    ),
    (InstrumentCode.SADQ, "moderate"): Suggestion(
        Pathway.MEDICAL_DETOX,
        "SADQ 16 to 30 (moderate dependence): medically assisted withdrawal, in the community or as an inpatient "
        "depending on other risks.",
    ),
    (InstrumentCode.SADQ, "mild"): Suggestion(
        Pathway.OUTPATIENT,
        "SADQ below 16 (mild dependence): community support; assisted withdrawal is not usually needed.",
    ),
    # AUDIT zones (WHO 2001; DHSC/OHID UK AUDIT 2020)
    (InstrumentCode.AUDIT, "possible_dependence"): Suggestion(
        Pathway.OUTPATIENT,
        "AUDIT 20 or more (possible dependence): refer for specialist assessment; a SADQ gauges withdrawal risk.",
    ),
    (InstrumentCode.AUDIT, "higher_risk"): Suggestion(
        Pathway.OUTPATIENT,
        "AUDIT 16 to 19 (higher risk): brief intervention with continued monitoring.",
    ),
    (InstrumentCode.AUDIT, "increasing_risk"): Suggestion(
        Pathway.SIGNPOSTED,
        "AUDIT 8 to 15 (increasing risk): simple brief advice.",
    ),
    (InstrumentCode.AUDIT, "lower_risk"): Suggestion(
        Pathway.NO_FURTHER_ACTION,
        "AUDIT 0 to 7 (lower risk): no alcohol intervention needed.",
    ),
    # SDS cut-offs per substance (instruments.SDS_CUTOFFS)
    (InstrumentCode.SDS, "dependence"): Suggestion(
        Pathway.OUTPATIENT,
        "SDS at or above the cut-off for this substance (dependence likely): refer to specialist drug treatment.",
    ),
    # DAST-10 bands (Skinner 1982)
    (InstrumentCode.DAST10, "severe"): Suggestion(
        Pathway.OUTPATIENT,
        "DAST-10 9 or 10 (severe level): specialist assessment, intensive treatment likely.",
    ),
    (InstrumentCode.DAST10, "substantial"): Suggestion(
        Pathway.OUTPATIENT,
        "DAST-10 6 to 8 (substantial level): specialist assessment.",
    ),
    (InstrumentCode.DAST10, "moderate"): Suggestion(
        Pathway.SIGNPOSTED,
        "DAST-10 3 to 5 (moderate level): brief intervention and follow-up.",
    ),
}


def parse_overrides(text: str) -> dict[tuple[InstrumentCode, str], Pathway]:
    """ "audit.possible_dependence=medical_detox, ..." -> {(AUDIT, "possible_dependence"): MEDICAL_DETOX}; raises
    ValueError naming the pair that is wrong (config.validate() refuses such a setting)."""
    out: dict[tuple[InstrumentCode, str], Pathway] = {}
    for pair in (p.strip() for p in text.split(",")):
        if not pair:
            continue
        key, _, pathway = pair.partition("=")
        instrument, _, band = key.strip().partition(".")
        try:
            code, chosen = InstrumentCode(instrument), Pathway(pathway.strip())
        except ValueError as exc:
            raise ValueError(f"SCREENING_PATHWAY_OVERRIDES: {pair!r} is not instrument.band=pathway") from exc
        if (code, band) not in RULES:
            raise ValueError(f"SCREENING_PATHWAY_OVERRIDES: no rule for {instrument}.{band}")
        out[(code, band)] = chosen
    return out


def suggest(code: InstrumentCode, band: str, overrides: str = "") -> Suggestion | None:
    rule = RULES.get((code, band))
    if rule is None:
        return None
    pathway = parse_overrides(overrides).get((code, band)) if overrides else None
    return Suggestion(pathway, rule.reason) if pathway is not None else rule
