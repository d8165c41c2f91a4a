"""Every task caseapp can ask for is registered in the worker, and every beat entry names one of them."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest
from celery.schedules import BaseSchedule, crontab

from caseapp.tasks import Queue, TaskName
from workers.broker import TRANSPORT
from workers.retry import PERIODIC_RETRY


@pytest.fixture(scope="module")
def workers_app(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """workers.app as `celery -A workers.app` loads it, from CASEAPP_* variables. The same Redis URL as the other
    apps of the run: Flask-Limiter keeps one storage for every app. The database is never connected to here."""
    database = Path(tmp_path_factory.mktemp("workers")) / "unused.sqlite"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CASEAPP_REDIS_URL", redis_url)
        env.setenv("CASEAPP_DATABASE_URL", f"sqlite:///{database}")
        return importlib.import_module("workers.app")


def test_every_task_name_is_registered_in_the_worker(workers_app: ModuleType) -> None:
    registered = set(workers_app.celery_app.tasks)

    assert {str(name) for name in TaskName} - registered == set()


def test_every_worker_task_has_an_explicit_task_name(workers_app: ModuleType) -> None:
    ours = {name for name in workers_app.celery_app.tasks if not name.startswith("celery.")}

    assert ours - {str(name) for name in TaskName} == set(), "add the name to caseapp.tasks.TaskName"


def test_every_beat_entry_names_a_registered_task_on_a_known_queue(workers_app: ModuleType) -> None:
    beat_schedule = workers_app.celery_app.conf.beat_schedule
    registered = set(workers_app.celery_app.tasks)
    queues = {queue.value for queue in Queue}

    assert beat_schedule
    for name, entry in beat_schedule.items():
        assert entry["task"] in registered, f"beat entry {name!r} runs unknown task {entry['task']!r}"
        assert entry.get("options", {}).get("queue", Queue.DEFAULT.value) in queues, name
        assert isinstance(entry["schedule"], BaseSchedule) or hasattr(entry["schedule"], "total_seconds"), name


def test_worker_celery_settings_are_json_only_and_ack_late(workers_app: ModuleType) -> None:
    conf = workers_app.celery_app.conf

    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_ignore_result is True
    assert conf.task_always_eager is False
    # an unacknowledged task goes to another worker only after it outlives any countdown and any delivery's claim
    longest = max(PERIODIC_RETRY["retry_backoff_max"], workers_app.flask_app.config["DELIVERY_LEASE_SECONDS"])
    assert conf.broker_transport_options["visibility_timeout"] > longest
    assert conf.broker_transport == TRANSPORT  # survives Redis going away with tasks unacknowledged


def test_reminders_are_scanned_at_every_minute_as_well_as_every_scan_interval(workers_app: ModuleType) -> None:
    beat_schedule = workers_app.celery_app.conf.beat_schedule
    scans = {name: entry["schedule"] for name, entry in beat_schedule.items() if entry["task"] == TaskName.REMIND_DUE}

    assert set(scans) == {"remind-due-callbacks", "remind-due-at-the-minute"}
    assert scans["remind-due-at-the-minute"] == crontab(minute="*")
