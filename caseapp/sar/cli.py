"""`caseapp sar --phone NUMBER | --caller-id ID --out DIR`: a subject access export written to a folder."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from caseapp.errors import AppError
from caseapp.extensions import db
from caseapp.sar import services


@click.command("sar")
@click.option("--phone", help="The caller's phone number, in any format.")
@click.option("--caller-id", type=int, help="The caller's id.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def sar_command(phone: str | None, caller_id: int | None, out_dir: Path) -> None:
    """Write everything held about one caller, and who accessed it, as JSON and HTML (audited)."""
    if (phone is None) == (caller_id is None):
        raise click.UsageError("Give exactly one of --phone and --caller-id.")
    try:
        export = services.export_for(caller_id, phone, actor_id=None, via="cli")
    except AppError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    paths = export.write_to(out_dir)
    db.session.commit()
    for path in paths:
        click.echo(str(path))
