"""Every audit action code and the words the audit trail shows for it, in one place.

A code is `<area>.<verb>` as `record_event()` stores it; tests/unit/test_audit_actions.py checks that every code
written anywhere in caseapp/ is listed here.
"""

from __future__ import annotations

#: area (the part before the dot) → how the action filter names the group
AREAS: dict[str, str] = {
    "auth": "Sign-in and accounts",
    "user": "User administration",
    "audit": "Audit trail",
    "case": "Cases",
    "caller": "Callers",
    "call": "Calls",
    "assessment": "Assessments",
    "screening": "Screenings",
    "harm_reduction": "Harm reduction",
    "safety_plan": "Safety plans",
    "safeguarding": "Safeguarding",
    "emergency": "Emergencies",
    "callback": "Callbacks",
    "reminder": "Reminders",
    "shift": "Shifts",
    "report": "Reports",
    "data_key": "Data keys",
    "retention": "Retention",
    "telephony": "Telephony",
    "caller_flag": "Caller flags",
    "referral": "Referrals",
    "service": "Treatment services directory",
    "setting": "Service settings",
}

ACTIONS: dict[str, str] = {
    # sign-in and accounts
    "auth.login_succeeded": "Signed in",
    "auth.login_failed": "Sign-in failed",
    "auth.login_refused_locked": "Sign-in refused: account locked",  # before per-address throttling
    "auth.locked_out": "Account locked after failed sign-ins",  # before per-address throttling
    "auth.login_throttled": "Sign-in refused: too many recent failures from that address",
    "auth.login_backoff_started": "Sign-ins slowed after repeated failures from one address",
    "auth.mfa_failed": "Second-factor code refused",
    "auth.mfa_enabled": "Set up a second factor",
    "auth.mfa_disabled": "Turned off their second factor",
    "auth.recovery_code_used": "Signed in with a recovery code",
    "auth.recovery_codes_regenerated": "Made new recovery codes",
    "auth.logout": "Signed out",
    "auth.session_ended": "Ended one of their sessions",
    "auth.sessions_ended": "Ended their other sessions",
    "auth.password_changed": "Changed their password",
    "auth.password_reset_completed": "Set a new password with a reset link",
    "auth.token_created": "API token created",
    "auth.token_revoked": "API token revoked",
    # user administration
    "user.created": "User created",
    "user.role_changed": "User's role changed",
    "user.renamed": "User renamed",
    "user.extension_changed": "User's phone extension changed",
    "user.deactivated": "User deactivated",
    "user.reactivated": "User reactivated",
    "user.password_reset": "User's password reset",  # before reset links
    "user.password_reset_link_issued": "Password reset link issued",
    "user.mfa_reset": "User's second factor reset",
    "user.session_ended": "Ended a user's session",
    "user.sessions_ended": "Ended all of a user's sessions",
    "user.listed": "Viewed the list of users",
    "user.viewed": "Viewed a user",
    # the audit trail itself
    "audit.viewed": "Viewed the audit trail",
    "audit.exported": "Exported the audit trail (CSV)",
    "audit.chain_viewed": "Viewed the audit trail's hash chain",
    # cases
    "case.opened": "Case opened",
    "case.viewed": "Viewed a case",
    "case.listed": "Viewed a list of cases",
    "case.searched": "Searched cases",
    "case.updated": "Case changed",
    "case.note_added": "Note added",
    "case.flagged": "Case flagged",
    "case.emergency_alerted": "Managers alerted: immediate danger",
    "case.flag_cleared": "Case flag cleared",
    "case.stale_notified": "Managers told of cases nobody has reached",
    "case.legal_hold_set": "Legal hold placed on a case",
    "case.legal_hold_released": "Legal hold released",
    "case.break_glass": "Opened a case not theirs, giving a reason (break-glass)",
    "case.break_glass_reviewed": "Break-glass use reviewed",
    "case.break_glass_listed": "Viewed the break-glass uses",
    # callers
    "caller.created": "Caller added",
    "caller.viewed": "Viewed a caller",
    "caller.updated": "Caller details changed",
    "caller.consent_changed": "Caller consent changed",
    "caller.looked_up": "Looked up a phone number",
    "caller.erased": "Caller erased on request",
    "caller.sar_exported": "Subject access export downloaded",
    "caller.phone_revealed": "Revealed a masked phone number",
    "caller.number_added": "Added a number to a caller",
    "caller.number_removed": "Removed a caller's number",
    "caller.main_number_changed": "Changed a caller's main number",
    "caller.merged": "Merged two caller records",
    "caller.merge_undone": "Undid a merge of caller records",
    "caller.merge_viewed": "Compared two caller records",
    # calls
    "call.logged": "Call logged",
    "telephony.call_answered": "Phone system: call answered, log-a-call opened for the advisor",
    "telephony.call_missed": "Phone system: call missed",
    "telephony.listed": "Viewed the phone system's recent calls and refused requests",
    "call.viewed": "Viewed a call",
    "call.listed": "Viewed a list of calls",
    # assessments
    "assessment.recorded": "Assessment recorded",
    "assessment.viewed": "Viewed an assessment",
    "assessment.listed": "Viewed a case's assessments",
    # screenings
    "screening.recorded": "Screening recorded",
    "screening.updated": "Screening draft changed or completed",
    "screening.viewed": "Viewed a screening",
    "screening.listed": "Viewed a case's screenings",
    "screening.clinician_score_recorded": "Clinician's withdrawal score recorded",
    "screening.clinician_scores_listed": "Viewed a case's clinician withdrawal scores",
    "harm_reduction.prompt_recorded": "Recorded a harm-reduction prompt's response",
    "safety_plan.saved": "Saved a safety plan",
    "safety_plan.viewed": "Viewed a safety plan",
    # safeguarding and the emergency log
    "safeguarding.recorded": "Safeguarding concern recorded",
    "safeguarding.updated": "Safeguarding record changed",
    "safeguarding.reviewed": "Safeguarding concern reviewed by a manager",
    "safeguarding.viewed": "Viewed a safeguarding record",
    "safeguarding.listed": "Viewed a list of safeguarding records",
    "emergency.logged": "Emergency action logged (999 call or transfer)",
    "emergency.listed": "Viewed an emergency log",
    # callbacks
    "callback.booked": "Callback booked",
    "callback.missed_call_added": "Another missed call from the same number added to its callback",
    "callback.viewed": "Viewed a callback",
    "callback.listed": "Viewed a list of callbacks",
    "callback.updated": "Callback changed",
    "callback.rescheduled": "Callback rescheduled",
    "callback.reassigned": "Callback reassigned",
    "callback.claimed": "Callback claimed from the pool",
    "callback.started": "Callback started (ringing)",
    "callback.attempt_recorded": "Callback attempt recorded",
    "callback.cancelled": "Callback cancelled",
    "callback.pooled": "Callback moved to the pool",
    "callback.escalated": "Callback not started: managers told",
    "callback.stalled_nudged": "Callback in progress with no outcome: advisor reminded",
    "callback.stalled_escalated": "Callback in progress with no outcome: managers told",
    "callback.retry_prompted": "No answer and no new time: advisor asked to reschedule",
    "callback.missed": "Callback missed",
    "callback.handed_over": "Callback handed over",
    "callback.handover_accepted": "Handover accepted",
    "callback.handover_returned": "Handover not accepted: back to the pool",
    "callback.handover_withdrawn": "Handover no longer needed: the callback changed hands or closed",
    # reminders
    "reminder.sent": "Reminder sent",
    "reminder.failed": "Reminder could not be delivered",
    "reminder.requeued": "Reminder sent again",
    # shifts
    "shift.started": "Shift started",
    "shift.ended": "Shift ended",
    # reports
    "report.exported": "Report downloaded",
    # data keys
    "data_key.rotated": "Encrypted data re-encrypted with the newest key",
    # retention
    "retention.applied": "Retention policy applied",
    # caller flags
    "caller_flag.raised": "Flag raised on a caller or a number",
    "caller_flag.lifted": "Flag lifted early",
    "caller_flag.expired": "Flag expired",
    "caller_flag.listed": "Viewed flags on a caller or a number",
    "referral.created": "Referral made (suggested or offered)",
    # treatment services directory
    "service.created": "Treatment service added to the directory",
    "service.updated": "Treatment service changed",
    "service.beds_confirmed": "Treatment service's free beds confirmed",
    "service.deactivated": "Treatment service taken out of use",
    "service.reactivated": "Treatment service back in use",
    "service.imported": "Treatment services imported from a CSV file",
    # referral offers ("suggest services" from a case)
    "referral.suggestions_viewed": "Viewed the services suggested for a case",
    "referral.offered": "Offer of services recorded (suggested, offered, disclosures)",
    "referral.offers_listed": "Viewed a case's referral offers",
    "referral.offer_viewed": "Viewed a referral offer",
    "referral.status_changed": "Referral's status changed",
    "referral.viewed": "Viewed a referral",
    "referral.listed": "Viewed a list of referrals",
    # service settings
    "setting.changed": "Service setting changed",
    "setting.viewed": "Viewed the service settings",
}


def label(code: str) -> str:
    """The words for an action code; an unknown code (an old row) is shown as it is stored."""
    return ACTIONS.get(code, code)


def area_of(code: str) -> str:
    return code.partition(".")[0]


def grouped() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(area, its name, [(code, label), ...]) for the action filter, areas in AREAS order, actions by label."""
    groups = []
    for area, name in AREAS.items():
        members = sorted(((code, text) for code, text in ACTIONS.items() if area_of(code) == area), key=lambda m: m[1])
        groups.append((area, name, members))
    return groups
