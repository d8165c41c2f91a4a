"""Encryption at rest in embedded mode (SQLite): tokens in the file, and the columns' older declared types are no
drift there (SQLite keeps them: see migration b58122f692b7)."""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from flask import Flask

from caseapp.cases.models import CaseNote
from caseapp.cases.services import add_note
from caseapp.extensions import db
from tests import factories


def test_a_case_note_is_a_token_in_the_sqlite_file_and_text_in_the_app(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        case = factories.make_case()
        note = add_note(case, "Lives with her sister; do not leave voicemail", actor=factories.make_user())
        db.session.commit()
        stored = db.session.execute(sa.text("SELECT body FROM case_notes WHERE id = :id"), {"id": note.id}).scalar()
        db.session.expire_all()
        read = db.session.get(CaseNote, note.id)

    assert isinstance(stored, str)
    assert stored.startswith("gAAAAA")
    assert "sister" not in stored
    assert read is not None
    assert read.body == "Lives with her sister; do not leave voicemail"


def test_db_check_on_sqlite_finds_nothing_to_change(sqlite_app: Flask) -> None:
    with sqlite_app.app_context(), warnings.catch_warnings():
        # Alembic cannot compare SQLite's expression indexes and says so; that is not drift
        warnings.filterwarnings("ignore", "autogenerate skipping", UserWarning)
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", sa.exc.SAWarning)
        result = sqlite_app.test_cli_runner().invoke(args=["db", "check"])

    assert result.exit_code == 0, result.output
