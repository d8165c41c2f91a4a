"""The words a new safety plan starts with."""

from __future__ import annotations

#: the crisis lines a new plan starts with (the advisor edits them with the caller)
SUGGESTED_SERVICES = "\n".join(
    (
        "Samaritans: 116 123 (free, day or night)",
        "NHS 111, option 2: mental health crisis",
        "999: in an emergency, or if someone cannot be woken",
        "Local drug and alcohol service: ",
    )
)
