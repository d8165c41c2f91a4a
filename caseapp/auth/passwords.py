"""argon2id hashing (argon2-cffi) and the password policy."""

from __future__ import annotations

from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

DEFAULT_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_hasher = DEFAULT_HASHER
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the argon2 parameters everywhere (the test suite uses a cheap profile; production keeps the defaults)."""
    global _hasher, _DUMMY_HASH  # one module-wide hasher by design
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("timing-equaliser-not-a-password")  # unknown users cost what real ones do


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-ish time: an unknown user still costs one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("caseapp.auth").joinpath("common-passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problems(password: str, *, min_length: int, email: str | None = None) -> list[str]:
    """Human-readable reasons the password is refused; empty when it is acceptable."""
    problems = []
    if len(password) < min_length:
        problems.append(f"Use at least {min_length} characters.")
    lowered = password.lower()
    if lowered in _common_passwords():
        problems.append("This password is too common; choose another.")
    if email and email.split("@", 1)[0].lower() in lowered and len(email.split("@", 1)[0]) >= 4:
        problems.append("Do not include your email name in the password.")
    if len(set(password)) < 4:
        problems.append("Use a mix of different characters.")
    return problems
