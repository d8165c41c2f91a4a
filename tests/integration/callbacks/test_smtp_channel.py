"""The SMTP channel's kept connection: a connection gone stale before a message is sent on a new one, but a message
whose DATA went out and whose reply never came is not sent again by the channel (the server may have taken it; the
outbox retries it later with the same Message-ID, the one repeat allowed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from caseapp.reminders import channels
from caseapp.reminders.channels import OutgoingMessage, SmtpChannel, SmtpSettings, TransientDeliveryError
from tests.live import SmtpSink, start_smtp_sink

TIMEOUT = 0.5


@pytest.fixture
def sink() -> Iterator[tuple[SmtpSink, SmtpChannel]]:
    smtp, controller, url = start_smtp_sink()
    channel = SmtpChannel(SmtpSettings.from_url(url), "caseapp@helpline.test", TIMEOUT)
    yield smtp, channel
    channels.close_connections()
    controller.stop()


def message(number: int) -> OutgoingMessage:
    return OutgoingMessage(
        outbox_id=number,
        message_id=f"<reminder-{number}@helpline.test>",
        kind="reminder",
        recipient_id=1,
        recipient_email="advisor@helpline.test",
        subject=f"Callback due: case CA-2027-{number:06d}",
        body="You have a callback due.",
        link="/callbacks/1",
        case_id=1,
        created_at=datetime(2027, 5, 1, 12, 0, tzinfo=UTC),
    )


def test_a_reply_that_times_out_after_data_is_not_sent_again_on_a_new_connection(
    sink: tuple[SmtpSink, SmtpChannel],
) -> None:
    smtp, channel = sink
    channel.send(message(1))  # the connection is kept for the next message
    smtp.delay = TIMEOUT * 3  # the server takes its time to answer DATA

    with pytest.raises(TransientDeliveryError):
        channel.send(message(2))

    assert smtp.data_received == 2  # the second message's DATA went out once, not again on a new connection


def test_a_kept_connection_the_server_closed_is_replaced_and_the_message_sent(
    sink: tuple[SmtpSink, SmtpChannel],
) -> None:
    smtp, channel = sink
    channel.send(message(1))
    for kept, _used in channels._CONNECTIONS.values():
        assert kept.sock is not None
        kept.sock.close()  # as a server closing an idle connection leaves it: the next command fails at once

    channel.send(message(2))

    assert smtp.deliveries() == [
        ("<reminder-1@helpline.test>", "advisor@helpline.test"),
        ("<reminder-2@helpline.test>", "advisor@helpline.test"),
    ]
