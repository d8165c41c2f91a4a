"""Password hashing (argon2id, rehash when the parameters change) and the password policy."""

from __future__ import annotations

import argon2
import pytest

from caseapp.auth.passwords import DEFAULT_HASHER, hash_password, needs_rehash, password_problems, verify_password


def test_hash_password_uses_argon2id_and_verifies_only_the_right_password() -> None:
    hashed = hash_password("calm-harbour-2026")

    assert hashed.startswith("$argon2id$")
    assert "calm-harbour-2026" not in hashed
    assert verify_password(hashed, "calm-harbour-2026") is True
    assert verify_password(hashed, "calm-harbour-2027") is False


def test_verify_password_is_false_for_a_missing_or_corrupt_hash() -> None:
    assert verify_password(None, "anything-at-all") is False
    assert verify_password("not-a-hash", "anything-at-all") is False


def test_needs_rehash_when_the_parameters_changed() -> None:
    old = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("calm-harbour-2026")

    assert needs_rehash(old) is True
    assert needs_rehash(hash_password("calm-harbour-2026")) is False


def test_production_hasher_keeps_argon2id_recommended_strength() -> None:
    # the suite swaps in a cheap profile (tests/conftest.py); production uses DEFAULT_HASHER
    assert DEFAULT_HASHER.type is argon2.Type.ID
    assert DEFAULT_HASHER.memory_cost >= 64 * 1024
    assert DEFAULT_HASHER.time_cost >= 3


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-pass1", "Use at least 12 characters."),
        ("LiverPool123", "This password is too common; choose another."),
        ("password1234", "This password is too common; choose another."),
        ("sam.jones-harbour", "Do not include your email name in the password."),
        ("abababababababab", "Use a mix of different characters."),
    ],
)
def test_password_problems_names_what_is_wrong(password: str, problem: str) -> None:
    assert problem in password_problems(password, min_length=12, email="sam.jones@example.org")


def test_password_problems_accepts_a_long_passphrase() -> None:
    assert password_problems("calm-harbour-lantern", min_length=12, email="sam.jones@example.org") == []


def test_password_problems_ignores_a_very_short_email_name() -> None:
    assert password_problems("bob-harbour-lantern", min_length=12, email="bob@example.org") == []
