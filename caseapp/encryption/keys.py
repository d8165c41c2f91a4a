"""The data key ring: CASEAPP_DATA_KEY holds one or more Fernet keys, comma-separated, newest first. Values are
encrypted with the first and decrypted with any, so a new key goes in front, `caseapp rotate-key` re-encrypts, and
the old key can then be taken out.

Development and test without a key use one kept in the var folder (made on first run, mode 0600), so the embedded
default works from a fresh clone and its data survives restarts. Production refuses to start without a key."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

#: the app.config key (env CASEAPP_DATA_KEY)
SETTING = "DATA_KEY"
#: the development key's file in the var folder
DEV_KEY_FILE = "data-key"
#: where create_app keeps the key ring
EXTENSION = "caseapp.keyring"


class DataKeyError(ValueError):
    """CASEAPP_DATA_KEY is not a comma-separated list of Fernet keys (the message never shows a key)."""


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def parse_keys(value: str) -> list[bytes]:
    """The keys in a CASEAPP_DATA_KEY value, newest first; a malformed one is refused by its position."""
    parts = [part.strip() for part in str(value).split(",")]
    if not any(parts):
        raise DataKeyError("CASEAPP_DATA_KEY holds no key")
    keys = []
    for position, part in enumerate(parts, start=1):
        try:
            Fernet(part)
        except (ValueError, TypeError):
            raise DataKeyError(
                f"CASEAPP_DATA_KEY key {position} of {len(parts)} is not a Fernet key (44 characters of URL-safe "
                "base64; `caseapp generate-data-key` prints one)"
            ) from None
        keys.append(part.encode("ascii"))
    return keys


class KeyRing:
    """Encrypts with the newest key, decrypts with any. Built once per configuration (Fernet objects are reusable)."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise DataKeyError("CASEAPP_DATA_KEY holds no key")
        self._primary = Fernet(keys[0])
        self._all = MultiFernet([Fernet(key) for key in keys])
        self.size = len(keys)

    def encrypt(self, text: str) -> str:
        return self._primary.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text of a token made with any key of the ring (cryptography.fernet.InvalidToken otherwise)."""
        return self._all.decrypt(token.encode("ascii")).decode("utf-8")

    def is_current(self, token: str) -> bool:
        """Made with the newest key."""
        try:
            self._primary.decrypt(token.encode("ascii"))
        except InvalidToken:
            return False
        return True

    def rotate(self, token: str) -> str | None:
        """The token re-encrypted with the newest key, or None when it already is (so a second run changes nothing)."""
        if self.is_current(token):
            return None
        return self._all.rotate(token.encode("ascii")).decode("ascii")


def dev_key(var_dir: Path) -> str:
    """The development key in `var_dir`, made on first use. Several processes may start at once (`make run`): the
    file appears whole or not at all (written aside, then linked into place; the first link wins)."""
    path = var_dir / DEV_KEY_FILE
    if not path.exists():
        var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=var_dir, prefix=".data-key-")  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(generate_key() + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


def keyring_for(config: dict[str, Any], var_dir: Path) -> KeyRing:
    """The key ring a configuration names (config.validate() has refused a missing key in production)."""
    value = config.get(SETTING)
    if not value:
        if config["ENV_NAME"] == "production":
            raise DataKeyError("CASEAPP_DATA_KEY must be set in production")
        value = dev_key(var_dir)
    return KeyRing(parse_keys(value))


def init_app(app: Flask, var_dir: Path) -> None:
    app.extensions[EXTENSION] = keyring_for(app.config, var_dir)


def current_keyring() -> KeyRing:
    """The running app's key ring (the column types call this for every value: one dictionary lookup)."""
    ring: KeyRing = current_app.extensions[EXTENSION]
    return ring
