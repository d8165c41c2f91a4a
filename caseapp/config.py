"""Configuration: defaults per CASEAPP_ENV, overridden by CASEAPP_* environment variables."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from caseapp.encryption.keys import DataKeyError, parse_keys
from caseapp.timeutil import parse_time_of_day

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CASEAPP_VAR_DIR", PROJECT_ROOT / "var"))
TEMPLATE_FOLDER = PROJECT_ROOT / "templates"

DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production by validate()


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the app refuses to start."""


def defaults(env: str) -> dict[str, Any]:
    """The settings for one environment before CASEAPP_* overrides."""
    return {
        "ENV_NAME": env,
        "SECRET_KEY": DEV_SECRET_KEY,
        #: Fernet keys for the free text at rest, comma-separated, newest first (caseapp/encryption/keys.py); unset in
        #: development and test: a key made in the var folder on first run. Required in production.
        "DATA_KEY": None,
        "DATABASE_URL": f"sqlite:///{VAR_DIR / 'caseapp.sqlite'}",
        "REDIS_URL": None,
        "SMTP_URL": None,
        "MAIL_DIR": str(VAR_DIR / "mail"),
        "MAIL_FROM": "caseapp@localhost",
        "BASE_URL": "http://127.0.0.1:5000",  # how staff reach caseapp; links in reminder emails start with it
        "TIMEZONE": "Europe/London",
        "IDLE_TIMEOUT_SECONDS": 30 * 60,
        "ABSOLUTE_TIMEOUT_SECONDS": 12 * 60 * 60,
        # sign-in throttling (caseapp/auth/throttle.py): per (account, client address), a delay that doubles
        "LOGIN_BACKOFF_AFTER_FAILURES": 5,  # failures from one address for one account before each attempt waits
        "LOGIN_BACKOFF_BASE_SECONDS": 30,  # the first wait; it doubles with each further failure...
        "LOGIN_BACKOFF_MAX_SECONDS": 15 * 60,  # ...up to this
        "LOGIN_RATE_LIMIT": "20 per minute",  # sign-in attempts (password and code steps) per address, any account
        # second factor (caseapp/auth/mfa.py): the roles that must use one; none in development/test (demo logins)
        "MFA_REQUIRED_ROLES": "advisor,manager,admin" if env == "production" else "",
        "MFA_ISSUER": "caseapp",  # the name authenticator apps show next to the account
        "MFA_PENDING_SECONDS": 5 * 60,  # after the password, the code must come within this
        "TOKEN_DEFAULT_DAYS": 90,  # API tokens expire after this many days unless their creator chooses fewer
        "TOKEN_MAX_DAYS": 365,  # ...and never later than this
        "PASSWORD_RESET_LINK_HOURS": 24,  # an admin's password reset link works once, within this
        "PASSWORD_MIN_LENGTH": 12,
        "JSON_LOGS": env == "production",
        "LOG_LEVEL": "INFO",
        "LIBRARY_LOG_LEVEL": None,  # e.g. WARNING: Celery's own lines hidden, caseapp's kept (`caseapp dev` does)
        #: larger requests get 413 (the biggest form, a call with 20,000 characters of notes, is about 80 KB)
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the (revocable) session
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "SESSION_COOKIE_NAME": "caseapp_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,  # Redis down must not lock advisors out
        "RATELIMIT_ENABLED": True,
        #: Redis gives an unacknowledged task to another worker after this; longer than any task runs or waits
        #: (no task waits with a countdown longer than 30 s: delivery retries are the outbox's, in the database)
        "BROKER_VISIBILITY_TIMEOUT_SECONDS": 5 * 60,
        #: reverse proxies in front of caseapp whose X-Forwarded-For/-Proto/-Host to believe (0 = none: the client
        #: address is the connection's). Set it to the number of proxies, or everyone shares one rate-limit bucket
        #: and the audit trail records the proxy's address.
        "TRUSTED_PROXIES": 0,
        # callbacks and their clocks (caseapp/callbacks/due.py, workers/schedule.py)
        "REMINDER_LEAD_SECONDS": 10 * 60,  # a reminder goes out this long before a callback is due
        "SCAN_INTERVAL_SECONDS": 30,  # how often beat runs callbacks.remind_due and callbacks.run_clocks
        "SCAN_BATCH_SIZE": 2000,  # callbacks claimed per scan; the next scan takes the rest
        "POOL_WHEN_OFF_SHIFT": True,  # at due time, a callback whose assignee is off shift goes to the pool
        "ESCALATE_AFTER_SECONDS": 15 * 60,  # scheduled, not started this long after due: the managers are told
        "MISSED_AFTER_SECONDS": 60 * 60,  # still not started this long after due: marked missed
        "STALLED_NUDGE_SECONDS": 30 * 60,  # in progress with no outcome this long after the start: advisor reminded
        "STALLED_ALERT_SECONDS": 60 * 60,  # ... this long: the managers are told
        "RETRY_PROMPT_SECONDS": 15 * 60,  # no answer and no new time this long after the attempt: advisor asked
        "RETRY_POOL_SECONDS": 60 * 60,  # ... this long: to the pool
        "RETRY_MISSED_SECONDS": 4 * 60 * 60,  # ... this long: marked missed
        "HANDOVER_ACCEPT_SECONDS": 15 * 60,  # a callback handed to a colleague and not accepted this long: to the pool
        "REMINDER_CHANNELS": "email,in_app",  # any of email, in_app, sms (also the advisor's nudges and prompts)
        "ESCALATION_CHANNELS": "email,in_app",
        # the outbox (caseapp/reminders): delivery, retries and the sweeper
        "SWEEP_INTERVAL_SECONDS": 10,  # how often beat runs reminders.sweep
        "AUDIT_SEAL_INTERVAL_SECONDS": 5,  # how often beat runs audit.seal (the audit trail's hash chain)
        "OUTBOX_DISPATCH_GRACE_SECONDS": 10,  # a row not handed to the broker this long after it could be: queued
        "OUTBOX_LOST_SECONDS": 60,  # a row whose task the broker took this long ago and that is still pending: queued
        "DELIVERY_LEASE_SECONDS": 45,  # a delivery's claim lasts this long (longer than any send: SMTP timeouts)
        "DELIVERY_BATCH_SIZE": 100,  # outbox rows per delivery task (claimed in one UPDATE, sent on one connection)
        #: emails marked sent per commit: at most this many are sent twice (same Message-ID) if a worker dies
        "DELIVERY_MARK_SENT_EVERY": 10,
        # `caseapp worker`: the pool and how many tasks it runs at once (threads: sends wait on the mail server,
        # not the CPU); the database pool is sized to match
        "WORKER_POOL": "threads",
        "WORKER_CONCURRENCY": 16,
        "OUTBOX_MAX_ATTEMPTS": 5,  # delivery attempts before a message is marked failed
        "DELIVERY_RETRY_BACKOFF_SECONDS": 30,  # next attempt within this after the first failure, doubling, jittered
        "DELIVERY_RETRY_BACKOFF_MAX_SECONDS": 10 * 60,
        "CALLBACK_MAX_FAILED_ATTEMPTS": 3,  # failed attempts before a callback is closed as unreachable
        "CALLBACK_DEADLINE_HIGH_MINUTES": 120,  # high risk: call back within this
        "CALLBACK_DEADLINE_IMMEDIATE_DANGER_MINUTES": 30,  # immediate danger: call back within this
        # referrals (caseapp/referrals/follow_ups.py): the follow-up callback proposed after a referral's change
        "REFERRAL_SENT_FOLLOW_UP_DAYS": 3,  # after sent: has the service replied?
        "REFERRAL_ADMITTED_FOLLOW_UP_DAYS": 28,  # after admitted: how is treatment going?
        "REFERRAL_FOLLOW_UP_AT": "10:00",  # local (TIMEZONE) time of day proposed (or the caller's preferred start)
        "SMTP_TIMEOUT_SECONDS": 10,
        "SMS_PROVIDER": "logging",  # the only provider so far writes a log line (ids only)
        "MESSAGE_ID_DOMAIN": None,  # right-hand side of generated Message-IDs; defaults to MAIL_FROM's domain
        # stale cases (caseapp/cases/stale.py): open, nobody reached this many local days, no callback open
        "STALE_CASE_DAYS": 14,
        "STALE_CASES_AT": "07:00",  # local (TIMEZONE) time of day the managers are told, whatever the clocks do
        # retention (caseapp/retention, workers/retention.py): what is kept, and when the daily run applies it
        "RETAIN_CLOSED_CASES_MONTHS": 24,  # a closed case is anonymised this long after it closed
        "RETAIN_REVOKED_TOKENS_DAYS": 90,  # API tokens revoked this long ago are deleted
        "RETENTION_AT": "03:30",  # local (TIMEZONE) time of day the retention run starts
        "RETENTION_BATCH_SIZE": 200,  # cases (or callers) anonymised per transaction, so no run holds locks long
        # access to cases (caseapp/access): break-glass grants, what flags them, masked phone numbers
        "ACCESS_GRANT_HOURS": 12,  # a break-glass reason opens the case to its advisor for this long
        "BREAK_GLASS_ALERT_COUNT": 3,  # more cases than this broken into within BREAK_GLASS_ALERT_MINUTES: flagged
        "BREAK_GLASS_ALERT_MINUTES": 60,
        "ACCESS_UNUSUAL_HOURS": "",  # local HH:MM-HH:MM (e.g. 00:00-06:00) a break-glass use is flagged in; "": none
        "MASK_PHONES_FOR": "advisor",  # roles (comma-separated) shown callers' numbers as ••• ••• ••123 in lists
        # caller records (caseapp/callers/merges.py): a manager's merge of two records can be undone for this long
        "CALLER_MERGE_UNDO_DAYS": 30,
        # screening instruments (caseapp/screenings): local changes to the published defaults, after clinical review
        "SCREENING_SDS_CUTOFFS": "",  # substance=score pairs (e.g. "cannabis=4,ketamine=4") replacing SDS cut-offs
        "SCREENING_PATHWAY_OVERRIDES": "",  # instrument.band=pathway pairs replacing a suggestion rule's pathway
        # reports (caseapp/reports): CSV exports with suppress=true write counts from 1 to this - 1 as "<this"
        "REPORT_SUPPRESS_BELOW": 5,
        # telephony webhooks (caseapp/telephony): unset secrets leave their endpoint answering 503
        "TELEPHONY_SECRET": None,  # shared secret of X-Caseapp-Signature on POST /api/v1/telephony/events
        "TELEPHONY_TOLERANCE_SECONDS": 300,  # a signed timestamp further than this from our clock is refused
        "TWILIO_AUTH_TOKEN": None,  # the Twilio account's auth token (X-Twilio-Signature)
        #: the scheme and host the phone system calls us at (e.g. https://caseapp.example.org), when a proxy
        #: in between changes them; unset: the URL of the request as received
        "PUBLIC_BASE_URL": None,
        "TELEPHONY_RETENTION_DAYS": 90,  # telephony events and refused requests kept this long; numbers on calls too
        "TELEPHONY_RATE_LIMIT": "600 per minute",  # webhook requests per sending address
        "MISSED_CALL_GROUP_MINUTES": 60,  # missed calls from one number within this make one callback
        "TESTING": env == "test",
    }


