"""The stale-cases notice with the real Celery machinery: the beat entry as RedBeat keeps it in Redis, firing at 07:00
UK time across the March and October clock changes; a real beat process storing it; and the task run twice through
a real worker telling each manager once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
import sqlalchemy as sa
import time_machine
from celery import Celery

from caseapp.auth.models import Role, User
from caseapp.cases.models import StaleCaseDigest
from caseapp.config import defaults
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.tasks import TaskName
from caseapp.timeutil import now_utc
from tests import factories
from tests.workers.conftest import Stack, wait_for
from workers.beat import ResilientRedBeatScheduler, WallClockEntry
from workers.daily import DailyAt
from workers.schedule import build_schedule

ENTRY = "notify-stale-cases"


def utc(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def beat_app(redis_url: str) -> Iterator[Celery]:
    """A Celery app configured as beat is (UTC, RedBeat on Redis), with the app's whole schedule, under a key prefix
    of its own; its keys are deleted afterwards."""
    prefix = f"test-stale-{uuid.uuid4().hex[:8]}:"
    app = Celery("stale-beat-test", set_as_current=False)
    app.conf.update(
        timezone="UTC",
        enable_utc=True,
        broker_url=redis_url,
        redbeat_redis_url=redis_url,
        redbeat_key_prefix=prefix,
        beat_schedule=build_schedule(defaults("test")),
    )
    yield app
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)


def _stored(app: Celery) -> WallClockEntry:
    """The entry as a beat reads it back from Redis on each tick."""
    return WallClockEntry.from_key(WallClockEntry.generate_key(app, ENTRY), app=app)


def _score(app: Celery, redis_url: str) -> float | None:
    """When RedBeat will next load the entry to see whether it is due (its score in the schedule's sorted set)."""
    client = redis.Redis.from_url(redis_url)
    score: float | None = client.zscore(app.redbeat_conf.schedule_key, WallClockEntry.generate_key(app, ENTRY))
    return score


@pytest.mark.parametrize(
    ("installed", "runs"),
    [
        (utc(3, 27, 12), [utc(3, 28, 7), utc(3, 29, 6), utc(3, 30, 6)]),  # 07:00 GMT, then 07:00 BST
        (utc(10, 23, 12), [utc(10, 24, 6), utc(10, 25, 7), utc(10, 26, 7)]),  # 07:00 BST, then 07:00 GMT
    ],
    ids=["march", "october"],
)
def test_the_beat_entry_fires_at_seven_uk_time_across_the_clock_change(
    beat_app: Celery, redis_url: str, installed: datetime, runs: list[datetime]
) -> None:
    with time_machine.travel(installed, tick=False):
        ResilientRedBeatScheduler(app=beat_app)  # installs the schedule in Redis, as beat does when it starts
    definition = redis.Redis.from_url(redis_url).hget(WallClockEntry.generate_key(beat_app, ENTRY), "definition")
    assert definition is not None
    assert b'"__type__": "caseapp_daily_at"' in definition
    assert isinstance(_stored(beat_app).schedule, DailyAt)

    for run in runs:
        assert _score(beat_app, redis_url) == run.timestamp()  # RedBeat loads it at that moment...
        with time_machine.travel(run - timedelta(seconds=1), tick=False):
            assert _stored(beat_app).is_due()[0] is False  # ...and not a second before is it due
        with time_machine.travel(run, tick=False):
            entry = _stored(beat_app)
            assert entry.is_due()[0] is True
            next(entry)  # what beat does when it sends the task: the run is recorded in Redis


def test_a_real_beat_stores_the_daily_entry_and_keeps_running(stack: Stack) -> None:
    beat = stack.start_beat()
    client = redis.Redis.from_url(stack.redis.url)

    wait_for(lambda: client.hget(f"redbeat:{ENTRY}", "definition") is not None, 30, "the entry to be in Redis")
    scans = beat.count("Sending due task remind-due-callbacks")
    wait_for(lambda: beat.count("Sending due task remind-due-callbacks") >= scans + 2, 30, "two more beat ticks")

    definition = client.hget(f"redbeat:{ENTRY}", "definition")
    assert definition is not None
    assert b"caseapp_daily_at" in definition
    assert beat.alive
    assert "Traceback" not in beat.log()


def test_the_task_run_twice_through_a_real_worker_tells_each_manager_once(stack: Stack) -> None:
    def seed() -> list[int]:
        db.session.execute(sa.update(User).values(is_active=False))
        managers = [factories.make_user(role=Role.MANAGER), factories.make_user(role=Role.ADMIN)]
        for _ in range(3):
            factories.make_case(created_at=now_utc() - timedelta(days=30))
        db.session.commit()
        return [m.id for m in managers]

    manager_ids: list[int] = stack.query(seed)
    worker = stack.start_worker()
    celery = stack.app.extensions["celery"]

    for _ in range(2):
        celery.send_task(str(TaskName.NOTIFY_STALE_CASES))
    wait_for(lambda: worker.count(f"Task {TaskName.NOTIFY_STALE_CASES}[") >= 4, 60, "both runs to finish")

    def told() -> dict[str, Any]:
        query = sa.select(Notification.user_id, sa.func.count()).where(Notification.kind == "stale_cases")
        return {
            "notices": dict(db.session.execute(query.group_by(Notification.user_id)).all()),
            "digests": db.session.scalar(sa.select(sa.func.count()).select_from(StaleCaseDigest)),
        }

    assert stack.query(told) == {"notices": dict.fromkeys(manager_ids, 1), "digests": 1}
    assert worker.count("managers notified") == 1
    assert worker.count("today's notice was given already") == 1
