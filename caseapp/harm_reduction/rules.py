"""The harm-reduction rules, as data, reviewed in one place.

Each rule has a code, a version (bump it when the condition or the advice changes: responses keep the version they
were given under), a condition over an assessment's answers, the advice the advisor gives, where the caller can get
help, and the guidance it rests on. A prompt is shown for every rule whose condition holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from caseapp.reference import Route, Substance

#: the answers a condition reads: the assessment's answers plus its column fields, values as stored (codes)
Answers = Mapping[str, Any]

OPIOIDS = frozenset({Substance.HEROIN.value, Substance.PRESCRIPTION_OPIOIDS.value})
#: other depressants that, taken with opioids, slow breathing further
DEPRESSANTS = frozenset({Substance.BENZODIAZEPINES.value, Substance.ALCOHOL.value, Substance.GHB_GBL.value})


@dataclass(frozen=True)
class Rule:
    code: str
    version: int
    title: str
    condition: Callable[[Answers], bool]
    advice: str
    where_to_get_help: str
    source: str


def substances(answers: Answers) -> set[str]:
    values = {str(value) for value in answers.get("substances") or []}
    if answers.get("primary_substance"):
        values.add(str(answers["primary_substance"]))
    return values


def uses_opioids(answers: Answers) -> bool:
    return bool(substances(answers) & OPIOIDS)


def injects(answers: Answers) -> bool:
    return answers.get("route") == Route.INJECTING.value


def _naloxone_needed(answers: Answers) -> bool:
    # not asked (None) counts as not held: offering it costs nothing
    return (injects(answers) or uses_opioids(answers)) and answers.get("naloxone_held") is not True


def _tolerance_lowered(answers: Answers) -> bool:
    return bool(answers.get("recent_release"))


def _mixing_depressants(answers: Answers) -> bool:
    return uses_opioids(answers) and bool(substances(answers) & DEPRESSANTS)


RULES: tuple[Rule, ...] = (
    Rule(
        code="naloxone",
        version=1,
        title="Naloxone",
        condition=_naloxone_needed,
        advice=(
            "Naloxone temporarily reverses an opioid overdose. Suggest the caller carries a take-home naloxone kit, "
            "that the people they use with know where it is and how to use it, and that they still call 999 after "
            "giving it: it wears off sooner than most opioids."
        ),
        where_to_get_help=(
            "Free take-home naloxone from the local drug and alcohol service, and from many pharmacies and needle "
            "and syringe programmes; no prescription is needed."
        ),
        source=(
            "OHID (formerly PHE), Widening the availability of naloxone (updated 2023); "
            "Human Medicines Regulations 2012, reg. 235 (supply by drug services without prescription)."
        ),
    ),
    Rule(
        code="lowered_tolerance",
        version=1,
        title="Lowered tolerance",
        condition=_tolerance_lowered,
        advice=(
            "After prison, a detox or rehab, tolerance falls within days: a usual amount can now be fatal. The first "
            "weeks are when overdose deaths peak. Suggest using much less, not using alone, testing a small amount "
            "first, and carrying naloxone."
        ),
        where_to_get_help=(
            "The local drug and alcohol service (same-week appointments and naloxone); prison leavers: their "
            "probation officer or the community drug service they were referred to on release."
        ),
        source=(
            "OHID, Preventing drug-related deaths: guidance for local areas; "
            "Merrall et al., Meta-analysis of drug-related deaths soon after release from prison, Addiction 2010."
        ),
    ),
    Rule(
        code="mixing_depressants",
        version=1,
        title="Mixing depressants",
        condition=_mixing_depressants,
        advice=(
            "Opioids with benzodiazepines, alcohol or GHB/GBL each slow breathing, and together far more than "
            "alone: most drug deaths involve more than one of them. Suggest avoiding the mix, using less of each "
            "and spacing them, not using alone, and carrying naloxone (it does not reverse the other drugs)."
        ),
        where_to_get_help=(
            "The local drug and alcohol service or the caller's GP (a supervised reduction of benzodiazepines or "
            "alcohol, never stopping them suddenly); NHS 111 for advice; 999 if someone cannot be woken."
        ),
        source=(
            "OHID, Drug misuse and dependence: UK guidelines on clinical management (2017), ch. 4; "
            "MHRA Drug Safety Update, Benzodiazepines and opioids: reminder of risk (March 2020)."
        ),
    ),
)

BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}


def applicable(answers: Answers) -> list[Rule]:
    """The rules whose condition holds for these answers, in the table's order."""
    return [rule for rule in RULES if rule.condition(answers)]
