"""docker-compose.yml (and its Dockerfile): the services, their wiring, and no secret with a default.

There is no Docker engine on CI or most dev machines, so the file is parsed with PyYAML; `docker compose config`
runs as well where the compose plugin exists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
APP_SERVICES = {
    "web": "caseapp web",
    "worker": "caseapp worker",
    "beat": "caseapp beat",
    "migrate": "caseapp db upgrade",
}
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY$", re.IGNORECASE)
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}")
REQUIRED = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*):?\?[^}]+\}$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = compose["services"]
    return result


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*_strings(key), *_strings(value))]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


def test_compose_has_the_production_like_services(services: dict[str, Any]) -> None:
    assert {"postgres", "redis", "web", "worker", "beat", "migrate", "mailpit"} <= set(services)
    assert str(services["postgres"]["image"]).startswith("postgres:16")
    assert str(services["redis"]["image"]).startswith("redis:7")
    assert "mailpit" in services["mailpit"]["image"]
    assert any(str(port).endswith("8025") for port in services["mailpit"]["ports"])


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_compose_app_service_builds_the_image_and_runs_its_command(services: dict[str, Any], name: str) -> None:
    service = services[name]
    build = service["build"]
    context = build if isinstance(build, str) else build["context"]
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")

    assert (ROOT / context / dockerfile).is_file()
    assert _command(service) == APP_SERVICES[name]


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_compose_app_service_is_wired_to_postgres_redis_and_mailpit(services: dict[str, Any], name: str) -> None:
    env = services[name]["environment"]

    assert env["CASEAPP_ENV"] == "production"
    assert REQUIRED.match(env["CASEAPP_SECRET_KEY"])
    assert REQUIRED.match(env["CASEAPP_DATA_KEY"])
    assert env["CASEAPP_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in env["CASEAPP_DATABASE_URL"]
    assert env["CASEAPP_REDIS_URL"].startswith("redis://redis:6379")
    assert env["CASEAPP_SMTP_URL"] == "smtp://mailpit:1025"


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_compose_app_service_starts_only_after_migrations_succeeded(services: dict[str, Any], name: str) -> None:
    depends_on = services[name]["depends_on"]

    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_compose_migrate_runs_once_after_postgres_is_healthy(services: dict[str, Any]) -> None:
    migrate = services["migrate"]

    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate.get("restart", "no") == "no"


@pytest.mark.parametrize("name", ["postgres", "redis", "mailpit", "web", "worker"])
def test_compose_service_has_a_healthcheck(services: dict[str, Any], name: str) -> None:
    test = services[name]["healthcheck"]["test"]

    assert test
    assert test[0] in {"CMD", "CMD-SHELL"}


def test_compose_gives_no_secret_a_default(compose: dict[str, Any], services: dict[str, Any]) -> None:
    for text in _strings(compose):
        for match in INTERPOLATION.finditer(text):
            if SECRET_NAME.search(match["name"]):
                assert match["op"] in {":?", "?"}, f"{match.group(0)} must be required, with no default"
    for name, service in services.items():
        env = service.get("environment") or {}
        assert isinstance(env, dict), f"{name}: use the mapping form of environment"
        for key, value in env.items():
            if SECRET_NAME.search(key):
                assert REQUIRED.match(str(value)), f"{name}: {key} must come from the environment, not the file"
    assert "${POSTGRES_PASSWORD:?" in services["web"]["environment"]["CASEAPP_DATABASE_URL"]


def test_dockerfile_installs_the_project_and_runs_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [line.split(None, 1) for line in dockerfile.splitlines() if line and not line.startswith("#")]
    users = [args.strip() for word, *rest in instructions if word == "USER" for args in rest]

    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert "pip install ." in dockerfile
    assert users
    assert users[-1] not in {"root", "0"}


def _docker_compose_available() -> str | None:
    """Why `docker compose config` cannot run here, or None when it can."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    try:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`docker compose version` failed to run: {exc}"
    if probe.returncode != 0:
        detail = (probe.stderr or probe.stdout or "no output").strip().splitlines()[0]
        return f"the docker compose plugin is not available ({detail})"
    return None


def test_docker_compose_config_accepts_the_file_and_requires_the_secrets() -> None:
    reason = _docker_compose_available()
    if reason:
        pytest.skip(f"docker compose config not run: {reason}")
    base_env = {k: v for k, v in os.environ.items() if k not in {"CASEAPP_SECRET_KEY", "POSTGRES_PASSWORD"}}
    command = ["docker", "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"]

    with_secrets = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        env={**base_env, "CASEAPP_SECRET_KEY": "x" * 48, "POSTGRES_PASSWORD": "y" * 24},
    )
    without_secrets = subprocess.run(command, capture_output=True, text=True, timeout=60, env=base_env)

    assert with_secrets.returncode == 0, with_secrets.stderr
    assert without_secrets.returncode != 0
    assert "CASEAPP_SECRET_KEY" in without_secrets.stderr or "POSTGRES_PASSWORD" in without_secrets.stderr
