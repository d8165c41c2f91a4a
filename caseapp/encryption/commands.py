"""`caseapp generate-data-key` and `caseapp rotate-key` (registered by caseapp.cli)."""

from __future__ import annotations

from collections.abc import Callable

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from caseapp.audit.services import record_event
from caseapp.encryption import queries, rotation
from caseapp.encryption.keys import current_keyring, generate_key
from caseapp.extensions import db


@click.command("generate-data-key")
def generate_data_key() -> None:
    """Print a new data key (a Fernet key). Put it first in CASEAPP_DATA_KEY, then run `caseapp rotate-key`."""
    click.echo(generate_key())


@click.command("rotate-key")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000), help="Rows per commit.")
@with_appcontext
def rotate_key(batch_size: int) -> None:
    """Re-encrypt every encrypted value with the newest key of CASEAPP_DATA_KEY (the first). Safe while caseapp
    runs (each batch locks its rows briefly and commits); run it again if it stops: it carries on where it was."""
    if current_keyring().size == 1:
        click.echo("CASEAPP_DATA_KEY holds one key: checking every value is made with it.", err=True)
    tables = rotation.encrypted_tables()
    total = sum(queries.count_rows(queries.raw_table(name, columns)) for name, columns in tables.items())
    db.session.commit()
    counts: dict[str, dict[str, int]] = {}
    with click.progressbar(length=total, label="Re-encrypting", show_pos=True) as bar:
        for name, columns in tables.items():
            counts[name] = _rotate_table(name, columns, batch_size, bar.update)
    record_event("data_key.rotated", actor_id=None, detail={"tables": counts, "keys": current_keyring().size})
    db.session.commit()
    for name, count in counts.items():
        click.echo(f"{name}: {count['rows']:,} rows, {count['rotated']:,} values re-encrypted")
    click.echo(f"Done: {sum(c['rotated'] for c in counts.values()):,} values re-encrypted with the newest key.")


#: a batch that meets a deadlock with the app (PostgreSQL aborts one side) is tried again this many times
DEADLOCK_RETRIES = 3


def _rotate_table(name: str, columns: list[str], batch_size: int, advance: Callable[[int], None]) -> dict[str, int]:
    rows = rotated = 0
    after: int | None = 0
    while after is not None:
        batch = _rotate_batch(name, columns, after, batch_size)
        db.session.commit()
        rows, rotated, after = rows + batch.rows, rotated + batch.rotated, batch.last_id
        advance(batch.rows)
    return {"rows": rows, "rotated": rotated}


def _rotate_batch(name: str, columns: list[str], after: int, batch_size: int) -> rotation.Batch:
    retries = 0
    while True:
        try:
            return rotation.rotate_batch(name, columns, after, batch_size)
        except rotation.UnreadableValue as exc:
            db.session.rollback()  # the batches before it stay re-encrypted; a rerun carries on
            raise click.ClickException(
                f"No key in CASEAPP_DATA_KEY decrypts {exc}: put back the key it was made with (after the new one) "
                "and run rotate-key again."
            ) from None
        except sa.exc.OperationalError:
            db.session.rollback()
            retries += 1
            if retries > DEADLOCK_RETRIES:
                raise
