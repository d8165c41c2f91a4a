"""Flags expire through the real machinery: the caller_flags.expire task sent four times to two real workers at once
closes each expired flag exactly once (at its expiry, one audit event each) and leaves the flags still in force."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
import time_machine

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role
from caseapp.caller_flags import services
from caseapp.caller_flags.models import CallerFlag, FlagKind
from caseapp.extensions import db
from caseapp.tasks import TaskName
from caseapp.timeutil import now_utc
from tests import factories
from tests.workers.conftest import Stack, wait_for


def test_two_workers_close_each_expired_flag_once_and_leave_the_rest(stack: Stack) -> None:
    def seed() -> dict[str, list[int]]:
        advisor = factories.make_user(role=Role.ADVISOR)
        factories.make_shift(advisor)
        caller = factories.make_caller()
        factories.make_case(caller, actor=advisor)
        expired, kept = [], []
        with time_machine.travel(now_utc() - timedelta(days=3), tick=False):
            for hours in (24, 25, 48):
                flag = services.raise_on_caller(
                    caller, kind=FlagKind.ABUSIVE, reason="Shouted", actor=advisor, expires_in_hours=hours
                )
                expired.append(flag.id)
        for phone in (factories.unique_phone(), caller.phone_e164):
            flag = services.raise_on_number(
                phone, kind=FlagKind.DO_NOT_RING_BACK, reason="Not this line", actor=advisor, expires_in_days=2
            )
            kept.append(flag.id)
        db.session.commit()
        return {"expired": expired, "kept": kept}

    made: dict[str, list[int]] = stack.query(seed)
    first, second = stack.start_worker("one"), stack.start_worker("two")
    celery = stack.app.extensions["celery"]

    for _ in range(4):
        celery.send_task(str(TaskName.EXPIRE_CALLER_FLAGS))

    def finished() -> int:
        return first.count(f"Task {TaskName.EXPIRE_CALLER_FLAGS}[") + second.count(
            f"Task {TaskName.EXPIRE_CALLER_FLAGS}["
        )

    wait_for(lambda: finished() >= 8, 60, "the four runs to finish")  # a "received" and a "succeeded" line each

    def outcome() -> dict[str, Any]:
        flags = {flag.id: flag for flag in db.session.scalars(sa.select(CallerFlag))}
        events = db.session.execute(
            sa.select(AuditEvent.entity_id, AuditEvent.detail).where(AuditEvent.action == "caller_flag.expired")
        ).all()
        return {
            "ended": {
                i: (str(f.end_reason), f.ended_at == f.expires_at) for i, f in flags.items() if f.ended_at is not None
            },
            "open": sorted(i for i, f in flags.items() if f.ended_at is None),
            "events": sorted(int(entity_id) for entity_id, _detail in events),
            "details": {detail["kind"] for _entity_id, detail in events},
        }

    result = stack.query(outcome)
    assert result["ended"] == dict.fromkeys(made["expired"], ("expired", True))
    assert result["open"] == sorted(made["kept"])
    assert result["events"] == sorted(made["expired"])  # exactly one each, whichever worker closed it
    assert result["details"] == {"abusive"}
    assert first.alive
    assert second.alive
    assert "Traceback" not in first.log() + second.log()
