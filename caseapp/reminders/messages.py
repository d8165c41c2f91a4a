"""The words of each message. Only a first name, a case reference, a time and a link: never a caller's name,
number, reason or notes, because email and SMS leave the building."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from caseapp.timeutil import to_local


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    link: str


def callback_link(callback_id: int) -> str:
    """The path (in-app notifications link inside caseapp)."""
    return f"/callbacks/{callback_id}"


def absolute(path: str) -> str:
    """For messages that leave caseapp (email, SMS): CASEAPP_BASE_URL + path."""
    return str(current_app.config["BASE_URL"]).rstrip("/") + path


def _when(due_at: datetime) -> str:
    """19:00 GMT on Wed 25 Nov: local wall-clock time with its zone, so the October hour is never ambiguous."""
    return to_local(due_at).strftime("%H:%M %Z on %a %d %b")


def reminder(
    *, callback_id: int, case_reference: str, due_at: datetime, priority: str, first_name: str, pooled: bool
) -> Rendered:
    when = _when(due_at)
    urgency = "" if priority == "normal" else f" ({priority} priority)"
    if pooled:
        subject = f"Pool callback due {when}: case {case_reference}{urgency}"
        intro = f"A callback in the shared pool is due at {when}. Claim it if you can take it."
    else:
        subject = f"Callback due {when}: case {case_reference}{urgency}"
        intro = f"You have a callback due at {when}."
    body = (
        f"Hi {first_name},\n\n{intro}\n\nCase: {case_reference}\n"
        f"Open it in caseapp: {absolute(callback_link(callback_id))}\n\n"
        "This message has no caller details on purpose; they are in caseapp.\n"
    )
    return Rendered(subject[:200], body, callback_link(callback_id))


def escalation(*, callback_id: int, case_reference: str, due_at: datetime, priority: str, first_name: str) -> Rendered:
    when = _when(due_at)
    subject = f"Callback not started: case {case_reference}, due {when}"
    body = (
        f"Hi {first_name},\n\nA {priority}-priority callback on case {case_reference} was due at {when} and has "
        f"not been started.\nPlease make sure someone takes it: {absolute(callback_link(callback_id))}\n"
    )
    return Rendered(subject[:200], body, callback_link(callback_id))
