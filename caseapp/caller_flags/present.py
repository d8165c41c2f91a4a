"""Flags as a page, a banner or the API shows them to one person: the reason only if they may read the caller."""

from __future__ import annotations

from datetime import datetime

from caseapp.api import Extended
from caseapp.auth.models import User
from caseapp.caller_flags import services
from caseapp.caller_flags.models import CallerFlag
from caseapp.callers.models import Caller
from caseapp.timeutil import now_utc


def shown(
    flags: list[CallerFlag], actor: User, *, found: Caller | None = None, now: datetime | None = None
) -> list[Extended]:
    """Each flag with `reason`/`end_note` (None when hidden), `reason_hidden`, `in_force`, `seconds_left` and
    `may_lift` for this actor; `found` is the caller the number looked up belongs to, if any."""
    at = now or now_utc()
    readable: dict[int | None, bool] = {}
    out = []
    for flag in flags:
        key = flag.caller_id
        if key not in readable:
            readable[key] = services.reason_readable(flag, actor, found)
        visible = readable[key]
        out.append(
            Extended(
                flag,
                reason=flag.reason if visible else None,
                end_note=flag.end_note if visible else None,
                reason_hidden=not visible,
                in_force=flag.is_active_at(at),
                seconds_left=max(0, int((flag.expires_at - at).total_seconds())),
                may_lift=flag.is_active_at(at) and services.may_lift(flag, actor),
            )
        )
    return out


def time_left(seconds: int) -> str:
    """'2 days 3 h left', '5 h 10 min left', '40 min left' (for templates)."""
    minutes = max(0, seconds) // 60
    days, hours, mins = minutes // 1440, (minutes % 1440) // 60, minutes % 60
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h left"
    return f"{hours} h {mins:02d} min left" if hours else f"{mins} min left"
