"""Imports every feature's models so the metadata (and Alembic autogenerate) sees them all."""

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import ApiToken, User, UserSession

__all__ = ["ApiToken", "AuditEvent", "User", "UserSession"]
