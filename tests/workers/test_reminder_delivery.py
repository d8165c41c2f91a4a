"""1,000 callbacks falling due together → exactly 1,000 reminder emails, each to the right advisor, none twice;
and the same with the worker SIGKILLed in the middle of the batch and restarted."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from tests.workers.conftest import Stack, figures, seed_callbacks, wait_for

BATCH = 1000
#: the batch tests deliver email only (the figure is about emails): 1,000 tasks rather than 2,000 keeps the suite
#: within its time budget on two cores; in-app delivery is exercised by the other worker tests and tests/integration
EMAIL_ONLY = {"REMINDER_CHANNELS": "email"}


def _check_exactly_once(stack: Stack, expected: dict[int, str]) -> tuple[int, int]:
    """Every email row sent, received once per (Message-ID, recipient), by its callback's advisor; returns
    (messages received, distinct messages received)."""
    rows = stack.email_rows()
    received = Counter(stack.smtp.deliveries())
    by_message_id = {mid: (callback_id, status, email) for callback_id, mid, status, email in rows}
    assert len(rows) == len(expected)
    assert {status for _, _, status, _ in rows} == {"sent"}
    assert set(received) == {(mid, email) for _, mid, _, email in rows}
    for message_id, recipient in received:
        callback_id, _, email = by_message_id[message_id]
        assert recipient == email == expected[callback_id]  # the right advisor
    return sum(received.values()), len(received)


def test_1000_callbacks_due_together_send_exactly_1000_reminder_emails(make_stack: Callable[..., Stack]) -> None:
    stack = make_stack(**EMAIL_ONLY)
    expected = seed_callbacks(stack.app, BATCH)
    stack.start_worker()
    started = time.monotonic()
    stack.start_beat()

    wait_for(lambda: stack.smtp.unique() >= BATCH, 180, f"{BATCH} reminder emails")
    delivered_in = time.monotonic() - started
    wait_for(lambda: stack.outbox_counts().keys() == {"sent"}, 60, "every outbox row to be sent")
    # then two more scans: a repeated scan must not send anything again
    scans = stack.processes[0].count("callbacks.remind_due")
    wait_for(lambda: stack.processes[0].count("callbacks.remind_due") >= scans + 4, 30, "two more scans to run")

    total, distinct = _check_exactly_once(stack, expected)
    counts = stack.outbox_counts()
    assert (total, distinct) == (BATCH, BATCH)
    figures(
        f"{BATCH} callbacks due together -> {total} reminder emails received ({distinct} distinct, "
        f"{stack.smtp.duplicates()} duplicates), each to its advisor; outbox {counts}; "
        f"all delivered {delivered_in:.1f}s after beat started (scan interval 2s)"
    )


def test_worker_sigkilled_mid_batch_and_restarted_still_sends_exactly_1000(make_stack: Callable[..., Stack]) -> None:
    stack = make_stack(**EMAIL_ONLY)
    expected = seed_callbacks(stack.app, BATCH)
    worker = stack.start_worker("worker1")
    stack.start_beat()
    wait_for(lambda: stack.smtp.unique() >= 300, 180, "the batch to be under way")

    stack.kill(worker)
    at_kill = stack.smtp.unique()
    in_flight = stack.outbox_counts().get("sending", 0)
    assert at_kill < BATCH, "the batch finished before the kill; nothing was proved"
    restarted = time.monotonic()
    stack.start_worker("worker2")

    wait_for(lambda: stack.smtp.unique() >= BATCH, 180, f"{BATCH} reminder emails after the restart")
    recovered_in = time.monotonic() - restarted
    wait_for(lambda: stack.outbox_counts().keys() == {"sent"}, 60, "every outbox row to be sent")

    total, distinct = _check_exactly_once(stack, expected)
    assert distinct == BATCH
    # an email whose SMTP DATA was accepted in the instant before the kill, before `sent` was committed, is sent
    # again with the same Message-ID (receivers deduplicate on it); at most the rows caught `sending` by the kill
    assert total - distinct <= in_flight
    figures(
        f"worker SIGKILLed after {at_kill}/{BATCH} emails ({in_flight} rows caught 'sending'), restarted -> "
        f"{distinct} distinct reminder emails, {total} received, {total - distinct} resent with the same Message-ID; "
        f"completed {recovered_in:.1f}s after the restart (sweeper: rows stale after 8s)"
    )
