"""The `caseapp` console commands that replace themselves with another process (gunicorn, celery)."""

from __future__ import annotations

import gc
import os

import pytest
from click.testing import CliRunner

from caseapp import cli


class Replaced(Exception):
    """Raised instead of replacing the test process."""


@pytest.fixture
def execv_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []

    def fake_execv(path: str, argv: list[str]) -> None:
        calls.append(argv)
        raise Replaced

    monkeypatch.setattr(os, "execv", fake_execv)
    return calls


def test_web_runs_gunicorn_on_the_wsgi_app_without_an_access_log(execv_calls: list[list[str]]) -> None:
    result = CliRunner().invoke(cli.web, ["--bind", "127.0.0.1:9000", "--workers", "3"])

    assert isinstance(result.exception, Replaced)
    [argv] = execv_calls
    assert argv[1:3] == ["-m", "gunicorn"]
    assert argv[-1] == "caseapp.wsgi:app"
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9000"
    assert argv[argv.index("--workers") + 1] == "3"
    # gunicorn's access log prints the request line with its query string (phone numbers, names); the app already
    # logs one line per request with the path only
    assert "--access-logfile" not in argv


def test_web_defaults_to_the_measured_production_settings(
    execv_calls: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("WEB_CONCURRENCY", "CASEAPP_WEB_THREADS", "CASEAPP_WEB_WORKER_CLASS"):
        monkeypatch.delenv(name, raising=False)

    CliRunner().invoke(cli.web, [])

    [argv] = execv_calls
    assert argv[argv.index("--worker-class") + 1] == "sync"
    assert argv[argv.index("--workers") + 1] == "2"
    assert argv[argv.index("--threads") + 1] == "1"
    assert argv[argv.index("--config") + 1] == "python:caseapp.gunicorn_hooks"


def test_web_settings_come_from_the_environment(execv_calls: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("CASEAPP_WEB_THREADS", "8")
    monkeypatch.setenv("CASEAPP_WEB_WORKER_CLASS", "gthread")

    CliRunner().invoke(cli.web, [])

    [argv] = execv_calls
    assert [argv[argv.index(flag) + 1] for flag in ("--workers", "--threads", "--worker-class")] == [
        "3",
        "8",
        "gthread",
    ]


def test_each_web_worker_freezes_what_the_app_allocated_at_start_up() -> None:
    from caseapp import gunicorn_hooks

    gc.unfreeze()
    try:
        gunicorn_hooks.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(("command", "role"), [(cli.worker, "worker"), (cli.beat, "beat")])
def test_worker_and_beat_run_celery_on_the_workers_app(
    execv_calls: list[list[str]], command: object, role: str
) -> None:
    result = CliRunner().invoke(command, ["--concurrency=2"] if role == "worker" else [])  # type: ignore[arg-type]

    assert isinstance(result.exception, Replaced)
    [argv] = execv_calls
    assert argv[1:5] == ["-m", "celery", "-A", "workers.app"]
    assert argv[5] == role
    if role == "worker":
        assert argv[-1] == "--concurrency=2"
