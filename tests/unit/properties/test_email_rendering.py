"""Reminder emails written directly (channels.render_plain_email) are byte for byte what the email package makes of
the same message, so a resend is the same email whichever way it was written; anything it cannot write exactly goes
back to the email package."""

from __future__ import annotations

import string
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from caseapp.reminders.channels import SMTP_POLICY, OutgoingMessage, build_email, render_plain_email

printable_words = st.text(alphabet=string.ascii_letters + string.digits + string.punctuation, min_size=1, max_size=80)
subjects = st.lists(printable_words, min_size=1, max_size=30).map(" ".join).map(lambda s: s[:200])
body_lines = st.text(alphabet=string.ascii_letters + string.digits + " .,:;!?'-/()", max_size=90)
bodies = st.lists(body_lines, max_size=8).map("\n".join) | st.lists(body_lines, max_size=8).map(
    lambda lines: "\n".join(lines) + "\n"
)
addresses = st.from_regex(r"[a-z][a-z0-9._+-]{0,20}@[a-z][a-z0-9-]{0,15}\.(org|test|uk)", fullmatch=True)
senders = addresses | addresses.map(lambda a: f"Helpline Reminders <{a}>")
moments = st.datetimes(datetime(2026, 1, 1), datetime(2028, 1, 1), timezones=st.just(UTC))


def message(subject: str, body: str, recipient: str, created_at: datetime) -> OutgoingMessage:
    return OutgoingMessage(
        outbox_id=1,
        message_id="<reminder.0123456789abcdef@helpline.test>",
        kind="reminder",
        recipient_id=1,
        recipient_email=recipient,
        subject=subject,
        body=body,
        link="/callbacks/1",
        case_id=1,
        created_at=created_at,
    )


@given(subjects, bodies, addresses, senders, moments)
def test_a_plain_email_is_written_as_the_email_package_writes_it(
    subject: str, body: str, recipient: str, sender: str, created_at: datetime
) -> None:
    outgoing = message(subject, body, recipient, created_at)

    written = render_plain_email(outgoing, sender)

    if written is not None:  # e.g. a word too long to fold: the email package's encoded words take it
        assert written == build_email(outgoing, sender).as_bytes(policy=SMTP_POLICY)


def test_the_reminders_caseapp_sends_are_written_directly_long_subjects_included() -> None:
    body = "Hi Sam,\n\nYou have a callback due at 19:00 GMT on Wed 25 Nov.\n\nCase: CA-2026-000123\n"
    for subject in (
        "Callback due 19:00 GMT on Wed 25 Nov: case CA-2026-000123",
        "Pool callback due 19:00 GMT on Wed 25 Nov: case CA-2026-000123 (urgent priority)",
    ):
        outgoing = message(subject, body, "sam@helpline.test", datetime(2026, 11, 25, 18, 50, tzinfo=UTC))

        assert render_plain_email(outgoing, "caseapp@helpline.test") == build_email(
            outgoing, "caseapp@helpline.test"
        ).as_bytes(policy=SMTP_POLICY)


@given(st.sampled_from(["Zoë", "Siân", "Łukasz"]), moments)
def test_anything_but_plain_ascii_is_left_to_the_email_package(name: str, created_at: datetime) -> None:
    in_body = message("Callback due", f"Hi {name},\n", "sam@helpline.test", created_at)
    in_subject = message(f"Callback for {name}", "Hi,\n", "sam@helpline.test", created_at)
    long_line = message("Callback due", "x" * 79 + "\n", "sam@helpline.test", created_at)

    assert render_plain_email(in_body, "caseapp@helpline.test") is None
    assert render_plain_email(in_subject, "caseapp@helpline.test") is None
    assert render_plain_email(long_line, "caseapp@helpline.test") is None
