"""Imports every feature's models so the metadata (and Alembic autogenerate) sees them all."""

from caseapp.access.models import BreakGlassGrant
from caseapp.assessments.models import Assessment
from caseapp.audit.models import AuditEvent
from caseapp.auth.models import ApiToken, LoginThrottle, PasswordResetLink, RecoveryCode, User, UserSession
from caseapp.callbacks.models import Callback, CallbackAttempt, CaseFlag, Handover
from caseapp.caller_flags.models import CallerFlag
from caseapp.callers.models import Caller, CallerMerge, CallerNumber
from caseapp.calls.models import Call, CallDraft
from caseapp.cases.models import Case, StaleCaseDigest
from caseapp.directory.models import TreatmentService
from caseapp.emergencies.models import EmergencyAction, EmergencyAlert
from caseapp.harm_reduction.models import HarmReductionPrompt
from caseapp.notifications.models import Notification
from caseapp.referrals.models import Referral, ReferralEvent, ReferralOffer, ReferralOfferItem
from caseapp.reminders.models import OutboxMessage
from caseapp.reports.models import CallDay, CallHour, CaseFacts
from caseapp.safeguarding.models import SafeguardingRecord
from caseapp.safety_plans.models import SafetyPlan
from caseapp.screenings.models import ClinicianScore, Screening
from caseapp.settings.models import ServiceSetting
from caseapp.shifts.models import Shift
from caseapp.telephony.models import TelephonyCall, TelephonyEvent, TelephonyRejection

__all__ = [
    "ApiToken",
    "Assessment",
    "AuditEvent",
    "BreakGlassGrant",
    "Call",
    "Callback",
    "CallbackAttempt",
    "CallDay",
    "CallHour",
    "CallDraft",
    "Caller",
    "CallerFlag",
    "CallerMerge",
    "CallerNumber",
    "Case",
    "CaseFacts",
    "CaseFlag",
    "EmergencyAction",
    "EmergencyAlert",
    "Handover",
    "HarmReductionPrompt",
    "LoginThrottle",
    "Notification",
    "OutboxMessage",
    "PasswordResetLink",
    "Referral",
    "ReferralEvent",
    "ReferralOffer",
    "ReferralOfferItem",
    "RecoveryCode",
    "ClinicianScore",
    "Screening",
    "SafetyPlan",
    "SafeguardingRecord",
    "ServiceSetting",
    "Shift",
    "StaleCaseDigest",
    "TelephonyCall",
    "TelephonyEvent",
    "TelephonyRejection",
    "TreatmentService",
    "User",
    "UserSession",
]
