"""Delivery of outbox rows: guarded on state, the attempt recorded before sending, retries then `failed`, the
sweeper, and messages that carry only a first name and a case reference."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
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
from caseapp.reminders import channels, delivery, outbox, sweeper
from caseapp.reminders import queries as reminder_queries
from caseapp.reminders.models import DeliveryChannel, OutboxMessage, OutboxStatus
from caseapp.timeutil import now_utc
from tests import factories
from tests import outbox as outbox_support

Result = delivery.DeliveryResult


@pytest.fixture
def mail_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setitem(app.config, "SMTP_URL", None)
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path / "mail"))
    return tmp_path / "mail"


@pytest.fixture
def queued(case: Case, advisor: User, dispatched: list[Any]) -> dict[DeliveryChannel, OutboxMessage]:
    """A callback due in five minutes whose reminder rows have just been written (email and in-app)."""
    case.caller.phone_e164 = "+447700900123"
    callback = booking.book_callback(
        case,
        due_at=now_utc() + timedelta(minutes=5),
        actor=advisor,
        assignee_id=advisor.id,
        reason="relapse after detox; partner must not know",
    ).callback
    due.remind_due()
    db.session.commit()
    rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.callback_id == callback.id))
    return {row.channel: row for row in rows}


def test_in_app_delivery_makes_one_notification_however_often_it_runs(
    queued: dict[DeliveryChannel, OutboxMessage], advisor: User
) -> None:
    row = queued[DeliveryChannel.IN_APP]

    results = [outbox_support.deliver(row.id) for _ in range(3)]

    notes = list(db.session.scalars(sa.select(Notification).where(Notification.user_id == advisor.id)))
    assert results == [Result.SENT, Result.ALREADY_DONE, Result.ALREADY_DONE]
    assert len(notes) == 1
    assert notes[0].kind == "callback_reminder"
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 1


def test_email_delivery_writes_one_eml_named_by_its_message_id_and_audits_it(
    queued: dict[DeliveryChannel, OutboxMessage], mail_dir: Path, advisor: User
) -> None:
    row = queued[DeliveryChannel.EMAIL]

    result = outbox_support.deliver(row.id)

    files = list(mail_dir.glob("*.eml"))
    email = message_from_bytes(files[0].read_bytes())
    assert result == Result.SENT
    assert len(files) == 1
    assert email["Message-ID"] == row.message_id
    assert email["To"] == advisor.email
    sent = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "reminder.sent")).all()
    assert [e.detail["outbox_id"] for e in sent] == [row.id]


def test_reminder_messages_carry_only_a_first_name_and_the_case_reference(
    queued: dict[DeliveryChannel, OutboxMessage], case: Case
) -> None:
    for row in queued.values():
        text = f"{row.subject}\n{row.body}"
        assert case.reference in text
        assert "Alex" in text
        for private in ("Jo", "Bloggs", "7700", "07700", "relapse", "partner", "Advisor"):
            assert private not in text, private


def test_a_transient_failure_goes_back_to_pending_then_fails_for_good_at_the_attempt_limit(
    app: Flask, queued: dict[DeliveryChannel, OutboxMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://127.0.0.1:9")  # nothing listens on the discard port
    manager = factories.make_user(role=Role.MANAGER)
    db.session.commit()
    row = queued[DeliveryChannel.EMAIL]

    first = outbox_support.deliver(row.id)
    after_first = (row.status, row.attempts, row.last_error, row.dispatched_at)
    waits = row.next_attempt_at - reminder_queries.database_now()
    too_early = outbox_support.deliver(row.id)  # a duplicate task before the retry's time does nothing
    row.next_attempt_at = reminder_queries.database_now()  # the backoff has passed
    db.session.commit()
    final = outbox_support.deliver(row.id)

    assert first == Result.RETRY
    assert after_first[0] == OutboxStatus.PENDING
    assert after_first[1] == 1
    assert "ConnectionRefusedError" in (after_first[2] or "")
    assert after_first[3] is None  # its next task is queued by the sweeper when the retry is due
    assert timedelta(seconds=14) < waits <= timedelta(seconds=30)  # DELIVERY_RETRY_BACKOFF_SECONDS, jittered
    assert too_early == Result.NOT_YET
    assert final == Result.FAILED
    assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.FAILED, 2, None)
    assert reminder_queries.failed_messages() == [row]
    bell = db.session.scalars(sa.select(Notification).where(Notification.user_id == manager.id)).all()
    assert [n.kind for n in bell] == ["delivery_failed"]


def test_a_permanent_refusal_fails_at_once(
    queued: dict[DeliveryChannel, OutboxMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Any, message: Any) -> None:
        raise channels.PermanentDeliveryError("SMTP 550: mailbox unavailable")

    monkeypatch.setattr(channels.MailDirChannel, "send", refuse)
    row = queued[DeliveryChannel.EMAIL]

    assert outbox_support.deliver(row.id) == Result.FAILED
    assert (row.attempts, row.last_error) == (1, "SMTP 550: mailbox unavailable")


def test_a_row_claimed_moments_ago_is_left_to_its_delivery(queued: dict[DeliveryChannel, OutboxMessage]) -> None:
    row = queued[DeliveryChannel.IN_APP]
    row.status, row.attempts, row.claimed_at = OutboxStatus.SENDING, 1, reminder_queries.database_now()
    db.session.commit()

    assert outbox_support.deliver(row.id) == Result.IN_FLIGHT
    assert row.attempts == 1


def test_a_row_left_sending_by_a_crashed_delivery_is_swept_and_sent_with_the_same_message_id(
    queued: dict[DeliveryChannel, OutboxMessage], mail_dir: Path, dispatched: list[Any]
) -> None:
    row = queued[DeliveryChannel.EMAIL]
    long_ago = reminder_queries.database_now() - timedelta(minutes=10)
    row.status, row.attempts, row.claimed_at, row.dispatched_at = OutboxStatus.SENDING, 1, long_ago, long_ago
    db.session.commit()
    dispatched.clear()

    swept = sweeper.sweep()
    db.session.commit()
    result = outbox_support.deliver(row.id)

    assert row.id in swept
    assert ("reminders.deliver", [[row.id]]) in dispatched
    assert result == Result.SENT
    assert row.attempts == 2
    assert [message_from_bytes(p.read_bytes())["Message-ID"] for p in mail_dir.glob("*.eml")] == [row.message_id]


def test_sweep_leaves_fresh_rows_alone(queued: dict[DeliveryChannel, OutboxMessage], dispatched: list[Any]) -> None:
    dispatched.clear()

    assert sweeper.sweep() == []
    assert dispatched == []


def test_a_deactivated_recipient_is_not_sent_to(
    queued: dict[DeliveryChannel, OutboxMessage], advisor: User, mail_dir: Path
) -> None:
    advisor.is_active = False
    db.session.commit()

    assert outbox_support.deliver(queued[DeliveryChannel.EMAIL].id) == Result.WITHDRAWN
    assert not mail_dir.exists() or list(mail_dir.iterdir()) == []


def test_manager_can_send_a_failed_message_again(
    queued: dict[DeliveryChannel, OutboxMessage], dispatched: list[Any]
) -> None:
    manager = factories.make_user(role=Role.MANAGER)
    row = queued[DeliveryChannel.IN_APP]
    row.status, row.attempts, row.last_error = OutboxStatus.FAILED, 5, "SMTP 451"
    db.session.commit()
    dispatched.clear()

    outbox.requeue_failed(row.id, actor=manager)
    db.session.commit()

    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    assert dispatched == [("reminders.deliver", [[row.id]])]
    assert outbox_support.deliver(row.id) == Result.SENT


def test_smtp_url_parsing() -> None:
    plain = channels.SmtpSettings.from_url("smtp://127.0.0.1:2525")
    secure = channels.SmtpSettings.from_url("smtps://user%40x:p%3Ass@mail.example.org")

    assert (plain.host, plain.port, plain.use_ssl, plain.username) == ("127.0.0.1", 2525, False, None)
    assert (secure.port, secure.use_ssl, secure.username, secure.password) == (465, True, "user@x", "p:ss")
    with pytest.raises(ValueError, match="CASEAPP_SMTP_URL"):
        channels.SmtpSettings.from_url("http://example.org")


def test_sms_channel_goes_through_its_provider_with_ids_only(
    app: Flask, case: Case, advisor: User, dispatched: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setitem(app.config, "REMINDER_CHANNELS", "sms")
    monkeypatch.setattr(channels.LoggingSmsProvider, "send_sms", lambda self, **kwargs: sent.append(kwargs))
    booking.book_callback(case, due_at=now_utc() + timedelta(minutes=5), actor=advisor, assignee_id=advisor.id)
    [outbox_id] = due.remind_due()
    db.session.commit()

    assert outbox_support.deliver(outbox_id) == Result.SENT
    assert len(sent) == 1
    assert sent[0]["recipient_id"] == advisor.id
    assert sent[0]["text"].startswith("Callback due")
    assert sent[0]["reference"].startswith("<reminder.")
