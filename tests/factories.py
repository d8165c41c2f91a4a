"""Plain functions that make test data, with keyword overrides."""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

from caseapp.auth.models import Role, User
from caseapp.auth.passwords import hash_password
from caseapp.extensions import db

DEFAULT_PASSWORD = "correct-horse-staple-42"
_sequence = itertools.count(1)


@cache
def _hash(password: str) -> str:
    return hash_password(password)  # argon2 is slow on purpose; hash each test password once


def make_user(**overrides: Any) -> User:
    n = next(_sequence)
    password = overrides.pop("password", DEFAULT_PASSWORD)
    values: dict[str, Any] = {
        "email": f"user{n}@example.org",
        "full_name": f"Test User {n}",
        "role": Role.ADVISOR,
        "password_hash": _hash(password),
    }
    values.update(overrides)
    user = User(**values)
    db.session.add(user)
    db.session.flush()
    return user
