"""Handover at the end of a shift with a real worker and beat: an advisor clocks off handing two callbacks to a
colleague and one to the pool; the colleague accepts one; the one left unaccepted goes back to the pool when beat's
run_clocks reaches its time (not before, and once), and the people on shift are told. The reminder of a callback
handed over goes to its new holder, by email as well."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role, User
from caseapp.callbacks.models import Callback, Handover
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.reference import HandoverStatus
from caseapp.timeutil import now_utc
from tests import factories
from tests.workers.conftest import Stack, figures, wait_for

ACCEPT_SECONDS = 6


def _staff(stack: Stack) -> dict[str, tuple[int, str]]:
    """The giver, the colleague and a third advisor, each on shift with an API token: name → (user id, token)."""

    def make() -> dict[str, tuple[int, str]]:
        people = {}
        for name in ("giver", "colleague", "third"):
            user = factories.make_user(role=Role.ADVISOR, email=f"{name}@helpline.test", full_name=f"{name.title()} T")
            factories.make_shift(user)
            people[name] = (user.id, factories.make_token(user)[1])
        db.session.commit()
        return people

    result: dict[str, tuple[int, str]] = stack.query(make)
    return result


def _callbacks(stack: Stack, holder_id: int, count: int) -> list[int]:
    def make() -> list[int]:
        holder = db.session.get_one(User, holder_id)
        case = factories.make_case(factories.make_caller(consent_callback=True), actor=holder)
        made = [
            factories.make_callback(
                case, actor=holder, assignee_id=holder_id, due_at=now_utc() + timedelta(minutes=30 + n)
            ).id
            for n in range(count)
        ]
        db.session.commit()
        return made

    result: list[int] = stack.query(make)
    return result


def _handover_of(stack: Stack, callback_id: int) -> tuple[HandoverStatus, Any, Any, int | None]:
    """(status, created_at, responded_at, who holds the callback) of the callback's latest handover."""

    def read() -> tuple[HandoverStatus, Any, Any, int | None]:
        row = db.session.scalars(
            sa.select(Handover).where(Handover.callback_id == callback_id).order_by(Handover.id.desc())
        ).first()
        assert row is not None
        return row.status, row.created_at, row.responded_at, db.session.get_one(Callback, callback_id).assignee_id

    result: tuple[HandoverStatus, Any, Any, int | None] = stack.query(read)
    return result


def _count(stack: Stack, query: Any) -> int:
    return int(stack.query(lambda: db.session.scalar(query)) or 0)


def test_clock_off_handing_over_then_one_accepted_and_one_back_to_the_pool_on_the_clock(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack(HANDOVER_ACCEPT_SECONDS=ACCEPT_SECONDS)
    people = _staff(stack)
    (giver, giver_token), (colleague, colleague_token), (third, _) = (
        people["giver"],
        people["colleague"],
        people["third"],
    )
    accepted, unaccepted, pooled = _callbacks(stack, giver, 3)
    worker = stack.start_worker()
    stack.start_beat()
    client = stack.app.test_client()

    ended = client.post(
        "/api/v1/shifts/current/end",
        headers={"Authorization": f"Bearer {giver_token}"},
        json={
            "handovers": [
                {"callback_id": accepted, "to_user_id": colleague, "note": "Ask for Jo; Dad may answer"},
                {"callback_id": unaccepted, "to_user_id": colleague, "note": "Ring the mobile first"},
                {"callback_id": pooled, "to_user_id": None, "note": "Needs an interpreter (Polish)"},
            ]
        },
    )
    assert ended.status_code == 200, ended.get_json()
    handover_ids = {h["callback_id"]: h["id"] for h in ended.get_json()["handovers"]}
    took = client.post(
        f"/api/v1/handovers/{handover_ids[accepted]}/accept", headers={"Authorization": f"Bearer {colleague_token}"}
    )
    assert took.status_code == 200, took.get_json()

    # beat's run_clocks returns the unaccepted one to the pool once its time has come
    waited = wait_for(
        lambda: _handover_of(stack, unaccepted)[0] == HandoverStatus.RETURNED, 60, "the unaccepted handover to return"
    )
    status, created, responded, holder = _handover_of(stack, unaccepted)
    assert holder is None
    assert responded - created >= timedelta(seconds=ACCEPT_SECONDS)  # not before its time
    assert _handover_of(stack, accepted)[0::3] == (HandoverStatus.ACCEPTED, colleague)
    assert _handover_of(stack, pooled)[0::3] == (HandoverStatus.OFFERED, None)  # the pool waits for a claim
    # the people on shift were told: the colleague and the third advisor (not the giver, who has gone home)
    told = sa.select(Notification.user_id).where(Notification.kind == "handover_returned")
    assert sorted(stack.query(lambda: list(db.session.scalars(told)))) == sorted([colleague, third])
    # once: more scans run, nothing more happens to it
    scans = worker.count("callbacks.run_clocks")
    wait_for(lambda: worker.count("callbacks.run_clocks") >= scans + 4, 30, "two more runs of the clocks")
    returned_steps = sa.select(sa.func.count()).where(
        AuditEvent.action == "callback.handover_returned", AuditEvent.entity_id == str(unaccepted)
    )
    assert _count(stack, returned_steps) == 1
    assert "1 returned" in worker.log()

    # the callback accepted by the colleague: its reminder went to them, by email
    wait_for(
        lambda: any(rcpt == "colleague@helpline.test" for _, rcpt in stack.smtp.deliveries()),
        60,
        "the colleague's reminder email",
    )
    reminded = {rcpt for _, rcpt in stack.smtp.deliveries()}
    assert "colleague@helpline.test" in reminded
    figures(
        f"handover: clocked off with 3 open callbacks (2 to a colleague, 1 to the pool); 1 accepted; the other "
        f"returned to the pool by beat's run_clocks {(responded - created).total_seconds():.1f}s after it was offered "
        f"(HANDOVER_ACCEPT_SECONDS={ACCEPT_SECONDS}), seen {waited:.1f}s after the accept, once; "
        f"reminder emails went to {sorted(reminded)}"
    )
