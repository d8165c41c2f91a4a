"""The caller page's flag form (FlagPageSchema) as the service's expiry: a UK date and time, refused in the hour the
clocks skip and asking which one in the hour they repeat (as the callback booking form does), or a duration."""

from __future__ import annotations

from typing import Any

from caseapp.callbacks.wallclock import local_due_at


def expiry_from_page(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("expires_date") is not None:
        when = local_due_at(body["expires_date"], body["expires_time"], body.get("fold"), field_prefix="expires")
        return {"expires_at": when}
    if body.get("duration") is None:
        return {}
    return {"expires_in_hours" if body["unit"] == "hours" else "expires_in_days": body["duration"]}
