"""Configuration: embedded-mode defaults, CASEAPP_* overrides, and a production config that refuses to start unsafe."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from flask import Flask

from caseapp import config, create_app
from caseapp.config import DEV_SECRET_KEY, ConfigError
from caseapp.encryption.keys import generate_key

PG = "postgresql+psycopg://caseapp@db.internal:5432/caseapp"
REDIS = "redis://cache.internal:6379/0"
GOOD_SECRET = secrets.token_urlsafe(32)
GOOD_KEY = generate_key()


@pytest.fixture(autouse=True)
def _no_caseapp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start each test from a machine with no CASEAPP_* settings except the ones it sets."""
    for name in (
        "CASEAPP_DATABASE_URL",
        "CASEAPP_REDIS_URL",
        "CASEAPP_SECRET_KEY",
        "CASEAPP_SMTP_URL",
        "CASEAPP_DATA_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CASEAPP_ENV", "development")


def _load(**overrides: Any) -> dict[str, Any]:
    app = Flask("config-test")
    config.load(app, overrides)
    return dict(app.config)


def _production(**overrides: Any) -> dict[str, Any]:
    values = {
        "ENV_NAME": "production",
        "SECRET_KEY": GOOD_SECRET,
        "DATA_KEY": GOOD_KEY,
        "DATABASE_URL": PG,
        "REDIS_URL": REDIS,
    }
    values.update(overrides)
    return _load(**values)


def test_development_defaults_run_embedded_without_servers() -> None:
    settings = _load()

    assert settings["ENV_NAME"] == "development"
    assert settings["DATABASE_URL"].startswith("sqlite:///")
    assert settings["REDIS_URL"] is None
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"
    assert settings["CELERY"]["broker_url"].startswith("sqla+sqlite:///")
    assert settings["SMTP_URL"] is None
    assert settings["TIMEZONE"] == "Europe/London"
    assert settings["SECRET_KEY"] == DEV_SECRET_KEY
    assert settings["JSON_LOGS"] is False


def test_defaults_set_session_cookie_and_timeouts() -> None:
    settings = _load()

    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["IDLE_TIMEOUT_SECONDS"] == 30 * 60
    assert settings["ABSOLUTE_TIMEOUT_SECONDS"] == 12 * 60 * 60
    assert settings["PASSWORD_MIN_LENGTH"] == 12


def test_celery_settings_are_json_only_and_ack_late() -> None:
    celery = _load()["CELERY"]

    assert celery["task_serializer"] == "json"
    assert celery["accept_content"] == ["json"]
    assert celery["task_ignore_result"] is True
    assert celery["task_acks_late"] is True
    assert celery["task_reject_on_worker_lost"] is True


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEAPP_REDIS_URL", REDIS)
    monkeypatch.setenv("CASEAPP_LOGIN_BACKOFF_AFTER_FAILURES", "3")
    monkeypatch.setenv("CASEAPP_TIMEZONE", "Europe/Dublin")

    settings = _load()

    assert settings["LOGIN_BACKOFF_AFTER_FAILURES"] == 3
    assert settings["TIMEZONE"] == "Europe/Dublin"
    assert settings["RATELIMIT_STORAGE_URI"] == REDIS
    assert settings["CELERY"]["broker_url"] == REDIS
    assert settings["CELERY"]["beat_scheduler"] == "redbeat.RedBeatScheduler"
    visibility = settings["CELERY"]["broker_transport_options"]["visibility_timeout"]
    assert visibility == settings["BROKER_VISIBILITY_TIMEOUT_SECONDS"]
    # Redis hands a task to a second worker only well after the first one's claim on the row has run out
    assert visibility > 2 * settings["DELIVERY_LEASE_SECONDS"]


def test_load_refuses_an_unknown_environment_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEAPP_ENV", "staging")

    with pytest.raises(ConfigError, match="development, test or production"):
        _load()


def test_production_accepts_a_safe_configuration() -> None:
    settings = _production()

    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["JSON_LOGS"] is True
    assert settings["TESTING"] is False


@pytest.mark.parametrize(
    "secret", [DEV_SECRET_KEY, "", None, "x" * 31], ids=["development_default", "empty", "missing", "too_short"]
)
def test_production_refuses_a_default_missing_or_short_secret(secret: str | None) -> None:
    with pytest.raises(ConfigError, match="CASEAPP_SECRET_KEY"):
        _production(SECRET_KEY=secret)


def test_production_refuses_sqlite() -> None:
    with pytest.raises(ConfigError, match="PostgreSQL"):
        _production(DATABASE_URL="sqlite:////tmp/caseapp.sqlite")


def test_production_refuses_a_missing_redis_url() -> None:
    with pytest.raises(ConfigError, match="CASEAPP_REDIS_URL"):
        _production(REDIS_URL=None)


def test_production_names_every_problem_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        _load(ENV_NAME="production")

    assert "CASEAPP_SECRET_KEY" in str(raised.value)
    assert "PostgreSQL" in str(raised.value)
    assert "CASEAPP_REDIS_URL" in str(raised.value)
    assert "CASEAPP_DATA_KEY" in str(raised.value)


