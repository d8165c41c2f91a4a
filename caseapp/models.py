"""Imports every feature's models so the metadata (and Alembic autogenerate) sees them all."""

from caseapp.assessments.models import Assessment
from caseapp.audit.models import AuditEvent
from caseapp.auth.models import ApiToken, User, UserSession
from caseapp.callers.models import Caller
from caseapp.calls.models import Call, CallDraft
from caseapp.cases.models import Case
from caseapp.notifications.models import Notification

__all__ = [
    "ApiToken",
    "Assessment",
    "AuditEvent",
    "Call",
    "CallDraft",
    "Caller",
    "Case",
    "Notification",
    "User",
    "UserSession",
]
