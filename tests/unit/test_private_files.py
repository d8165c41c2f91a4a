"""Embedded mode keeps health data in files under var/: nobody but the user running caseapp may read them."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from caseapp.config import make_private


@pytest.fixture(autouse=True)
def _ordinary_umask() -> Iterator[None]:
    """Start from the umask of a typical login (022), whatever an earlier test left, and put it back after."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_folder_and_files_left_readable_by_an_earlier_version_become_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    (var / "mail").mkdir(parents=True)
    var.chmod(0o755)
    old = var / "caseapp.sqlite"
    old.write_bytes(b"")
    old.chmod(0o644)
    mail = var / "mail" / "reminder.eml"
    mail.write_text("Subject: reminder\n")
    mail.chmod(0o644)

    make_private(var)

    assert _mode(var) == 0o700
    assert _mode(var / "mail") == 0o700
    assert _mode(old) == 0o600
    assert _mode(mail) == 0o600


def test_files_created_afterwards_are_private_too(tmp_path: Path) -> None:
    var = tmp_path / "fresh"

    make_private(var)
    sqlite3.connect(var / "broker.sqlite").execute("CREATE TABLE t (x)").connection.close()
    (var / "celerybeat-schedule").write_text("x")

    assert _mode(var) == 0o700
    assert _mode(var / "broker.sqlite") == 0o600
    assert _mode(var / "celerybeat-schedule") == 0o600