@pytest.mark.parametrize("key", ["", None], ids=["empty", "missing"])
def test_production_refuses_to_start_without_a_data_key(key: str | None) -> None:
    with pytest.raises(ConfigError, match="CASEAPP_DATA_KEY must be set"):
        _production(DATA_KEY=key)


def test_create_app_refuses_production_without_a_data_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEAPP_ENV", "production")
    monkeypatch.setenv("CASEAPP_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("CASEAPP_DATABASE_URL", PG)
    monkeypatch.setenv("CASEAPP_REDIS_URL", REDIS)

    with pytest.raises(ConfigError, match="Refusing to start in production: CASEAPP_DATA_KEY must be set"):
        create_app()


def test_production_accepts_a_ring_of_keys_newest_first() -> None:
    settings = _production(DATA_KEY=f"{generate_key()}, {GOOD_KEY}")

    assert settings["DATA_KEY"].endswith(GOOD_KEY)


MALFORMED_KEYS = {
    "not_base64": "not-a-fernet-key",
    "too_short": GOOD_KEY[:40],
    "second_of_two_bad": f"{GOOD_KEY},{GOOD_KEY[:-6]}",
    "only_commas": " , ",
}


@pytest.mark.parametrize("env", ["development", "test", "production"])
@pytest.mark.parametrize("key", MALFORMED_KEYS.values(), ids=MALFORMED_KEYS.keys())
def test_a_malformed_data_key_is_refused_in_every_environment(env: str, key: str) -> None:
    with pytest.raises(ConfigError, match="CASEAPP_DATA_KEY") as raised:
        _production(ENV_NAME=env, DATA_KEY=key)

    assert GOOD_KEY not in str(raised.value)  # the message names the key's position, never the key
    assert GOOD_KEY[:40] not in str(raised.value)


def test_a_malformed_data_key_from_the_environment_stops_create_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEAPP_DATA_KEY", "typo" + GOOD_KEY)

    with pytest.raises(ConfigError, match="CASEAPP_DATA_KEY key 1 of 1 is not a Fernet key"):
        create_app()


def test_create_app_refuses_production_with_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEAPP_ENV", "production")
    monkeypatch.setenv("CASEAPP_DATABASE_URL", PG)
    monkeypatch.setenv("CASEAPP_REDIS_URL", REDIS)

    with pytest.raises(ConfigError, match="CASEAPP_SECRET_KEY"):
        create_app()


def test_stale_cases_default_to_14_days_told_at_seven() -> None:
    settings = _load()

    assert (settings["STALE_CASE_DAYS"], settings["STALE_CASES_AT"]) == (14, "07:00")


def test_stale_case_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEAPP_STALE_CASE_DAYS", "21")
    monkeypatch.setenv("CASEAPP_STALE_CASES_AT", "06:30")

    settings = _load()

    assert (settings["STALE_CASE_DAYS"], settings["STALE_CASES_AT"]) == (21, "06:30")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"STALE_CASE_DAYS": 0}, "CASEAPP_STALE_CASE_DAYS"),
        ({"STALE_CASE_DAYS": 366}, "CASEAPP_STALE_CASE_DAYS"),
        ({"STALE_CASE_DAYS": "14"}, "CASEAPP_STALE_CASE_DAYS"),
        ({"STALE_CASE_DAYS": True}, "CASEAPP_STALE_CASE_DAYS"),
        ({"STALE_CASES_AT": "7am"}, "CASEAPP_STALE_CASES_AT"),
        ({"STALE_CASES_AT": "25:00"}, "CASEAPP_STALE_CASES_AT"),
    ],
)
def test_stale_case_settings_that_cannot_work_are_refused_in_any_environment(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(**overrides)


def test_a_second_factor_is_required_of_every_role_in_production_and_of_none_elsewhere() -> None:
    assert _production()["MFA_REQUIRED_ROLES"] == "advisor,manager,admin"
    assert _load()["MFA_REQUIRED_ROLES"] == ""
    assert _load(ENV_NAME="test")["MFA_REQUIRED_ROLES"] == ""


def test_mfa_required_roles_can_be_narrowed_but_not_misspelt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEAPP_MFA_REQUIRED_ROLES", "manager,admin")
    assert _production()["MFA_REQUIRED_ROLES"] == "manager,admin"

    with pytest.raises(ConfigError, match="unknown roles: admins"):
        _load(MFA_REQUIRED_ROLES="advisor,admins")


def test_token_lifetimes_default_to_90_days_at_most_365() -> None:
    settings = _load()

    assert (settings["TOKEN_DEFAULT_DAYS"], settings["TOKEN_MAX_DAYS"]) == (90, 365)
    with pytest.raises(ConfigError, match="TOKEN_DEFAULT_DAYS must not be more"):
        _load(TOKEN_DEFAULT_DAYS=400)
    with pytest.raises(ConfigError, match="whole numbers of days"):
        _load(TOKEN_MAX_DAYS=0)


def test_a_caller_merge_can_be_undone_for_30_days_by_default_and_only_whole_days_are_taken() -> None:
    assert _load()["CALLER_MERGE_UNDO_DAYS"] == 30
    assert _load(CALLER_MERGE_UNDO_DAYS=7)["CALLER_MERGE_UNDO_DAYS"] == 7
    for bad in (0, -1, "thirty", 1.5, True):
        with pytest.raises(ConfigError, match="CASEAPP_CALLER_MERGE_UNDO_DAYS must be a whole number"):
            _load(CALLER_MERGE_UNDO_DAYS=bad)


def test_access_settings_default_to_twelve_hours_three_in_sixty_minutes_and_masking_for_advisors() -> None:
    settings = _load()

    assert settings["ACCESS_GRANT_HOURS"] == 12
    assert (settings["BREAK_GLASS_ALERT_COUNT"], settings["BREAK_GLASS_ALERT_MINUTES"]) == (3, 60)
    assert (settings["ACCESS_UNUSUAL_HOURS"], settings["MASK_PHONES_FOR"]) == ("", "advisor")


def test_access_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEAPP_ACCESS_GRANT_HOURS", "4")
    monkeypatch.setenv("CASEAPP_ACCESS_UNUSUAL_HOURS", "23:00-06:00")
    monkeypatch.setenv("CASEAPP_MASK_PHONES_FOR", "advisor,manager")

    settings = _load()

    assert settings["ACCESS_GRANT_HOURS"] == 4
    assert (settings["ACCESS_UNUSUAL_HOURS"], settings["MASK_PHONES_FOR"]) == ("23:00-06:00", "advisor,manager")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ACCESS_GRANT_HOURS": 0}, "CASEAPP_ACCESS_GRANT_HOURS"),
        ({"BREAK_GLASS_ALERT_COUNT": "3"}, "CASEAPP_BREAK_GLASS_ALERT_COUNT"),
        ({"BREAK_GLASS_ALERT_MINUTES": True}, "CASEAPP_BREAK_GLASS_ALERT_MINUTES"),
        ({"ACCESS_UNUSUAL_HOURS": "midnight"}, "CASEAPP_ACCESS_UNUSUAL_HOURS"),
        ({"ACCESS_UNUSUAL_HOURS": "00:00-25:00"}, "CASEAPP_ACCESS_UNUSUAL_HOURS"),
        ({"MASK_PHONES_FOR": "advisor,volunteer"}, "CASEAPP_MASK_PHONES_FOR"),
    ],
)
def test_access_settings_that_cannot_work_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(**overrides)


