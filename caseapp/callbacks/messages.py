"""The words of each message about a callback. Only a first name, a case reference, a time and a link: never a
caller's name, number, reason or notes, because email and SMS leave the building. Each fits the state the callback
is in."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from caseapp.reminders.outbox import Rendered
from caseapp.timeutil import to_local


def callback_link(callback_id: int) -> str:
    """The path (in-app notifications link inside caseapp)."""
    return f"/callbacks/{callback_id}"


def absolute(path: str) -> str:
    """For messages that leave caseapp (email, SMS): CASEAPP_BASE_URL + path."""
    return str(current_app.config["BASE_URL"]).rstrip("/") + path


def when(moment: datetime) -> str:
    """19:00 GMT on Wed 25 Nov: local wall-clock time with its zone, so the October hour is never ambiguous."""
    return to_local(moment).strftime("%H:%M %Z on %a %d %b")


def _message(subject: str, first_name: str, text: str, callback_id: int) -> Rendered:
    body = (
        f"Hi {first_name},\n\n{text}\n\nOpen it in caseapp: {absolute(callback_link(callback_id))}\n\n"
        "This message has no caller details on purpose; they are in caseapp.\n"
    )
    return Rendered(subject[:200], body, callback_link(callback_id))


def reminder(
    *, callback_id: int, case_reference: str, due_at: datetime, priority: str, first_name: str, pooled: bool
) -> Rendered:
    urgency = "" if priority == "normal" else f" ({priority} priority)"
    if pooled:
        subject = f"Pool callback due {when(due_at)}: case {case_reference}{urgency}"
        text = f"A callback in the shared pool is due at {when(due_at)}. Claim it if you can take it."
    else:
        subject = f"Callback due {when(due_at)}: case {case_reference}{urgency}"
        text = f"You have a callback due at {when(due_at)}.\n\nCase: {case_reference}"
    return _message(subject, first_name, text, callback_id)


def escalation(*, callback_id: int, case_reference: str, due_at: datetime, priority: str, first_name: str) -> Rendered:
    """To the managers: a callback due a while ago has not been started."""
    subject = f"Callback not started: case {case_reference}, due {when(due_at)}"
    text = (
        f"A {priority}-priority callback on case {case_reference} was due at {when(due_at)} and has not been started. "
        "Please make sure someone takes it."
    )
    return _message(subject, first_name, text, callback_id)


def stalled_nudge(*, callback_id: int, case_reference: str, started_at: datetime, first_name: str) -> Rendered:
    """To the advisor: they started a callback and recorded no outcome."""
    subject = f"How did the callback go? Case {case_reference}"
    text = (
        f"You started the callback on case {case_reference} at {when(started_at)} and no outcome is recorded yet. "
        "Record how it went (answered, no answer, voicemail…) so the caller is not left waiting."
    )
    return _message(subject, first_name, text, callback_id)


def stalled_alert(
    *, callback_id: int, case_reference: str, started_at: datetime, advisor: str, first_name: str
) -> Rendered:
    """To the managers: a started callback still has no outcome."""
    subject = f"Callback in progress with no outcome: case {case_reference}"
    text = (
        f"{advisor} started the callback on case {case_reference} at {when(started_at)} and no outcome has been "
        "recorded since. Please check whether the caller was reached."
    )
    return _message(subject, first_name, text, callback_id)


def retry_prompt(*, callback_id: int, case_reference: str, attempted_at: datetime, first_name: str) -> Rendered:
    """To the advisor: no answer, and no new time was set."""
    subject = f"No answer on case {case_reference}: choose a new time"
    text = (
        f"You could not get through on case {case_reference} at {when(attempted_at)} and no new time is set. "
        "Choose when to try again, or it goes to the shared pool."
    )
    return _message(subject, first_name, text, callback_id)
