"""A referral's status, and the only way it changes. The whole workflow is this table:

    from             to (allowed)
    suggested        offered, withdrawn
    offered          sent, withdrawn
    sent             accepted, declined, waitlisted, withdrawn
    waitlisted       accepted, declined, withdrawn
    accepted         admitted, did_not_attend, withdrawn
    did_not_attend   sent, withdrawn            (the service offers another date: sent again, one history)
    admitted, declined, withdrawn               final

Each change is timed (now, or an earlier time the service gave us, never before the previous step nor in the
future), recorded as a ReferralEvent, audited (`referral.status_changed`, ids and codes only) and moves the case
along where the case workflow allows it (cases/services.py `follow_referral`):

    sent                                  a case assessed → referred
    admitted                              a case referred → admitted
    declined, did_not_attend, withdrawn   a case referred → assessed, when none of its referrals is still live

`sent_at` is the first time the referral was sent (a re-send after a missed admission keeps it, so the time to
admission counts from the first send); `admitted_at` the admission. A declined referral names why (DeclineReason;
`other` with a note). Offering a suggested service applies the disclosure rule (referrals/disclosure.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.audit.services import record_event
from caseapp.auth.models import User
from caseapp.cases import queries as case_queries
from caseapp.cases import services as case_services
from caseapp.cases.models import Case
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.reference import CaseStatus
from caseapp.referrals import queries
from caseapp.referrals.disclosure import disclosure_to_store
from caseapp.referrals.models import DeclineReason, Referral, ReferralEvent, ReferralStatus
from caseapp.timeutil import format_local, now_utc

S = ReferralStatus

#: status → the statuses it may change to, in the order the pages offer them
TRANSITIONS: dict[ReferralStatus, tuple[ReferralStatus, ...]] = {
    S.SUGGESTED: (S.OFFERED, S.WITHDRAWN),
    S.OFFERED: (S.SENT, S.WITHDRAWN),
    S.SENT: (S.ACCEPTED, S.DECLINED, S.WAITLISTED, S.WITHDRAWN),
    S.WAITLISTED: (S.ACCEPTED, S.DECLINED, S.WITHDRAWN),
    S.ACCEPTED: (S.ADMITTED, S.DID_NOT_ATTEND, S.WITHDRAWN),
    S.DID_NOT_ATTEND: (S.SENT, S.WITHDRAWN),
    S.ADMITTED: (),
    S.DECLINED: (),
    S.WITHDRAWN: (),
}
FINAL = frozenset(status for status, onward in TRANSITIONS.items() if not onward)
#: a referral in one of these is still with the service (the case stays referred)
LIVE = frozenset({S.SENT, S.WAITLISTED, S.ACCEPTED})
ENDED_WITHOUT_ADMISSION = frozenset({S.DECLINED, S.DID_NOT_ATTEND, S.WITHDRAWN})
#: what each change moves the case to, when the case workflow allows it from where the case is
CASE_STATUS_AFTER: dict[ReferralStatus, CaseStatus] = {S.SENT: CaseStatus.REFERRED, S.ADMITTED: CaseStatus.ADMITTED}
#: a time a few seconds ahead of the server's clock is the client's clock: taken as now
CLOCK_SLACK = timedelta(minutes=1)
NOTE_MAX = 2000


class InvalidTransition(Conflict):
    code = "invalid_transition"


def allowed_from(status: ReferralStatus) -> tuple[ReferralStatus, ...]:
    return TRANSITIONS[status]


@dataclass(frozen=True)
class StatusChange:
    referral: Referral
    event: ReferralEvent
    case: Case


def change_status(
    referral: Referral,
    to: ReferralStatus,
    actor: User,
    *,
    at: datetime | None = None,
    note: str | None = None,
    decline_reason: DeclineReason | None = None,
    disclosed: bool | None = None,
    version: int,
) -> StatusChange:
    """Move `referral` (locked by the caller, queries.lock_referral) to `to` as `actor`, who must be allowed to
    change its case. 409 for a stale `version` or a change the table does not allow; 422 for a missing or misplaced
    decline reason, a missing disclosure, or a time in the future or before the previous step."""
    case = case_queries.get_case(referral.case_id)
    access.require(case, actor, Action.CHANGE)
    if version != referral.version:
        raise Conflict(
            "This referral was changed by someone else. Reload it and apply your change again.",
            current_version=referral.version,
        )
    _check_transition(referral.status, to)
    text = (note or "").strip() or None
    _check_decline(to, decline_reason, text)
    _check_note(text)
    when = _check_time(referral, at)
    stored_disclosure = _offer(referral, to, disclosed)
    event = ReferralEvent(
        from_status=referral.status,
        to_status=to,
        at=when,
        actor_id=actor.id,
        decline_reason=decline_reason,
        note=text,
    )
    previous = referral.status
    referral.events.append(event)
    referral.status, referral.status_changed_at = to, when
    referral.decline_reason = decline_reason
    if to is S.SENT and referral.sent_at is None:
        referral.sent_at = when
    if to is S.ADMITTED:
        referral.admitted_at = when
    db.session.flush()
    record_event(
        "referral.status_changed",
        actor_id=actor.id,
        entity_type="referral",
        entity_id=referral.id,
        detail={
            "case_id": case.id,
            "service_id": referral.service_id,
            "event_id": event.id,
            "from": previous.value,
            "to": to.value,
            "decline_reason": decline_reason.value if decline_reason else None,
            "disclosed": stored_disclosure,
            "at": when.isoformat(),
        },
    )
    _move_case(case, referral, actor)
    return StatusChange(referral, event, case)


def _check_transition(current: ReferralStatus, to: ReferralStatus) -> None:
    allowed = TRANSITIONS[current]
    if to in allowed:
        return
    if allowed:
        options = ", ".join(s.value for s in allowed)
        message = f"A referral that is {current.value} cannot become {to.value}; it can become: {options}."
    else:
        message = f"A referral that is {current.value} cannot become {to.value}; {current.value} is final."
    raise InvalidTransition(
        message,
        fields={"to": [message]},
        **{"from": current.value, "to": to.value, "allowed": [s.value for s in allowed]},
    )


def _check_decline(to: ReferralStatus, reason: DeclineReason | None, note: str | None) -> None:
    if to is S.DECLINED and reason is None:
        message = "Choose why the service declined the referral."
        raise ValidationError(message, fields={"decline_reason": [message]})
    if to is not S.DECLINED and reason is not None:
        message = "A decline reason goes only with declined."
        raise ValidationError(message, fields={"decline_reason": [message]})
    if reason is DeclineReason.OTHER and note is None:
        message = "Say in the note why the service declined (the reason is 'other')."
        raise ValidationError(message, fields={"note": [message]})


def _check_note(note: str | None) -> None:
    if note is not None and len(note) > NOTE_MAX:
        message = f"A note can be up to {NOTE_MAX:,} characters; this one has {len(note):,}."
        raise ValidationError(message, fields={"note": [message]})


def _check_time(referral: Referral, at: datetime | None) -> datetime:
    now = now_utc()
    if at is None:
        return now
    if at.tzinfo is None or at.utcoffset() is None:
        message = "Give the time with its offset or Z."
        raise ValidationError(message, fields={"at": [message]})
    if at > now + CLOCK_SLACK:
        message = "That time is in the future. Record a change once it has happened."
        raise ValidationError(message, fields={"at": [message]})
    if at < referral.status_changed_at:
        message = (
            f"That is before the referral's previous step ({format_local(referral.status_changed_at)}). "
            "Give a time after it."
        )
        raise ValidationError(message, fields={"at": [message]})
    return min(at, now)


def _offer(referral: Referral, to: ReferralStatus, disclosed: bool | None) -> bool | None:
    """suggested → offered: the disclosure rule, recorded on the offer's item; elsewhere `disclosed` is refused."""
    if not (referral.status is S.SUGGESTED and to is S.OFFERED):
        if disclosed is not None:
            message = "Disclosure is recorded when a suggested service is offered to the caller."
            raise ValidationError(message, fields={"disclosed": [message]})
        return None
    stored = disclosure_to_store(referral.service, disclosed)
    item = referral.offer_item
    if item is not None:
        item.offered, item.disclosed = True, stored
    return stored


def _move_case(case: Case, referral: Referral, actor: User) -> None:
    target = CASE_STATUS_AFTER.get(referral.status)
    if target is None and referral.status in ENDED_WITHOUT_ADMISSION and case.status is CaseStatus.REFERRED:
        still_live = [r for r in queries.referrals_for_case(case.id) if r.status in LIVE and r.id != referral.id]
        target = None if still_live else CaseStatus.ASSESSED
    if target is not None:
        case_services.follow_referral(case, target, actor=actor, referral_id=referral.id)
