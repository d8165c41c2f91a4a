"""Fixtures for callbacks and reminders: captured task dispatches, a consenting caller's case, people on shift."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from tests import factories


@pytest.fixture
def dispatched(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[Any]]]:
    """Tasks sent after commit, as (name, args), instead of going to the broker."""
    sent: list[tuple[str, list[Any]]] = []

    def send_task(name: str, args: list[Any] | None = None, **_: Any) -> None:
        sent.append((name, list(args or [])))

    monkeypatch.setattr(app.extensions["celery"], "send_task", send_task)
    return sent


@pytest.fixture
def advisor(db_session: Any) -> User:
    return factories.make_user(role=Role.ADVISOR, full_name="Alex Advisor")


@pytest.fixture
def case(db_session: Any) -> Case:
    """An open case whose caller agreed to callbacks (not to voicemail), with no preferred times."""
    return factories.make_case(factories.make_caller(consent_callback=True, name="Jo Bloggs"))
