"""The follow-up callback a referral's change proposes, and booking it through the callbacks feature.

    sent      → in REFERRAL_SENT_FOLLOW_UP_DAYS (3) days: has the service replied?
    admitted  → in REFERRAL_ADMITTED_FOLLOW_UP_DAYS (28) days: how is treatment going?

The day is counted on the UK calendar from the change's time (so a clock change in between does not move the hour),
at REFERRAL_FOLLOW_UP_AT (10:00 UK time), or at the start of the caller's preferred window when that time is outside
it; never in the past (then the next such time from now). No follow-up is proposed for a caller who has not agreed
to be called back, or on a closed case: booking would be refused. The reason names the service (a directory
entry), never the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app

from caseapp.auth.models import User
from caseapp.callbacks import booking
from caseapp.callbacks.models import Callback
from caseapp.callbacks.wallclock import within_preferred_times
from caseapp.callers.models import Caller
from caseapp.cases.models import Case
from caseapp.errors import ValidationError
from caseapp.referrals.models import Referral, ReferralStatus
from caseapp.timeutil import local_day_bounds, next_wall_clock, now_utc, parse_time_of_day, to_local

#: the setting giving the days until the follow-up after each status
DAYS_SETTING = {
    ReferralStatus.SENT: "REFERRAL_SENT_FOLLOW_UP_DAYS",
    ReferralStatus.ADMITTED: "REFERRAL_ADMITTED_FOLLOW_UP_DAYS",
}
REASONS = {
    ReferralStatus.SENT: "Referral follow-up: has {service} replied?",
    ReferralStatus.ADMITTED: "Referral follow-up: how is treatment at {service} going?",
}


@dataclass(frozen=True)
class FollowUp:
    due_at: datetime
    reason: str


def propose(referral: Referral, case: Case, now: datetime | None = None) -> FollowUp | None:
    """The follow-up the referral's current status calls for (None: none, or none could be booked)."""
    setting = DAYS_SETTING.get(referral.status)
    if setting is None or not case.is_open or not case.caller.consent_callback:
        return None
    days = int(current_app.config[setting])
    day = to_local(referral.status_changed_at).date() + timedelta(days=days)
    due_at = _on_day(day, _time_of_day(case.caller), now or now_utc())
    return FollowUp(due_at, REASONS[referral.status].format(service=referral.service.name))


def _time_of_day(caller: Caller) -> time:
    """REFERRAL_FOLLOW_UP_AT, or the start of the caller's preferred window when that is outside it."""
    default = parse_time_of_day(str(current_app.config["REFERRAL_FOLLOW_UP_AT"]))
    if caller.preferred_from is None or caller.preferred_to is None:
        return default
    probe = next_wall_clock(now_utc(), default)
    return default if within_preferred_times(caller, probe, probe) else caller.preferred_from


def _on_day(day: date, at: time, now: datetime) -> datetime:
    """`at` (UK time) on `day`, or the next `at` after now when that has passed."""
    start_of_day = local_day_bounds(day)[0]
    due_at = next_wall_clock(start_of_day - timedelta(microseconds=1), at)
    return due_at if due_at > now else next_wall_clock(now, at)


def book(referral: Referral, case: Case, *, actor: User) -> Callback:
    """Book the proposed follow-up now, held by `actor` (refused cleanly when none can be booked)."""
    proposal = propose(referral, case)
    if proposal is None:
        message = _why_none(referral, case)
        raise ValidationError(message, fields={"book_follow_up": [message]})
    return booking.book_callback(
        case, due_at=proposal.due_at, actor=actor, assignee_id=actor.id, reason=proposal.reason
    ).callback


def _why_none(referral: Referral, case: Case) -> str:
    if referral.status not in DAYS_SETTING:
        return "A follow-up callback is booked after a referral is sent or the caller is admitted."
    if not case.is_open:
        return "This case is closed, so no follow-up callback can be booked. Reopen it first."
    return booking.NO_CONSENT
