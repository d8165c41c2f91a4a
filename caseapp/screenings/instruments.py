"""The validated screening instruments, as data: items, options with their scores, and bands. Each has a version;
a screening keeps the version it was scored with, so a change here is a new version, never an edit of an old one.

Item texts follow the published wording as closely as we hold it; the source of each instrument, its scoring rule
and its bands is cited next to it. Clinical review of the wording is tracked in the README ("Screening
instruments").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from caseapp.reference import Labelled, Substance


class InstrumentCode(Labelled):
    AUDIT_C = "audit_c", "AUDIT-C"
    AUDIT = "audit", "AUDIT"
    SDS = "sds", "SDS"
    DAST10 = "dast10", "DAST-10"
    SADQ = "sadq", "SADQ"


@dataclass(frozen=True)
class Option:
    #: what a client sends (the option's position, from 0)
    value: int
    label: str
    score: int


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    options: tuple[Option, ...]

    def option(self, value: int) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    low: int
    high: int


@dataclass(frozen=True)
class Instrument:
    code: InstrumentCode
    version: int
    name: str
    #: what the advisor reads out before the items (time frame, situation)
    preamble: str
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    source: str
    #: SDS: asked about one named substance, whose cut-off sets the bands
    needs_substance: bool = False
    #: the instrument to offer next when the result is in one of these bands (AUDIT-C positive -> AUDIT)
    follow_up: tuple[InstrumentCode, frozenset[str]] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def min_score(self) -> int:
        return sum(min(o.score for o in item.options) for item in self.items)

    @property
    def max_score(self) -> int:
        return sum(max(o.score for o in item.options) for item in self.items)

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)


def _options(*pairs: tuple[str, int]) -> tuple[Option, ...]:
    return tuple(Option(value, label, score) for value, (label, score) in enumerate(pairs))


def _scale(*labels: str) -> tuple[Option, ...]:
    """Options scored 0, 1, 2 … in the order given."""
    return _options(*((label, score) for score, label in enumerate(labels)))


# --- AUDIT and AUDIT-C ------------------------------------------------------------------------------------------
# Babor TF, Higgins-Biddle JC, Saunders JB, Monteiro MG. AUDIT: The Alcohol Use Disorders Identification Test.
# Guidelines for use in primary care, 2nd edn. WHO, 2001 (items, scoring: Q1-8 0-4, Q9-10 0/2/4, total 0-40).
# UK version (UK units, Q2 and Q3 in units, the zone labels): Department of Health and Social Care / Office for
# Health Improvement and Disparities, "Alcohol use disorders identification test (AUDIT)", GOV.UK, 2020.
# AUDIT-C: Bush K et al., Arch Intern Med 1998;158:1789-95 (Q1-3 of AUDIT); UK threshold (5+ positive: ask the
# remaining 7 questions): Public Health England / OHID, "Alcohol use screening tests" (AUDIT-C, UK units), 2020.

_FREQUENCY = _scale("Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily")
_INJURY = _options(("No", 0), ("Yes, but not in the last year", 2), ("Yes, during the last year", 4))

AUDIT_C_ITEMS = (
    Item(
        "q1",
        "How often do you have a drink containing alcohol?",
        _scale(
            "Never", "Monthly or less", "2 to 4 times per month", "2 to 3 times per week", "4 or more times per week"
        ),
    ),
    Item(
        "q2",
        "How many units of alcohol do you drink on a typical day when you are drinking?",
        _scale("0 to 2", "3 to 4", "5 to 6", "7 to 9", "10 or more"),
    ),
    Item(
        "q3",
        "How often have you had 6 or more units if female, or 8 or more if male, on a single occasion in the last "
        "year?",
        _FREQUENCY,
    ),
)

AUDIT_ITEMS = (
    *AUDIT_C_ITEMS,
    Item(
        "q4",
        "How often during the last year have you found that you were not able to stop drinking once you had started?",
        _FREQUENCY,
    ),
    Item(
        "q5",
        "How often during the last year have you failed to do what was normally expected from you because of "
        "your drinking?",
        _FREQUENCY,
    ),
    Item(
        "q6",
        "How often during the last year have you needed an alcoholic drink in the morning to get yourself "
        "going after a heavy drinking session?",
        _FREQUENCY,
    ),
    Item("q7", "How often during the last year have you had a feeling of guilt or remorse after drinking?", _FREQUENCY),
    Item(
        "q8",
        "How often during the last year have you been unable to remember what happened the night before "
        "because you had been drinking?",
        _FREQUENCY,
    ),
    Item("q9", "Have you or somebody else been injured as a result of your drinking?", _INJURY),
    Item(
        "q10",
        "Has a relative or friend, doctor or other health worker been concerned about your drinking or "
        "suggested that you cut down?",
        _INJURY,
    ),
)

AUDIT_C = Instrument(
    code=InstrumentCode.AUDIT_C,
    version=1,
    name="AUDIT-C (alcohol consumption, UK units)",
    preamble="One unit is half a pint of ordinary beer, a single 25 ml measure of spirits or a small glass of wine.",
    items=AUDIT_C_ITEMS,
    bands=(
        Band("lower_risk", "Lower risk (negative screen)", 0, 4),
        Band("positive", "Positive screen: ask the remaining AUDIT questions", 5, 12),
    ),
    source="Bush et al. 1998; PHE/OHID UK AUDIT-C (UK units), 2020: 5 or more is positive.",
    follow_up=(InstrumentCode.AUDIT, frozenset({"positive"})),
)

AUDIT = Instrument(
    code=InstrumentCode.AUDIT,
    version=1,
    name="AUDIT (Alcohol Use Disorders Identification Test, UK units)",
    preamble="One unit is half a pint of ordinary beer, a single 25 ml measure of spirits or a small glass of wine.",
    items=AUDIT_ITEMS,
    bands=(
        Band("lower_risk", "Lower risk", 0, 7),
        Band("increasing_risk", "Increasing risk", 8, 15),
        Band("higher_risk", "Higher risk", 16, 19),
        Band("possible_dependence", "Possible dependence", 20, 40),
    ),
    source="Babor et al., WHO 2001; UK version and zones: DHSC/OHID AUDIT (UK units), 2020.",
)

# --- SDS --------------------------------------------------------------------------------------------------------
# Gossop M, Darke S, Griffiths P et al. The Severity of Dependence Scale (SDS): psychometric properties of the SDS
# in English and Australian samples of heroin, cocaine and amphetamine users. Addiction 1995;90:607-14
# (five items scored 0-3, total 0-15, about one named drug, "in the last year").
# Cut-offs (a score at or above suggests dependence):
#   cannabis 3: Martin G, Copeland J, Gates P, Gilmour S. Drug Alcohol Depend 2006;83:90-3
#   cocaine 3: Kaye S, Darke S. Addiction 2002;97:1307-16
#   amphetamine 4: Topp L, Mattick RP. Addiction 1997;92:839-45
#   heroin and other opioids 5: Gossop et al. 1995 (heroin samples); González-Sáiz F et al., Eur Addict Res
#     2009;15:87-93 (opioids)
#   benzodiazepines 7: de las Cuevas C, Sanz EJ, de la Fuente JA et al. Addiction 2000;95:245-50
# Substances without a validated cut-off use SDS_DEFAULT_CUTOFF (the lowest published), pending clinical review.

SDS_CUTOFFS: dict[Substance, int] = {
    Substance.CANNABIS: 3,
    Substance.SYNTHETIC_CANNABINOIDS: 3,
    Substance.COCAINE: 3,
    Substance.CRACK_COCAINE: 3,
    Substance.AMPHETAMINES: 4,
    Substance.HEROIN: 5,
    Substance.PRESCRIPTION_OPIOIDS: 5,
    Substance.BENZODIAZEPINES: 7,
}
SDS_DEFAULT_CUTOFF = 3

_OFTEN = _scale("Never or almost never", "Sometimes", "Often", "Always or nearly always")

SDS = Instrument(
    code=InstrumentCode.SDS,
    version=1,
    name="SDS (Severity of Dependence Scale)",
    preamble="Ask about the named substance, over the last year.",
    items=(
        Item("q1", "Did you ever think your use of the substance was out of control?", _OFTEN),
        Item("q2", "Did the prospect of missing a dose make you anxious or worried?", _OFTEN),
        Item("q3", "Did you worry about your use of the substance?", _OFTEN),
        Item("q4", "Did you wish you could stop?", _OFTEN),
        Item(
            "q5",
            "How difficult did you find it to stop, or go without the substance?",
            _scale("Not difficult", "Quite difficult", "Very difficult", "Impossible"),
        ),
    ),
    # the bands for the default cut-off; sds_bands() gives the substance's own
    bands=(
        Band("below_cutoff", "Below the dependence cut-off", 0, SDS_DEFAULT_CUTOFF - 1),
        Band("dependence", "At or above the dependence cut-off", SDS_DEFAULT_CUTOFF, 15),
    ),
    source="Gossop et al. 1995; cut-offs Martin et al. 2006, Kaye & Darke 2002, Topp & Mattick 1997, "
    "de las Cuevas et al. 2000.",
    needs_substance=True,
)


def sds_cutoff(substance: Substance, overrides: dict[str, int] | None = None) -> int:
    """The SDS score at or above which dependence on `substance` is suggested (overrides: SDS_CUTOFFS setting)."""
    if overrides and substance.value in overrides:
        return overrides[substance.value]
    return SDS_CUTOFFS.get(substance, SDS_DEFAULT_CUTOFF)


def sds_bands(cutoff: int) -> tuple[Band, ...]:
    return (
        Band("below_cutoff", "Below the dependence cut-off", 0, cutoff - 1),
        Band("dependence", "At or above the dependence cut-off", cutoff, 15),
    )


# --- DAST-10 ----------------------------------------------------------------------------------------------------
# Skinner HA. The Drug Abuse Screening Test. Addict Behav 1982;7:363-71; the 10-item version and its bands
# (0 none, 1-2 low, 3-5 moderate, 6-8 substantial, 9-10 severe): Skinner HA, DAST-10 (CAMH, 1982). Yes scores 1,
# except item 3, where No scores 1. "Drug use" excludes alcohol and tobacco and medicines taken as prescribed.

_YES_NO = _options(("No", 0), ("Yes", 1))
_YES_NO_REVERSED = _options(("No", 1), ("Yes", 0))

DAST10 = Instrument(
    code=InstrumentCode.DAST10,
    version=1,
    name="DAST-10 (Drug Abuse Screening Test)",
    preamble="These questions are about the last 12 months, and about drugs other than alcohol and tobacco, and "
    "medicines other than as prescribed.",
    items=(
        Item("q1", "Have you used drugs other than those required for medical reasons?", _YES_NO),
        Item("q2", "Do you abuse more than one drug at a time?", _YES_NO),
        Item("q3", "Are you always able to stop using drugs when you want to?", _YES_NO_REVERSED),
        Item("q4", "Have you had blackouts or flashbacks as a result of drug use?", _YES_NO),
        Item("q5", "Do you ever feel bad or guilty about your drug use?", _YES_NO),
        Item("q6", "Does your spouse (or parents) ever complain about your involvement with drugs?", _YES_NO),
        Item("q7", "Have you neglected your family because of your use of drugs?", _YES_NO),
        Item("q8", "Have you engaged in illegal activities in order to obtain drugs?", _YES_NO),
        Item("q9", "Have you ever experienced withdrawal symptoms (felt sick) when you stopped taking drugs?", _YES_NO),
        Item(
            "q10",
            "Have you had medical problems as a result of your drug use (for example memory loss, hepatitis, "
            "convulsions, bleeding)?",
            _YES_NO,
        ),
    ),
    bands=(
        Band("none", "No problems reported", 0, 0),
        Band("low", "Low level", 1, 2),
        Band("moderate", "Moderate level", 3, 5),
        Band("substantial", "Substantial level", 6, 8),
        Band("severe", "Severe level", 9, 10),
    ),
    source="Skinner 1982 (DAST-10).",
)

# --- SADQ -------------------------------------------------------------------------------------------------------
# Stockwell T, Hodgson R, Edwards G, Taylor C, Rankin H. The development of a questionnaire to measure severity of
# alcohol dependence. Br J Addict 1979;74:79-87; Stockwell T, Murphy D, Hodgson R. Br J Addict 1983;78:145-55
# (20 items 0-3, total 0-60; below 16 mild, 16-30 moderate, 31 or more severe dependence).

_SADQ = _scale("Almost never", "Sometimes", "Often", "Nearly always")
_SADQ_TEXTS = (
    "The day after drinking alcohol, I wake up feeling sweaty.",
    "The day after drinking alcohol, my hands shake first thing in the morning.",
    (
        "The day after drinking alcohol, my whole body shakes violently first thing in the morning if I don't have a "
        "drink."
    ),
    "The day after drinking alcohol, I wake up absolutely drenched in sweat.",
    "When I'm drinking heavily, I dread waking up in the morning.",
    "When I'm drinking heavily, I'm frightened of meeting people first thing in the morning.",
    "When I'm drinking heavily, I feel at the edge of despair when I awake.",
    "When I'm drinking heavily, I feel very frightened when I awake.",
    "When I'm drinking heavily, I like to have a morning drink.",
    "When I'm drinking heavily, I always gulp my first few morning drinks down as quickly as possible.",
    "When I'm drinking heavily, I drink in the morning to get rid of the shakes.",
    "When I'm drinking heavily, I have a very strong craving for a drink when I awake.",
    (
        "When I'm drinking heavily, I drink more than a quarter of a bottle of spirits in a day (or 1 bottle of wine, "
        "or 4 pints of beer)."
    ),
    (
        "When I'm drinking heavily, I drink more than half a bottle of spirits a day (or 2 bottles of wine, or 8 pints "
        "of beer)."
    ),
    (
        "When I'm drinking heavily, I drink more than one bottle of spirits a day (or 4 bottles of wine, or 15 pints "
        "of beer)."
    ),
    (
        "When I'm drinking heavily, I drink more than two bottles of spirits a day (or 8 bottles of wine, or 30 pints "
        "of beer)."
    ),
    (
        "Imagine you had been completely off drink for a few weeks, then drank very heavily for two days. The morning "
        "after, I would start to sweat."
    ),
    "(The same situation.) The morning after, my hands would shake.",
    "(The same situation.) The morning after, my body would shake.",
    "(The same situation.) The morning after, I would be craving for a drink.",
)

SADQ = Instrument(
    code=InstrumentCode.SADQ,
    version=1,
    name="SADQ (Severity of Alcohol Dependence Questionnaire)",
    preamble="Think of a recent month when you were drinking heavily, in a way that was typical for you.",
    items=tuple(Item(f"q{n}", text, _SADQ) for n, text in enumerate(_SADQ_TEXTS, start=1)),
    bands=(
        Band("mild", "Mild dependence", 0, 15),
        Band("moderate", "Moderate dependence", 16, 30),
        Band("severe", "Severe dependence", 31, 60),
    ),
    source="Stockwell et al. 1979, 1983.",
)

INSTRUMENTS: dict[InstrumentCode, Instrument] = {i.code: i for i in (AUDIT_C, AUDIT, SDS, DAST10, SADQ)}


def get(code: str) -> Instrument | None:
    try:
        return INSTRUMENTS[InstrumentCode(code)]
    except ValueError:
        return None


def parse_cutoffs(text: str) -> dict[str, int]:
    """ "cannabis=4, ketamine=4" -> {"cannabis": 4, "ketamine": 4}; raises ValueError naming a wrong pair."""
    out: dict[str, int] = {}
    for pair in (p.strip() for p in text.split(",")):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        try:
            substance, cutoff = Substance(name.strip()), int(value)
        except ValueError as exc:
            raise ValueError(f"SCREENING_SDS_CUTOFFS: {pair!r} is not substance=score") from exc
        if not 1 <= cutoff <= 15:
            raise ValueError(f"SCREENING_SDS_CUTOFFS: {pair!r}: a cut-off is between 1 and 15")
        out[substance.value] = cutoff
    return out
