"""The referral follow-up settings: whole days from 1 to 365 and a time of day, refused otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from caseapp.config import ConfigError, check_referral_settings, defaults


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("REFERRAL_SENT_FOLLOW_UP_DAYS", 0),
        ("REFERRAL_SENT_FOLLOW_UP_DAYS", "3"),
        ("REFERRAL_ADMITTED_FOLLOW_UP_DAYS", 366),
        ("REFERRAL_ADMITTED_FOLLOW_UP_DAYS", True),
        ("REFERRAL_FOLLOW_UP_AT", "10am"),
    ],
)
def test_check_referral_settings_refuses_bad_values(key: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=key):
        check_referral_settings({**defaults("development"), key: value})


def test_check_referral_settings_accepts_the_defaults() -> None:
    settings = defaults("development")
    check_referral_settings(settings)
    assert (settings["REFERRAL_SENT_FOLLOW_UP_DAYS"], settings["REFERRAL_ADMITTED_FOLLOW_UP_DAYS"]) == (3, 28)
