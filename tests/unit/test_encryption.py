"""The data key ring: encrypt with the newest key, decrypt with any, rotate; the development key file."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken

from caseapp.encryption.keys import DEV_KEY_FILE, DataKeyError, KeyRing, keyring_for, parse_keys
from caseapp.encryption.keys import generate_key as new_key

TEXT = "Partner doesn't know; ring after 6pm. Café 🙂"


def _ring(*keys: str) -> KeyRing:
    return KeyRing(parse_keys(",".join(keys)))


def test_a_value_round_trips_as_a_fernet_token_without_its_text() -> None:
    ring = _ring(new_key())

    token = ring.encrypt(TEXT)

    assert token.startswith("gAAAAA")  # Fernet's version byte, base64
    assert "Partner" not in token
    assert ring.decrypt(token) == TEXT
    assert ring.encrypt(TEXT) != token  # a fresh IV each time: equal texts are not seen as equal


def test_the_newest_key_encrypts_and_any_key_decrypts() -> None:
    old, new = new_key(), new_key()
    made_with_old = _ring(old).encrypt(TEXT)

    ring = _ring(new, old)
    made_now = ring.encrypt(TEXT)

    assert ring.decrypt(made_with_old) == TEXT
    assert _ring(new).decrypt(made_now) == TEXT
    with pytest.raises(InvalidToken):
        _ring(old).decrypt(made_now)


def test_rotate_moves_a_token_to_the_newest_key_and_leaves_a_current_one() -> None:
    old, new = new_key(), new_key()
    ring = _ring(new, old)

    rotated = ring.rotate(_ring(old).encrypt(TEXT))

    assert rotated is not None
    assert _ring(new).decrypt(rotated) == TEXT
    assert ring.rotate(rotated) is None


def test_a_token_from_another_key_is_refused() -> None:
    with pytest.raises(InvalidToken):
        _ring(new_key()).decrypt(_ring(new_key()).encrypt(TEXT))


@pytest.mark.parametrize("value", ["", " , ", "abc", "A" * 40])
def test_parse_keys_refuses_what_is_not_a_list_of_fernet_keys(value: str) -> None:
    with pytest.raises(DataKeyError, match="CASEAPP_DATA_KEY"):
        parse_keys(value)


def test_parse_keys_takes_keys_newest_first_with_spaces_around_commas() -> None:
    first, second = new_key(), new_key()

    assert parse_keys(f" {first} ,{second}") == [first.encode(), second.encode()]


def _config(env: str, key: str | None = None) -> dict[str, object]:
    return {"ENV_NAME": env, "DATA_KEY": key}


def test_development_without_a_key_makes_one_in_the_var_folder_readable_by_the_owner_only(tmp_path: Path) -> None:
    token = keyring_for(_config("development"), tmp_path).encrypt(TEXT)

    key_file = tmp_path / DEV_KEY_FILE
    again = keyring_for(_config("development"), tmp_path)  # a restart

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert again.decrypt(token) == TEXT
    assert [path.name for path in tmp_path.iterdir()] == [DEV_KEY_FILE]  # nothing left behind


def test_processes_starting_together_agree_on_one_development_key(tmp_path: Path) -> None:
    rings: list[KeyRing] = []
    threads = [threading.Thread(target=lambda: rings.append(keyring_for(_config("test"), tmp_path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    token = rings[0].encrypt(TEXT)

    assert len(rings) == 8
    assert all(ring.decrypt(token) == TEXT for ring in rings)


def test_a_configured_key_is_used_and_no_key_file_is_made(tmp_path: Path) -> None:
    key = new_key()

    token = keyring_for(_config("development", key), tmp_path).encrypt(TEXT)

    assert _ring(key).decrypt(token) == TEXT
    assert not (tmp_path / DEV_KEY_FILE).exists()


def test_production_never_falls_back_to_a_key_file(tmp_path: Path) -> None:
    with pytest.raises(DataKeyError, match="must be set in production"):
        keyring_for(_config("production"), tmp_path)

    assert not (tmp_path / DEV_KEY_FILE).exists()
