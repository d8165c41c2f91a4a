"""The second factor: TOTP (RFC 6238, pyotp) with a QR code made here (segno), and single-use recovery codes.

Enrolment stores a new secret, not yet in force; the first right code confirms it and issues the recovery codes.
A code is accepted once: the time step it belongs to is remembered, and that step or an earlier one is refused."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app

from caseapp.audit.services import record_event
from caseapp.auth import queries
from caseapp.auth.models import RecoveryCode, Role, User
from caseapp.errors import ValidationError
from caseapp.extensions import db
from caseapp.timeutil import now_utc

RECOVERY_CODE_COUNT = 10
#: recovery codes use these letters (no 0/o, 1/l/i look-alikes): 10 of them are 50 bits
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
WRONG_CODE = "That code is not right, or has been used already."


def required_roles() -> set[Role]:
    names = str(current_app.config.get("MFA_REQUIRED_ROLES") or "").split(",")
    return {Role(name.strip()) for name in names if name.strip()}


def is_required(user: User) -> bool:
    return user.role in required_roles()


def begin_enrolment(user: User) -> str:
    """The secret being enrolled: a new one, unless an unconfirmed one is waiting (a reload shows the same QR)."""
    if user.has_mfa:
        raise ValidationError("A second factor is already set up.")
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
        db.session.flush()
    return user.totp_secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["MFA_ISSUER"])


def qr_svg(uri: str) -> str:
    """An inline SVG of the QR code (made here: the secret never goes to a QR service)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#000", light="#fff"))


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Put the second factor in force with its first code; returns the new recovery codes (shown once)."""
    if user.has_mfa or user.totp_secret is None:
        raise ValidationError("Start setting up the second factor again.")
    if not _accept_totp(user, code):
        raise ValidationError(WRONG_CODE, fields={"code": [WRONG_CODE]})
    user.totp_enabled_at = now_utc()
    codes = _replace_recovery_codes(user)
    record_event("auth.mfa_enabled", actor_id=user.id, entity_type="user", entity_id=user.id)
    return codes


def verify(user: User, code: str) -> str | None:
    """How the second factor was given ("totp" or "recovery_code"), or None when the code is not right."""
    if not user.has_mfa:
        return None
    cleaned = "".join(code.split()).replace("-", "").lower()
    if len(cleaned) == 6 and cleaned.isdigit():
        return "totp" if _accept_totp(user, cleaned) else None
    if _use_recovery_code(user, cleaned):
        return "recovery_code"
    return None


def _accept_totp(user: User, code: str) -> bool:
    """Right for this step or one either side (clock drift), and of a later step than the last one accepted."""
    assert user.totp_secret is not None  # noqa: S101 - callers check
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now_utc())
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # replayed (or older than a code already used)
            user.totp_last_step = step
            db.session.flush()
            return True
    return False


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))


def format_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(code)) for code in codes)
    db.session.flush()
    return [format_code(code) for code in codes]


def regenerate_recovery_codes(user: User) -> list[str]:
    """New codes; the old ones stop working."""
    if not user.has_mfa:
        raise ValidationError("Set up a second factor first.")
    codes = _replace_recovery_codes(user)
    record_event("auth.recovery_codes_regenerated", actor_id=user.id, entity_type="user", entity_id=user.id)
    return codes


def _use_recovery_code(user: User, cleaned: str) -> bool:
    if len(cleaned) != RECOVERY_LENGTH:
        return False
    row = queries.find_recovery_code(user.id, _digest(cleaned))
    if row is None or row.used_at is not None:
        return False
    row.used_at = now_utc()
    db.session.flush()
    record_event("auth.recovery_code_used", actor_id=user.id, entity_type="user", entity_id=user.id)
    return True


def count_unused_recovery_codes(user: User) -> int:
    return len(queries.list_unused_recovery_codes(user.id))


def turn_off(user: User, code: str) -> None:
    """The user's own choice, where their role allows it: a current code (or a recovery code) proves it is them."""
    if is_required(user):
        raise ValidationError("Your role requires a second factor.")
    if verify(user, code) is None:
        raise ValidationError(WRONG_CODE, fields={"code": [WRONG_CODE]})
    disable(user)
    record_event("auth.mfa_disabled", actor_id=user.id, entity_type="user", entity_id=user.id)


def disable(user: User) -> None:
    """Remove the second factor and its recovery codes (the user enrols again at next sign-in where required)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
