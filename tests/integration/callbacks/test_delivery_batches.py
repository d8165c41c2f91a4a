"""Delivery in batches (one task per chunk of outbox ids): a recipient the mail server refuses, rows another worker
holds, emails marked sent in commits of DELIVERY_MARK_SENT_EVERY, a batch out of time or without a mail server, and
the audit events the one-statement path writes. Against a real SMTP server on loopback (tests/live.py's sink)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role, User
from caseapp.callbacks import booking, due
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.reminders import channels, delivery
from caseapp.reminders import queries as reminder_queries
from caseapp.reminders.models import DeliveryChannel, OutboxMessage, OutboxStatus
from caseapp.timeutil import now_utc
from tests import factories
from tests import outbox as outbox_support
from tests.live import SmtpSink, start_smtp_sink

Result = delivery.DeliveryResult


class Crash(Exception):
    """A worker dying between the server taking an email and the commit that marks it sent."""


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    sink, controller, url = start_smtp_sink()
    monkeypatch.setitem(app.config, "SMTP_URL", url)
    yield sink
    channels.close_connections()  # the connection this thread kept to it
    controller.stop()


def _advisors(count: int) -> list[User]:
    return [factories.make_user(role=Role.ADVISOR, email=f"batch{i}@helpline.test") for i in range(count)]


def _due_rows(case: Case, advisors: list[User], dispatched: list[Any]) -> list[OutboxMessage]:
    """One callback per advisor due in five minutes, their reminder rows written and committed (email and in-app,
    in id order); the delivery tasks they asked for are caught in `dispatched`, then cleared."""
    for advisor in advisors:
        booking.book_callback(case, due_at=now_utc() + timedelta(minutes=5), actor=advisor, assignee_id=advisor.id)
    ids = due.remind_due()
    db.session.commit()
    dispatched.clear()
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by("id")))


def _emails(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    return [row for row in rows if row.channel == DeliveryChannel.EMAIL]


def test_a_batch_sends_every_row_once_and_rings_each_bell_once(
    case: Case, smtp: SmtpSink, dispatched: list[Any]
) -> None:
    advisors = _advisors(4)
    rows = _due_rows(case, advisors, dispatched)

    first = outbox_support.deliver_batch([row.id for row in rows])
    again = outbox_support.deliver_batch([row.id for row in rows])  # a duplicate task for the same batch

    bells = Counter(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "callback_reminder")))
    assert set(first.values()) == {Result.SENT}
    assert set(again.values()) == {Result.ALREADY_DONE}
    assert sorted(smtp.deliveries()) == sorted((row.message_id, advisor_email(row)) for row in _emails(rows))
    assert bells == dict.fromkeys((a.id for a in advisors), 1)
    assert {row.status for row in rows} == {OutboxStatus.SENT}


def advisor_email(row: OutboxMessage) -> str:
    return db.session.get_one(User, row.recipient_id).email


def test_a_batch_with_one_refused_recipient_sends_the_others_and_retries_only_that_one(
    case: Case, smtp: SmtpSink, dispatched: list[Any]
) -> None:
    advisors = _advisors(3)
    rows = _due_rows(case, advisors, dispatched)
    smtp.refuse = {advisors[1].email}
    refused = next(row for row in _emails(rows) if row.recipient_id == advisors[1].id)

    results = outbox_support.deliver_batch([row.id for row in rows])

    db.session.refresh(refused)
    assert results[refused.id] == Result.RETRY
    assert [r for i, r in results.items() if i != refused.id] == [Result.SENT] * (len(rows) - 1)
    assert (refused.status, refused.attempts, (refused.last_error or "")[:8]) == (OutboxStatus.PENDING, 1, "SMTP 451")
    assert refused.next_attempt_at > reminder_queries.database_now()  # backoff: the sweeper queues it when it comes
    assert {rcpt for _, rcpt in smtp.deliveries()} == {advisors[0].email, advisors[2].email}
    assert smtp.duplicates() == 0


def test_a_batch_partly_claimed_by_another_worker_sends_only_the_rest(
    app: Flask, case: Case, smtp: SmtpSink, dispatched: list[Any]
) -> None:
    rows = _emails(_due_rows(case, _advisors(4), dispatched))
    held, abandoned, free = rows[0], rows[1], rows[2:]
    now = reminder_queries.database_now()
    # another worker claimed `held` a moment ago (it may be sending it now) and `abandoned` longer ago than the
    # lease (it died): committed claims, as that worker's claim step leaves them
    held.status, held.attempts, held.claimed_at = OutboxStatus.SENDING, 1, now
    stale = now - timedelta(seconds=int(app.config["DELIVERY_LEASE_SECONDS"]) + 1)
    abandoned.status, abandoned.attempts, abandoned.claimed_at = OutboxStatus.SENDING, 1, stale
    db.session.commit()

    results = outbox_support.deliver_batch([row.id for row in rows])

    for row in rows:
        db.session.refresh(row)
    sent_to = {message_id for message_id, _ in smtp.deliveries()}
    assert results[held.id] == Result.IN_FLIGHT
    assert (held.status, held.attempts) == (OutboxStatus.SENDING, 1)  # left to the worker that holds it
    assert held.message_id not in sent_to
    assert results[abandoned.id] == Result.SENT  # taken over: the same Message-ID, a second attempt
    assert (abandoned.status, abandoned.attempts) == (OutboxStatus.SENT, 2)
    assert all(results[row.id] == Result.SENT for row in free)
    assert sent_to == {row.message_id for row in [abandoned, *free]}


def test_emails_are_marked_sent_in_commits_so_a_crash_resends_at_most_that_many(
    app: Flask, case: Case, smtp: SmtpSink, dispatched: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "DELIVERY_MARK_SENT_EVERY", 2)
    rows = _emails(_due_rows(case, _advisors(5), dispatched))
    taken: list[int] = []

    def crash_on_the_fourth(outbox_id: int) -> None:
        taken.append(outbox_id)
        if len(taken) == 4:
            raise Crash

    with pytest.raises(Crash):
        outbox_support.deliver_batch([row.id for row in rows], after_send=crash_on_the_fourth)
    db.session.rollback()
    for row in rows:
        db.session.refresh(row)

    statuses = [row.status for row in rows]
    assert statuses[:2] == [OutboxStatus.SENT] * 2  # the first commit, of two
    assert statuses[2:] == [OutboxStatus.SENDING] * 3  # the third and fourth taken by the server, not yet marked
    assert len(smtp.deliveries()) == 4
    # after the lease the sweeper hands the rest to another delivery: the two the server had are sent again with the
    # same Message-IDs (the only repeats there can be: at most DELIVERY_MARK_SENT_EVERY), the fifth for the first time
    for row in rows[2:]:
        row.claimed_at = reminder_queries.database_now() - timedelta(minutes=10)
    db.session.commit()
    outbox_support.deliver_batch([row.id for row in rows])
    received = Counter(message_id for message_id, _ in smtp.deliveries())
    assert received == {**{row.message_id: 1 for row in rows}, rows[2].message_id: 2, rows[3].message_id: 2}


def test_a_batch_whose_time_is_up_gives_the_rest_back_unsent_and_queues_them_again(
    app: Flask, case: Case, smtp: SmtpSink, dispatched: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "DELIVERY_LEASE_SECONDS", 0)  # no time at all to start a send in
    rows = _emails(_due_rows(case, _advisors(3), dispatched))

    results = outbox_support.deliver_batch([row.id for row in rows])

    for row in rows:
        db.session.refresh(row)
    assert set(results.values()) == {outbox_support.GIVEN_BACK}
    assert {(row.status, row.attempts, row.claimed_at) for row in rows} == {(OutboxStatus.PENDING, 0, None)}
    assert smtp.deliveries() == []
    assert dispatched == [("reminders.deliver", [[row.id for row in rows]])]


def test_the_mail_server_going_away_mid_batch_leaves_the_rest_for_later_without_counting_an_attempt(
    app: Flask, case: Case, dispatched: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://127.0.0.1:9")  # nothing listens on the discard port
    rows = _emails(_due_rows(case, _advisors(3), dispatched))

    results = outbox_support.deliver_batch([row.id for row in rows])

    for row in rows:
        db.session.refresh(row)
    first, rest = rows[0], rows[1:]
    assert results[first.id] == Result.RETRY
    assert (first.attempts, (first.last_error or "").startswith("ConnectionRefusedError")) == (1, True)
    assert [results[row.id] for row in rest] == [outbox_support.GIVEN_BACK] * 2
    assert {(row.status, row.attempts, row.dispatched_at) for row in rest} == {(OutboxStatus.PENDING, 0, None)}
    assert {row.next_attempt_at for row in rest} == {first.next_attempt_at}  # the same wait as the one that failed
    assert dispatched == []  # not now: the sweeper queues them when their time comes


@pytest.mark.parametrize("microsecond", [0, 250_000])
def test_each_row_marked_sent_has_its_audit_event_with_the_row_as_it_was_sent(
    case: Case, smtp: SmtpSink, dispatched: list[Any], microsecond: int
) -> None:
    advisor = _advisors(1)[0]
    due_at = (now_utc() + timedelta(minutes=5)).replace(microsecond=microsecond)
    booking.book_callback(case, due_at=due_at, actor=advisor, assignee_id=advisor.id)
    ids = due.remind_due()
    db.session.commit()

    outbox_support.deliver_batch(ids)

    rows = {row.id: row for row in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(ids)))}
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "reminder.sent")).all()
    assert sorted(e.detail["outbox_id"] for e in events) == sorted(ids)
    for event in events:
        row = rows[event.detail["outbox_id"]]
        assert (event.entity_type, event.entity_id, event.actor_id) == ("callback", str(row.callback_id), None)
        assert event.detail == {
            "outbox_id": row.id,
            "kind": "reminder",
            "channel": row.channel.value,
            "recipient_id": advisor.id,
            "due_at": row.due_at.isoformat(),
            "attempts": 1,
            "message_id": row.message_id,
        }