def load(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Fill app.config from defaults, then the environment, then explicit overrides."""
    env = (overrides or {}).get("ENV_NAME") or os.environ.get("CASEAPP_ENV", "development")
    if env not in {"development", "test", "production"}:
        raise ConfigError(f"CASEAPP_ENV must be development, test or production, not {env!r}")
    app.config.update(defaults(env))
    app.config.from_prefixed_env("CASEAPP")
    app.config.pop("ENV", None)  # CASEAPP_ENV is read above, not a Flask setting
    app.config.update(overrides or {})
    derive(app.config)
    validate(app.config)
    if app.config["DATABASE_URL"].startswith("sqlite") or not app.config.get("SMTP_URL"):
        make_private(VAR_DIR)


def make_private(directory: Path) -> None:
    """Embedded mode keeps health data in files (the SQLite database, the broker, emails): only the user running
    caseapp may read them. The folder is 0700 and its files 0600, including files created later by SQLite, kombu
    and beat (hence the umask), and files left readable by an earlier version."""
    os.umask(0o077)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in (directory, *directory.rglob("*")):
        try:
            path.chmod(0o700 if path.is_dir() else 0o600)
        except OSError:  # not ours (e.g. a shared test folder): leave it
            continue


def derive(config: dict[str, Any]) -> None:
    """Settings computed from others (database URI, Celery, rate-limit storage)."""
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    # hide_parameters: SQL errors (and so logs) never show bound values such as phone numbers or notes
    engine_options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    if config["DATABASE_URL"].startswith("sqlite"):
        engine_options["connect_args"] = {"timeout": 30}
    else:
        # a worker's threads each hold a connection while a task runs, and the broker's dispatch note takes one more
        engine_options["pool_size"] = max(5, int(config["WORKER_CONCURRENCY"]) + 2)
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options)
    redis_url = config.get("REDIS_URL")
    config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    celery: dict[str, Any] = {
        "broker_url": redis_url or f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite'}",
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "timezone": "UTC",
        "enable_utc": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "task_default_queue": "default",  # = caseapp.tasks.Queue.DEFAULT; web dispatches land where workers listen
    }
    if redis_url:
        # unacked tasks come back after this long; longer than any retry delay we use
        celery["broker_transport_options"] = {"visibility_timeout": config["BROKER_VISIBILITY_TIMEOUT_SECONDS"]}
        celery["beat_scheduler"] = "redbeat.RedBeatScheduler"
        celery["redbeat_redis_url"] = redis_url
        celery["redbeat_lock_timeout"] = 5 * 60
    else:
        celery["beat_schedule_filename"] = str(VAR_DIR / "celerybeat-schedule")
    celery.update(config.get("CELERY_OVERRIDES") or {})
    config["CELERY"] = celery


def validate(config: dict[str, Any]) -> None:
    """Refuse settings that cannot work (any environment), and a production configuration that would be unsafe."""
    check_stale_case_settings(config)
    check_sign_in_settings(config)
    check_merge_settings(config)
    check_data_key(config)
    check_retention_settings(config)
    check_access_settings(config)
    check_screening_settings(config)
    check_telephony_settings(config)
    check_referral_settings(config)
    if config["ENV_NAME"] != "production":
        return
    problems = []
    if not config.get("DATA_KEY"):
        problems.append("CASEAPP_DATA_KEY must be set to one or more Fernet keys (`caseapp generate-data-key`)")
    secret = config.get("SECRET_KEY") or ""
    if secret == DEV_SECRET_KEY or len(str(secret)) < 32:
        problems.append("CASEAPP_SECRET_KEY must be set to a random value of at least 32 characters")
    if str(config["DATABASE_URL"]).startswith("sqlite"):
        problems.append("CASEAPP_DATABASE_URL must point at PostgreSQL in production")
    if not config.get("REDIS_URL"):
        problems.append("CASEAPP_REDIS_URL must be set in production")
    for name, least in (("TELEPHONY_SECRET", 32), ("TWILIO_AUTH_TOKEN", 32)):
        if config.get(name) and len(str(config[name])) < least:
            problems.append(f"CASEAPP_{name} must be at least {least} characters when set")
    if problems:
        raise ConfigError("Refusing to start in production: " + "; ".join(problems))


def check_sign_in_settings(config: dict[str, Any]) -> None:
    """MFA_REQUIRED_ROLES names roles; token lifetimes are whole days with the default within the maximum."""
    from caseapp.auth.models import Role  # config is loaded before any model is needed

    roles = [name.strip() for name in str(config.get("MFA_REQUIRED_ROLES") or "").split(",") if name.strip()]
    unknown = sorted(set(roles) - {role.value for role in Role})
    if unknown:
        raise ConfigError(f"CASEAPP_MFA_REQUIRED_ROLES names unknown roles: {', '.join(unknown)}")
    default_days, max_days = config.get("TOKEN_DEFAULT_DAYS"), config.get("TOKEN_MAX_DAYS")
    if not (_whole_days(default_days) and _whole_days(max_days)):
        raise ConfigError("CASEAPP_TOKEN_DEFAULT_DAYS and CASEAPP_TOKEN_MAX_DAYS must be whole numbers of days")
    if int(default_days) > int(max_days):  # type: ignore[arg-type]
        raise ConfigError("CASEAPP_TOKEN_DEFAULT_DAYS must not be more than CASEAPP_TOKEN_MAX_DAYS")


def check_merge_settings(config: dict[str, Any]) -> None:
    if not _whole_days(config.get("CALLER_MERGE_UNDO_DAYS")):
        raise ConfigError("CASEAPP_CALLER_MERGE_UNDO_DAYS must be a whole number of days (1 or more)")


def _whole_days(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def check_data_key(config: dict[str, Any]) -> None:
    """A DATA_KEY that is set must be Fernet keys, in every environment (a typo must not start a fresh key)."""
    if config.get("DATA_KEY"):
        try:
            parse_keys(config["DATA_KEY"])
        except DataKeyError as exc:
            raise ConfigError(str(exc)) from None


#: the longest "no contact for N days" anyone may ask for (the setting, the page and the API)
STALE_CASE_DAYS_MAX = 365


def check_stale_case_settings(config: dict[str, Any]) -> None:
    """STALE_CASE_DAYS a whole number of days from 1 to 365, STALE_CASES_AT a time of day as HH:MM."""
    days = config.get("STALE_CASE_DAYS")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= STALE_CASE_DAYS_MAX:
        raise ConfigError(f"CASEAPP_STALE_CASE_DAYS must be a whole number from 1 to {STALE_CASE_DAYS_MAX}")
    try:
        parse_time_of_day(str(config.get("STALE_CASES_AT")))
    except ValueError as exc:
        raise ConfigError("CASEAPP_STALE_CASES_AT must be a time of day as HH:MM, e.g. 07:00") from exc


def check_retention_settings(config: dict[str, Any]) -> None:
    """Retention periods and the batch size whole numbers of at least 1, RETENTION_AT a time of day as HH:MM."""
    for key in ("RETAIN_CLOSED_CASES_MONTHS", "RETAIN_REVOKED_TOKENS_DAYS", "RETENTION_BATCH_SIZE"):
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"CASEAPP_{key} must be a whole number of at least 1")
    try:
        parse_time_of_day(str(config.get("RETENTION_AT")))
    except ValueError as exc:
        raise ConfigError("CASEAPP_RETENTION_AT must be a time of day as HH:MM, e.g. 03:30") from exc


def check_telephony_settings(config: dict[str, Any]) -> None:
    """Whole numbers of at least 1 for the telephony windows; PUBLIC_BASE_URL a scheme and host without a path."""
    for key in ("TELEPHONY_TOLERANCE_SECONDS", "TELEPHONY_RETENTION_DAYS", "MISSED_CALL_GROUP_MINUTES"):
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"CASEAPP_{key} must be a whole number of at least 1")
    base = config.get("PUBLIC_BASE_URL")
    if base:
        parts = urlsplit(str(base))
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            raise ConfigError("CASEAPP_PUBLIC_BASE_URL must be a scheme and host, e.g. https://caseapp.example.org")


#: the furthest ahead a referral's follow-up may be proposed
REFERRAL_FOLLOW_UP_DAYS_MAX = 365


def check_referral_settings(config: dict[str, Any]) -> None:
    """The follow-up days whole numbers from 1 to 365, REFERRAL_FOLLOW_UP_AT a time of day as HH:MM."""
    for key in ("REFERRAL_SENT_FOLLOW_UP_DAYS", "REFERRAL_ADMITTED_FOLLOW_UP_DAYS"):
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= REFERRAL_FOLLOW_UP_DAYS_MAX:
            raise ConfigError(f"CASEAPP_{key} must be a whole number of days from 1 to {REFERRAL_FOLLOW_UP_DAYS_MAX}")
    try:
        parse_time_of_day(str(config.get("REFERRAL_FOLLOW_UP_AT")))
    except ValueError as exc:
        raise ConfigError("CASEAPP_REFERRAL_FOLLOW_UP_AT must be a time of day as HH:MM, e.g. 10:00") from exc


def check_screening_settings(config: dict[str, Any]) -> None:
    """SDS cut-offs as substance=score and pathway overrides as instrument.band=pathway, each naming known values."""
    from caseapp.screenings.instruments import parse_cutoffs
    from caseapp.screenings.suggestions import parse_overrides

    for name, parse in (("SCREENING_SDS_CUTOFFS", parse_cutoffs), ("SCREENING_PATHWAY_OVERRIDES", parse_overrides)):
        try:
            parse(str(config.get(name) or ""))
        except ValueError as exc:
            raise ConfigError(f"CASEAPP_{exc}") from exc


def check_access_settings(config: dict[str, Any]) -> None:
    """Whole numbers of at least 1 for the grant and the flag thresholds, a local HH:MM-HH:MM (or nothing) for the
    unusual hours, and role names for MASK_PHONES_FOR."""
    for name in ("ACCESS_GRANT_HOURS", "BREAK_GLASS_ALERT_COUNT", "BREAK_GLASS_ALERT_MINUTES"):
        value = config.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"CASEAPP_{name} must be a whole number of at least 1")
    window = str(config.get("ACCESS_UNUSUAL_HOURS") or "")
    start, dash, end = window.partition("-")
    try:
        if window.strip() and not dash:
            raise ValueError(window)
        if window.strip():
            parse_time_of_day(start.strip())
            parse_time_of_day(end.strip())
    except ValueError as exc:
        raise ConfigError("CASEAPP_ACCESS_UNUSUAL_HOURS must be empty or HH:MM-HH:MM, e.g. 00:00-06:00") from exc
    roles = {"advisor", "manager", "admin"}
    named = {role.strip().lower() for role in str(config.get("MASK_PHONES_FOR") or "").split(",") if role.strip()}
    if named - roles:
        raise ConfigError("CASEAPP_MASK_PHONES_FOR must name roles: advisor, manager, admin (comma-separated)")
