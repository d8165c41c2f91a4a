"""Free text at rest: every encrypted column holds a Fernet token, never the text; the app reads the text back; the
call-logging API's Core INSERT encrypts too; and `caseapp rotate-key` moves every value to the newest key."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask
from flask_migrate import upgrade

from caseapp.assessments.models import Assessment
from caseapp.audit.models import AuditEvent
from caseapp.callbacks import workflow
from caseapp.callbacks.models import Callback, CallbackAttempt, Handover
from caseapp.callers.models import Caller
from caseapp.calls.models import Call, CallDraft
from caseapp.cases.models import CaseNote
from caseapp.encryption.keys import current_keyring
from caseapp.encryption.rotation import encrypted_tables
from caseapp.extensions import db
from tests import factories
from tests.conftest import TEST_DATA_KEY, create_database, drop_database, make_app
from tests.integration.api_support import Api
from tests.integration.encryption.support import EXPECTED_COLUMNS, SECRET, raw, write_one_of_everything


def _assert_sealed(table: str, column: str, row_id: int, text: str) -> None:
    stored = raw(table, column, row_id)
    assert stored.startswith("gAAAAA"), f"{table}.{column} is not a Fernet token"
    assert text not in stored
    assert SECRET not in stored
    assert current_keyring().decrypt(stored)  # a token of our key, not any base64


def test_the_encrypted_columns_are_the_free_text_ones(app: Flask) -> None:
    with app.app_context():
        assert {table: sorted(columns) for table, columns in encrypted_tables().items()} == {
            table: sorted(columns) for table, columns in EXPECTED_COLUMNS.items()
        }


def test_no_encrypted_column_holds_its_text_in_the_database(db_session: Any) -> None:
    written = write_one_of_everything()

    assert {(table, column) for table, columns in EXPECTED_COLUMNS.items() for column in columns} == set(written)
    for (table, column), (row_id, text) in written.items():
        _assert_sealed(table, column, row_id, text)


def test_the_app_reads_back_what_was_written(db_session: Any) -> None:
    written = write_one_of_everything()
    db.session.commit()
    db.session.expire_all()

    def read(model: Any, key: tuple[str, str]) -> Any:
        row_id, _ = written[key]
        return getattr(db.session.get(model, row_id), key[1])

    assert read(Caller, ("callers", "safe_to_call_notes")) == f"safe {SECRET}"
    assert read(Caller, ("callers", "preferred_times_note")) == f"times {SECRET}"
    assert read(Call, ("calls", "reason")) == f"reason {SECRET}"
    assert read(Call, ("calls", "outcome_summary")) == f"outcome {SECRET}"
    assert read(Call, ("calls", "notes")) == f"notes {SECRET}"
    assert read(CallDraft, ("call_drafts", "data")) == {"notes": f"draft {SECRET}"}
    assert read(CaseNote, ("case_notes", "body")) == f"note {SECRET}"
    assert read(Assessment, ("assessments", "answers"))["notes"] == f"assessment {SECRET}"
    assert read(Callback, ("callbacks", "reason")) == f"callback {SECRET}"
    assert read(Callback, ("callbacks", "cancel_reason")) == f"cancel {SECRET}"
    assert read(CallbackAttempt, ("callback_attempts", "notes")) == f"attempt {SECRET}"
    assert read(Handover, ("callback_handovers", "note")) == f"handover {SECRET}"


def test_a_call_logged_through_the_api_is_stored_encrypted_and_answered_in_plain_text(api: Api) -> None:
    notes = "Said the partner must not find out. " * 50

    response = api.post(
        "/api/v1/calls",
        json={"phone": factories.unique_phone(), "reason": "Asked about detox", "notes": notes},
    )
    assert response.status_code == 201, response.get_json()

    body = response.get_json()
    assert body["notes"] == notes
    assert body["reason"] == "Asked about detox"
    _assert_sealed("calls", "notes", body["id"], "partner")
    _assert_sealed("calls", "reason", body["id"], "detox")
    assert api.get(f"/api/v1/calls/{body['id']}").get_json()["notes"] == notes


def test_a_value_stored_at_the_old_length_limit_still_fits(db_session: Any) -> None:
    """The VARCHAR(200) the cancel reason had would not hold the token of 200 characters (about 330)."""
    callback = factories.make_callback()

    workflow.cancel_callback(callback.id, actor=factories.make_user(), reason="é" * 200)
    db.session.flush()

    assert len(raw("callbacks", "cancel_reason", callback.id)) > 200
    db.session.expire_all()
    assert db.session.get(Callback, callback.id).cancel_reason == "é" * 200  # type: ignore[union-attr]


# --- rotate-key -------------------------------------------------------------------------------------------------


@pytest.fixture
def own_database(pg_server_url: str) -> Iterator[str]:
    """A database of its own at head: rotate-key commits for real, batch after batch."""
    database_url = create_database(pg_server_url, prefix="caseapp_rotation")
    yield database_url
    drop_database(pg_server_url, database_url)


@contextmanager
def _app_with_keys(database_url: str, redis_url: str, keys: str) -> Iterator[Flask]:
    """The app started with CASEAPP_DATA_KEY=keys, as a restart with them would."""
    flask_app = make_app(database_url, redis_url, DATA_KEY=keys)
    with flask_app.app_context():
        yield flask_app
        db.session.remove()
        db.engine.dispose()


def test_rotate_key_moves_every_value_to_the_new_key_and_the_old_key_can_go(own_database: str, redis_url: str) -> None:
    old_key, new_key = TEST_DATA_KEY, Fernet.generate_key().decode()
    with _app_with_keys(own_database, redis_url, old_key):
        upgrade()
        written = write_one_of_everything()
        db.session.commit()
    with _app_with_keys(own_database, redis_url, f"{new_key},{old_key}") as both:  # the new key first
        result = both.test_cli_runner().invoke(args=["rotate-key", "--batch-size", "2"], catch_exceptions=False)
        again = both.test_cli_runner().invoke(args=["rotate-key"], catch_exceptions=False)
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "data_key.rotated").order_by(AuditEvent.id)
        ).all()
    with _app_with_keys(own_database, redis_url, new_key):  # the old key taken out
        only_new = Fernet(new_key.encode())
        stored = {key: raw(*key, row_id) for key, (row_id, _) in written.items()}
        notes = db.session.get(Call, written[("calls", "notes")][0])
        answers = db.session.get(Assessment, written[("assessments", "answers")][0])

    assert result.exit_code == 0, result.output
    assert "calls: 1 rows, 3 values re-encrypted" in result.output
    assert "callers: 1 rows, 2 values re-encrypted" in result.output
    assert f"Done: {len(written)} values re-encrypted" in result.output  # one of everything, each once
    assert "Done: 0 values re-encrypted" in again.output  # a second run (or a rerun after a stop) changes nothing
    for key, (_, text) in written.items():
        assert text in only_new.decrypt(stored[key].encode()).decode(), key
    assert notes is not None
    assert notes.notes == f"notes {SECRET}"
    assert answers is not None
    assert answers.answers["notes"] == f"assessment {SECRET}"
    assert [event.detail["tables"]["calls"] for event in events] == [
        {"rows": 1, "rotated": 3},
        {"rows": 1, "rotated": 0},
    ]
    assert SECRET not in json.dumps([event.detail for event in events])


def test_rotate_key_waits_for_a_change_the_app_is_making_and_keeps_it(own_database: str, redis_url: str) -> None:
    """Run while caseapp runs: a row an app transaction is changing is locked, so rotate-key waits for it and then
    re-encrypts the new value (without the lock it would write the old text back over the change)."""
    old_key, new_key = TEST_DATA_KEY, Fernet.generate_key().decode()
    with _app_with_keys(own_database, redis_url, old_key):
        upgrade()
        call_id = write_one_of_everything()[("calls", "notes")][0]
        db.session.commit()
    with _app_with_keys(own_database, redis_url, f"{new_key},{old_key}") as both:
        changed = current_keyring().encrypt("changed while rotating")
        outcome: list[Any] = []

        def rotate() -> None:
            with both.app_context():
                outcome.append(both.test_cli_runner().invoke(args=["rotate-key"], catch_exceptions=False))

        with db.engine.connect() as app_side:
            app_side.execute(
                sa.text("UPDATE calls SET notes = :notes WHERE id = :id"), {"notes": changed, "id": call_id}
            )
            thread = threading.Thread(target=rotate)
            thread.start()
            thread.join(timeout=1.5)
            waited = thread.is_alive()
            app_side.commit()
        thread.join(timeout=60)
        stored = raw("calls", "notes", call_id)

    assert waited  # it could not take the row while the change was open
    assert outcome[0].exit_code == 0, outcome[0].output
    assert Fernet(new_key.encode()).decrypt(stored.encode()) == b"changed while rotating"


def test_with_only_the_new_key_old_values_cannot_be_read_and_rotate_key_says_which(
    own_database: str, redis_url: str
) -> None:
    """The control for the test above: taking the old key out before rotate-key loses the data, and rotate-key run
    like that stops, naming the first value it cannot read (never its content)."""
    with _app_with_keys(own_database, redis_url, TEST_DATA_KEY):
        upgrade()
        note_id = write_one_of_everything()[("case_notes", "body")][0]
        db.session.commit()
    with _app_with_keys(own_database, redis_url, Fernet.generate_key().decode()) as new_only:
        result = new_only.test_cli_runner().invoke(args=["rotate-key"])
        with pytest.raises(InvalidToken):
            db.session.get(CaseNote, note_id)

    assert result.exit_code == 1
    assert "No key in CASEAPP_DATA_KEY decrypts callers.preferred_times_note of row 1" in result.output
    assert SECRET not in result.output


def test_generate_data_key_prints_a_fernet_key(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["generate-data-key"])
    second = app.test_cli_runner().invoke(args=["generate-data-key"])

    key = result.output.strip()
    assert result.exit_code == 0
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
    assert key != second.output.strip()
