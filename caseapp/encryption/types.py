"""Column types that keep Fernet tokens in the database and give the application plain values.

The impl is Text (tokens are about 4/3 of the UTF-8 text plus 57 bytes, longer than any VARCHAR limit the text had):
length limits stay in the forms and schemas. Nothing may filter, sort or search on these columns: the database only
holds tokens, each different even for the same text."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from caseapp.encryption.keys import current_keyring


class EncryptedText(sa.types.TypeDecorator[str]):
    """Free text, encrypted with the newest data key."""

    impl = sa.Text
    cache_ok = True

    @property
    def python_type(self) -> type[str]:
        return str

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else current_keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else current_keyring().decrypt(value)


class EncryptedJSON(sa.types.TypeDecorator[Any]):
    """A JSON document (e.g. assessment answers with free-text fields), encrypted whole."""

    impl = sa.Text
    cache_ok = True

    @property
    def python_type(self) -> type[object]:
        return object

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        return None if value is None else current_keyring().encrypt(json.dumps(value))

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> Any:
        return None if value is None else json.loads(current_keyring().decrypt(value))


ENCRYPTED_TYPES = (EncryptedText, EncryptedJSON)


def encrypted_columns(metadata: sa.MetaData) -> dict[str, list[str]]:
    """table name → its encrypted columns, for every table of `metadata` that has any (what rotate-key rewrites)."""
    found: dict[str, list[str]] = {}
    for table in metadata.sorted_tables:
        names = [column.name for column in table.columns if isinstance(column.type, ENCRYPTED_TYPES)]
        if names:
            found[table.name] = names
    return found


def compare_column_type(
    context: Any, inspected_column: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    """Alembic's compare_type hook: SQLite keeps the encrypted columns' declared types from before (it stores text
    whatever a column declares, and changing a type there rebuilds the table, which drops its report triggers), so
    there a type difference on them is none. Everything else: Alembic's own comparison."""
    if context.dialect.name == "sqlite" and isinstance(metadata_type, ENCRYPTED_TYPES):
        return False
    return None
