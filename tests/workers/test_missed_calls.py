"""Three missed calls from one number within 10 minutes, posted as signed webhooks: one pooled callback, and its
reminder reaches the team on shift in-app through the outbox, delivered by a real worker on beat's scans."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.callbacks.models import Callback
from caseapp.extensions import db
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxMessage, OutboxStatus
from caseapp.telephony.models import TelephonyCall
from caseapp.timeutil import now_utc
from tests import factories
from tests.telephony_support import SETTINGS, event, post_event
from tests.workers.conftest import Stack, figures, wait_for

NUMBER = "+447911123498"


def test_three_missed_calls_in_ten_minutes_make_one_pool_callback_that_reminds_the_on_shift_team(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack(**SETTINGS, REMINDER_CHANNELS="in_app")

    def staff() -> tuple[list[int], int]:
        on_shift = [factories.make_user(role=Role.ADVISOR, email=f"on{n}@helpline.test") for n in range(2)]
        for user in on_shift:
            factories.make_shift(user)
        off_shift = factories.make_user(role=Role.ADVISOR, email="off@helpline.test")
        db.session.commit()
        return [u.id for u in on_shift], off_shift.id

    on_shift, off_shift = stack.query(staff)
    start = now_utc() - timedelta(minutes=10)
    client = stack.app.test_client()
    for n, minutes in enumerate((0, 4, 9)):
        at = (start + timedelta(minutes=minutes)).isoformat()
        response = post_event(client, event("missed", f"worker-{n}", occurred_at=at, **{"from": NUMBER}))
        assert response.status_code == 200

    def callbacks() -> list[tuple[int, int | None, int]]:
        rows = db.session.execute(sa.select(Callback.id, Callback.assignee_id, Callback.failed_attempt_count))
        return [(i, a, f) for i, a, f in rows]

    (callback,) = stack.query(callbacks)
    callback_id, assignee, failed = callback
    assert assignee is None
    assert failed == 0

    stack.start_worker()
    stack.start_beat()

    def reminders() -> list[tuple[int, str]]:
        query = sa.select(OutboxMessage.recipient_id, OutboxMessage.status).where(
            OutboxMessage.callback_id == callback_id,
            OutboxMessage.kind == OutboxKind.REMINDER,
            OutboxMessage.channel == DeliveryChannel.IN_APP,
        )
        return [(r, str(s)) for r, s in db.session.execute(query)]

    wait_for(
        lambda: sorted(stack.query(reminders)) == sorted((u, OutboxStatus.SENT.value) for u in on_shift),
        90,
        "an in-app reminder sent to each advisor on shift",
    )

    def linked() -> int:
        query = sa.select(sa.func.count()).where(TelephonyCall.callback_id == callback_id)
        return int(db.session.scalar(query) or 0)

    assert stack.query(linked) == 3
    assert off_shift not in {r for r, _ in stack.query(reminders)}
    figures(f"3 missed calls from one number in 10 minutes -> 1 pooled callback, reminded to {len(on_shift)} on shift")
