"""The `caseapp` console command: Flask's CLI (incl. `db` from Flask-Migrate) plus ours."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from caseapp.auth import queries as auth_queries
from caseapp.auth import services as auth_services
from caseapp.auth.models import Role
from caseapp.config import PROJECT_ROOT
from caseapp.config import defaults as config_defaults
from caseapp.errors import AppError
from caseapp.extensions import db
from caseapp.tasks import WORKER_READY
from caseapp.timeutil import to_local

DEMO_ACCOUNTS = [
    # (email, name, role, password) - created by `caseapp dev` only, never in production
    ("advisor@example.org", "Alex Advisor", Role.ADVISOR, "calm-harbour-2026"),
    ("manager@example.org", "Morgan Manager", Role.MANAGER, "steady-lantern-2026"),
    ("admin@example.org", "Ash Admin", Role.ADMIN, "bright-meadow-2026"),
]
#: the directory `caseapp dev` starts with (README: "Treatment services CSV")
EXAMPLE_SERVICES = PROJECT_ROOT / "examples" / "treatment-services.csv"


def _create_app(*_: Any) -> Flask:
    from caseapp import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """caseapp: helpline case management."""


def register_commands(app: Flask) -> None:
    from caseapp.audit.cli import audit
    from caseapp.directory.commands import import_services_command
    from caseapp.encryption.commands import generate_data_key, rotate_key
    from caseapp.reports.commands import seed_command
    from caseapp.retention.cli import retention_command
    from caseapp.sar.cli import sar_command

    commands = (create_user, create_token, revoke_token, dev, web, worker, beat, seed_command, audit)
    for command in (*commands, generate_data_key, rotate_key):
        app.cli.add_command(command)
    app.cli.add_command(retention_command)
    app.cli.add_command(sar_command)
    app.cli.add_command(import_services_command)


def _fail(message: str) -> None:
    raise click.ClickException(message)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "full_name", help="Full name (defaults to the part of the email before @).")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
@with_appcontext
def create_user(email: str, full_name: str | None, role: str, password_stdin: bool) -> None:
    """Create a staff account (the password is prompted for, or read from stdin)."""
    from caseapp.users.services import create_user as create

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create(
            email=email, full_name=full_name or email.split("@")[0], role=Role(role), password=password, actor_id=None
        )
    except AppError as exc:
        db.session.rollback()
        details = "; ".join(m for messages in exc.fields.values() for m in messages)
        _fail(f"{exc.message} {details}".strip())
    db.session.commit()
    click.echo(f"Created user {user.id} ({user.role.value}).")


@click.command("create-token")
@click.option("--email", required=True)
@click.option("--name", default="cli", show_default=True, help="A label to recognise the token by.")
@click.option("--days", type=int, default=None, help="Expire after this many days (default TOKEN_DEFAULT_DAYS).")
@with_appcontext
def create_token(email: str, name: str, days: int | None) -> None:
    """Create an API token for a user and print it once (it expires; at most TOKEN_MAX_DAYS)."""
    user = auth_queries.find_user_by_email(email)
    if user is None:
        _fail("No user with that email.")
    assert user is not None  # noqa: S101 - narrowed for the type checker; _fail raised
    try:
        token, secret = auth_services.create_token(user, name, actor_id=None, days=days)
    except AppError as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(secret)
    expires = to_local(token.expires_at).strftime("%Y-%m-%d %H:%M")
    click.echo(f"Token {token.id} created, expires {expires}. It is shown only now; store it safely.", err=True)


@click.command("revoke-token")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_token(token_id: int) -> None:
    """Revoke an API token by its id."""
    try:
        auth_services.revoke_token(token_id, actor_id=None)
    except AppError as exc:
        _fail(exc.message)
    db.session.commit()
    click.echo(f"Token {token_id} revoked.")


def ensure_demo_accounts() -> None:
    from caseapp.users.services import create_user as create

    for email, name, role, password in DEMO_ACCOUNTS:
        if auth_queries.find_user_by_email(email) is None:
            create(email=email, full_name=name, role=role, password=password, actor_id=None)
    db.session.commit()


def ensure_demo_directory() -> None:
    """The example treatment services, when the directory is empty (so `make run` shows a directory at once)."""
    from caseapp.directory.commands import load_file
    from caseapp.directory.queries import count_services

    if count_services() == 0:
        load_file(EXAMPLE_SERVICES)
        db.session.commit()


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def dev(host: str, port: int) -> None:
    """Embedded mode: migrate, create demo logins, run the web app and a worker with beat. Ctrl-C stops both."""
    from flask_migrate import upgrade

    if current_app.config["ENV_NAME"] == "production":
        _fail("`caseapp dev` is for a laptop; use `caseapp web`, `worker` and `beat` in production.")
    upgrade()
    ensure_demo_accounts()
    ensure_demo_directory()
    worker_process = _start_quiet_worker()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` stops the worker too, like Ctrl-C
    _print_welcome(host, port)
    try:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its access log prints query strings
        run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]
    finally:
        worker_process.send_signal(signal.SIGTERM)
        try:
            worker_process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker_process.kill()


def _start_quiet_worker(ready_timeout: float = 60) -> subprocess.Popen[str]:
    """A worker with embedded beat whose output is passed through: warnings and caseapp's own one-line events
    (Celery's banner and its line per task are left out). Returns once the worker is ready, so the URL and the
    demo logins are the last thing printed."""
    command = [*_celery(), "--quiet", "worker", "--beat", "--loglevel=INFO", "--concurrency=1", "--pool=threads"]
    env = {**os.environ, "CASEAPP_LIBRARY_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    ready = threading.Event()

    def relay() -> None:
        assert process.stdout is not None  # noqa: S101 - piped above
        for line in process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if WORKER_READY in line:
                ready.set()
        ready.set()  # the worker stopped: do not wait for it

    threading.Thread(target=relay, name="worker-output", daemon=True).start()
    ready.wait(ready_timeout)
    return process


def _print_welcome(host: str, port: int) -> None:
    click.echo("")
    click.echo(f"  caseapp is running at http://{host}:{port}/")
    click.echo("  Demo logins (embedded mode only):")
    for email, _name, role, password in DEMO_ACCOUNTS:
        click.echo(f"    {role.value:<8} {email:<22} {password}")
    click.echo("  Press Ctrl-C to stop the web app and the worker.")
    click.echo("")


#: gunicorn's production defaults, chosen by `make bench-calls` on two cores (README, Performance)
WEB_WORKERS = 2
WEB_THREADS = 1
WEB_WORKER_CLASS = "sync"


def _celery() -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "workers.app"]


@click.command("web")
@click.option("--bind", default=lambda: os.environ.get("CASEAPP_BIND", "0.0.0.0:8000"), show_default="0.0.0.0:8000")  # noqa: S104
@click.option("--workers", default=lambda: int(os.environ.get("WEB_CONCURRENCY", WEB_WORKERS)), type=int)
@click.option("--threads", default=lambda: int(os.environ.get("CASEAPP_WEB_THREADS", WEB_THREADS)), type=int)
@click.option(
    "--worker-class",
    default=lambda: os.environ.get("CASEAPP_WEB_WORKER_CLASS", WEB_WORKER_CLASS),
    type=click.Choice(["gthread", "sync"]),
)
def web(bind: str, workers: int, threads: int, worker_class: str) -> None:
    """Run the web app under gunicorn (production): `workers` processes of `threads` threads each."""
    os.execv(  # noqa: S606 - fixed argv, no shell
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--config",
            "python:caseapp.gunicorn_hooks",
            # no gunicorn access log: its request line carries the query string (phone numbers, names); the app
            # logs one line per request itself, path only (caseapp/logs.py)
            "caseapp.wsgi:app",
        ],
    )


@click.command("worker", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker (extra arguments go to `celery worker`, and win). Its pool and concurrency come from
    CASEAPP_WORKER_POOL and CASEAPP_WORKER_CONCURRENCY (which also size the database pool)."""
    defaults = config_defaults("production")
    pool = os.environ.get("CASEAPP_WORKER_POOL", defaults["WORKER_POOL"])
    concurrency = os.environ.get("CASEAPP_WORKER_CONCURRENCY", str(defaults["WORKER_CONCURRENCY"]))
    command = [*_celery(), "worker", "--loglevel=INFO", f"--pool={pool}", f"--concurrency={concurrency}", *celery_args]
    os.execv(command[0], command)  # noqa: S606


@click.command("beat", context_settings={"ignore_unknown_options": True})
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    """Run Celery beat (RedBeat when Redis is configured, so a second beat cannot double-fire)."""
    command = [*_celery(), "beat", "--loglevel=INFO", *celery_args]
    os.execv(command[0], command)  # noqa: S606
