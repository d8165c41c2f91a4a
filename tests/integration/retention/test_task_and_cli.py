"""The daily task and `caseapp retention [--dry-run]`: the same run, audited, listing ids and counts but no names."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import Flask

from caseapp.auth.models import User
from caseapp.callers.models import Caller
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.tasks import TaskName
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import audit_events
from tests.integration.retention.support import History, backdate, make_history
from workers.daily import DailyAt
from workers.schedule import build_schedule


def _due(advisor: User) -> History:
    history = make_history(advisor, closed_at=now_utc() - relativedelta(months=25))
    backdate(history, by=timedelta(days=800))
    db.session.commit()
    return history


def _state(history: History) -> tuple[Any, ...]:
    db.session.expire_all()
    caller = db.session.get(Caller, history.caller.id)
    case = db.session.get(Case, history.case.id)
    assert caller is not None
    assert case is not None
    return caller.name, caller.anonymised_at, case.anonymised_at


def test_the_dry_run_lists_ids_and_counts_never_names_and_changes_nothing(app: Flask, db_session: Any) -> None:
    history = _due(factories.make_user())
    before = _state(history)

    result = app.test_cli_runner().invoke(args=["retention", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Would anonymise 1 case closed before" in result.output
    assert str(history.case.id) in result.output
    assert str(history.caller.id) in result.output
    assert "case_notes: 1 rows" in result.output
    assert all(needle not in result.output for needle in history.needles)
    assert _state(history) == before
    [event] = audit_events("retention.applied")
    assert event.detail["dry_run"] is True


def test_the_command_applies_the_policy(app: Flask, db_session: Any) -> None:
    history = _due(factories.make_user())

    result = app.test_cli_runner().invoke(args=["retention"])

    assert result.exit_code == 0, result.output
    assert "Anonymised 1 case closed before" in result.output
    name, caller_anonymised, case_anonymised = _state(history)
    assert name is None
    assert caller_anonymised is not None
    assert case_anonymised is not None
    [event] = audit_events("retention.applied")
    assert (event.detail["dry_run"], event.detail["cases"], event.detail["callers"]) == (False, 1, 1)


def test_the_task_applies_the_policy_and_a_second_run_finds_nothing(db_session: Any) -> None:
    from workers.retention import apply

    history = _due(factories.make_user())

    assert apply.run() == 1
    assert apply.run() == 0
    assert _state(history)[1] is not None
    assert [e.detail["cases"] for e in audit_events("retention.applied")] == [1, 0]


def test_the_task_runs_daily_at_the_configured_local_time(app: Flask) -> None:
    entry = build_schedule({**app.config, "RETENTION_AT": "04:15"})["apply-retention"]

    assert entry["task"] == TaskName.APPLY_RETENTION
    assert entry["schedule"] == DailyAt("04:15", "Europe/London")
