"""The retention policy's pure parts: the cutoff in calendar months, which answers are kept, and its settings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from caseapp.config import ConfigError, check_retention_settings, defaults
from caseapp.retention.policy import RULES, Scope, closed_cases_cutoff, scrub_answers


def test_the_cutoff_is_whole_calendar_months_back_in_utc() -> None:
    assert closed_cases_cutoff(datetime(2028, 2, 29, 9, 30, tzinfo=UTC), 24) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert closed_cases_cutoff(datetime(2027, 3, 28, 1, 30, tzinfo=UTC), 24) == datetime(2025, 3, 28, 1, 30, tzinfo=UTC)


def test_scrubbed_answers_keep_codes_numbers_and_yes_no_and_drop_free_text() -> None:
    answers: dict[str, Any] = {
        "substances": ["heroin"],
        "route": "smoking",
        "years_of_use": 4,
        "overdose_history": True,
        "frequency": "every day at my sister's flat",
        "notes": "lives at 12 High Street",
        "last_use_at": "2026-11-30T22:00:00+00:00",
        "withdrawal_onset_hours": None,
    }

    assert scrub_answers(answers, 1) == {
        "substances": ["heroin"],
        "route": "smoking",
        "years_of_use": 4,
        "overdose_history": True,
        "withdrawal_onset_hours": None,
    }


def test_scrubbed_version_2_answers_keep_the_suggestion_and_drop_the_reason_for_another_pathway() -> None:
    answers: dict[str, Any] = {
        "immediate_danger": False,
        "suggested_pathway": "outpatient",
        "pathway_suggestions": [{"pathway": "outpatient", "reason": "AUDIT 20 or more", "screening_id": 3}],
        "pathway_followed": False,
        "pathway_override_reason": "her brother says she drinks at the school gates",
    }

    assert scrub_answers(answers, 2) == {
        "immediate_danger": False,
        "suggested_pathway": "outpatient",
        "pathway_followed": False,
    }


def test_the_caller_rules_clear_the_name_number_and_notes() -> None:
    cleared = {rule.label for rule in RULES if rule.scope is Scope.CALLER}

    assert {"callers.name", "callers.phone_e164", "callers.safe_to_call_notes"} <= cleared
    assert "callers.relationship" not in cleared  # a report dimension


@pytest.mark.parametrize(
    ("key", "value"),
    [("RETAIN_CLOSED_CASES_MONTHS", 0), ("RETENTION_BATCH_SIZE", "lots"), ("RETENTION_AT", "3am")],
)
def test_bad_retention_settings_are_refused(key: str, value: Any) -> None:
    settings = {**defaults("development"), key: value}

    with pytest.raises(ConfigError, match=key):
        check_retention_settings(settings)


def test_the_default_retention_settings_are_accepted() -> None:
    check_retention_settings(defaults("development"))
