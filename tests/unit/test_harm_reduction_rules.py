"""The harm-reduction rules as a table: answers in, the prompts shown out."""

from __future__ import annotations

from typing import Any

import pytest

from caseapp.harm_reduction import rules


def _shown(**answers: Any) -> list[str]:
    return [rule.code for rule in rules.applicable(answers)]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        # naloxone: opioids or injecting, unless naloxone is held
        ({"substances": ["heroin"], "primary_substance": "heroin", "naloxone_held": False}, ["naloxone"]),
        ({"substances": ["heroin"], "primary_substance": "heroin", "naloxone_held": None}, ["naloxone"]),
        ({"substances": ["heroin"], "primary_substance": "heroin", "naloxone_held": True}, []),
        ({"primary_substance": "prescription_opioids"}, ["naloxone"]),
        ({"substances": ["amphetamines"], "primary_substance": "amphetamines", "route": "injecting"}, ["naloxone"]),
        (
            {
                "substances": ["amphetamines"],
                "primary_substance": "amphetamines",
                "route": "injecting",
                "naloxone_held": True,
            },
            [],
        ),
        # nothing for substances without the risks
        ({"substances": ["cannabis"], "primary_substance": "cannabis", "route": "smoking"}, []),
        ({"substances": ["alcohol", "benzodiazepines"], "primary_substance": "alcohol"}, []),
        # lowered tolerance: any recent release, whatever the substance
        ({"primary_substance": "alcohol", "recent_release": "prison"}, ["lowered_tolerance"]),
        ({"primary_substance": "cocaine", "recent_release": "detox"}, ["lowered_tolerance"]),
        ({"primary_substance": "cocaine", "recent_release": "rehab"}, ["lowered_tolerance"]),
        ({"primary_substance": "cocaine", "recent_release": None}, []),
        # everything at once, in the table's order
        (
            {
                "substances": ["heroin", "ghb_gbl"],
                "primary_substance": "heroin",
                "route": "injecting",
                "recent_release": "prison",
            },
            ["naloxone", "lowered_tolerance", "mixing_depressants"],
        ),
    ],
)
def test_rules_show_the_prompts_the_answers_call_for(answers: dict[str, Any], expected: list[str]) -> None:
    assert _shown(**answers) == expected


@pytest.mark.parametrize("opioid", ["heroin", "prescription_opioids"])
@pytest.mark.parametrize("depressant", ["benzodiazepines", "alcohol", "ghb_gbl"])
def test_mixing_is_detected_for_each_opioid_with_each_depressant(opioid: str, depressant: str) -> None:
    answers = {"substances": [opioid, depressant], "primary_substance": opioid, "naloxone_held": True}
    assert _shown(**answers) == ["mixing_depressants"]


@pytest.mark.parametrize("depressant", ["benzodiazepines", "alcohol", "ghb_gbl"])
def test_mixing_is_found_when_the_depressant_is_the_primary_substance(depressant: str) -> None:
    answers = {"substances": ["heroin", depressant], "primary_substance": depressant, "naloxone_held": True}
    assert "mixing_depressants" in _shown(**answers)


def test_every_rule_has_a_unique_code_advice_help_and_a_source() -> None:
    assert len(rules.BY_CODE) == len(rules.RULES)
    for rule in rules.RULES:
        assert rule.version >= 1
        assert rule.advice
        assert rule.where_to_get_help
        assert rule.source
    assert "pharmac" in rules.BY_CODE["naloxone"].where_to_get_help
    assert "OHID" in rules.BY_CODE["naloxone"].source
