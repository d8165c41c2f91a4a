"""`caseapp retention [--dry-run]`: apply the retention policy now, or list what it would change."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from caseapp.extensions import db
from caseapp.retention import services


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="List what would change (counts and ids) and change nothing.")
@with_appcontext
def retention_command(dry_run: bool) -> None:
    """Anonymise the closed cases and callers the retention policy has reached (audited as retention.applied)."""
    if dry_run:
        run = services.preview_retention()
        db.session.commit()  # the audit event only
    else:
        run = services.apply_retention(commit=db.session.commit)
        db.session.commit()
    verb = "Would anonymise" if dry_run else "Anonymised"
    cases, callers = _count(len(run.case_ids), "case"), _count(len(run.caller_ids), "caller")
    click.echo(f"{verb} {cases} closed before {run.cutoff:%Y-%m-%d} and {callers}.")
    click.echo(f"Case ids: {_ids(run.case_ids)}")
    click.echo(f"Caller ids: {_ids(run.caller_ids)}")
    for table, count in sorted(run.rows.items()):
        click.echo(f"  {table}: {count} rows")
    for name, count in run.housekeeping.items():
        click.echo(f"  {name.replace('_', ' ')}: {count}")


def _ids(ids: list[int]) -> str:
    return ", ".join(str(i) for i in sorted(ids)) or "none"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
