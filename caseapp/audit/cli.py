"""`caseapp audit seal|verify`: seal the committed rows into the hash chain, and check the chain."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from caseapp.audit import chain
from caseapp.extensions import db

#: batches per `seal` run before it gives up the lock to the scheduled sealer
MAX_BATCHES = 10_000


def seal_everything() -> int:
    """Seal every committed row, a batch per transaction; the number sealed."""
    total = 0
    for _ in range(MAX_BATCHES):
        result = chain.seal()
        db.session.commit()
        if not result.ran:
            raise click.ClickException("Another sealer is running; try again in a few seconds.")
        total += result.count
        if result.count < chain.SEAL_BATCH:
            break
    return total


@click.group("audit")
def audit() -> None:
    """The audit trail's hash chain."""


@audit.command("seal")
@with_appcontext
def seal() -> None:
    """Seal the committed audit rows into the chain now (the worker does it every few seconds)."""
    count = seal_everything()
    head = chain.head()
    click.echo(f"Sealed {count} rows. Head: {head or 'none (the trail is empty)'}")


@audit.command("verify")
@click.option("--seal", "seal_first", is_flag=True, help="Seal the committed rows first.")
@click.option("--head", "expected_head", metavar="SEQ:HASH", help="A head printed before: it must still be there.")
@with_appcontext
def verify(seal_first: bool, expected_head: str | None) -> None:
    """Walk the chain; print the counts and the head; exit 1 at the first broken link."""
    if seal_first:
        seal_everything()
    try:
        result = chain.verify(expected_head)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--head") from exc
    click.echo(f"Sealed rows verified: {result.verified}. Unsealed (waiting for the sealer): {result.unsealed}.")
    if result.broken is not None:
        b = result.broken
        where = f"seq {b.seq}" + (f" (audit event id {b.event_id})" if b.event_id is not None else "")
        click.echo(f"BROKEN at {where}: {b.reason}.", err=True)
        click.echo(f"Last good link: {result.head or 'none'}", err=True)
        raise SystemExit(1)
    click.echo(f"Chain intact. Head: {result.head or 'none (nothing sealed yet)'}")
    if result.head is not None:
        click.echo(f"Keep the head; later: caseapp audit verify --head {result.head}")