def test_screening_settings_default_to_the_published_values() -> None:
    settings = _load()

    assert (settings["SCREENING_SDS_CUTOFFS"], settings["SCREENING_PATHWAY_OVERRIDES"]) == ("", "")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SCREENING_SDS_CUTOFFS": "cannabis"}, "CASEAPP_SCREENING_SDS_CUTOFFS"),
        ({"SCREENING_SDS_CUTOFFS": "cannabis=20"}, "CASEAPP_SCREENING_SDS_CUTOFFS"),
        ({"SCREENING_PATHWAY_OVERRIDES": "audit.lower_risk=rehab"}, "CASEAPP_SCREENING_PATHWAY_OVERRIDES"),
        ({"SCREENING_PATHWAY_OVERRIDES": "audit.nonsense=outpatient"}, "CASEAPP_SCREENING_PATHWAY_OVERRIDES"),
    ],
)
def test_screening_settings_that_cannot_work_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(**overrides)


def test_screening_settings_that_name_known_values_are_taken() -> None:
    settings = _load(
        SCREENING_SDS_CUTOFFS="cannabis=4", SCREENING_PATHWAY_OVERRIDES="audit.possible_dependence=medical_detox"
    )

    assert settings["SCREENING_SDS_CUTOFFS"] == "cannabis=4"


@pytest.mark.parametrize("name", ["TELEPHONY_SECRET", "TWILIO_AUTH_TOKEN"])
def test_production_refuses_a_short_telephony_secret_but_not_an_unset_one(name: str) -> None:
    with pytest.raises(ConfigError, match=f"CASEAPP_{name} must be at least 32 characters"):
        _production(**{name: "short"})
    assert _production(**{name: None}) is not None
    assert _production(**{name: "x" * 32}) is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"TELEPHONY_TOLERANCE_SECONDS": 0}, "CASEAPP_TELEPHONY_TOLERANCE_SECONDS"),
        ({"TELEPHONY_RETENTION_DAYS": "90"}, "CASEAPP_TELEPHONY_RETENTION_DAYS"),
        ({"PUBLIC_BASE_URL": "caseapp.example.org"}, "CASEAPP_PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://caseapp.example.org/api"}, "CASEAPP_PUBLIC_BASE_URL"),
    ],
)
def test_telephony_settings_that_cannot_work_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _load(**overrides)
