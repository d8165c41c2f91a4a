"""`caseapp import-services FILE`: load the directory from a CSV file, all or nothing (or the valid rows only)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from caseapp.directory.importer import ImportRefused, ImportReport, import_services
from caseapp.extensions import db


def _progress(items: list[Any]) -> Iterator[Any]:
    with click.progressbar(items, label="Checking rows", file=sys.stderr, show_pos=True) as bar:
        yield from bar


def _print_report(report: ImportReport, *, dry_run: bool) -> None:
    for problem in report.problems:
        click.echo(f"Rejected {problem}")
    for row in report.rows:
        if row.outcome in ("updated", "unchanged"):
            click.echo(f"Row {row.row}: {row.outcome} service {row.service_id} (same regulator id)")
    click.echo(report.summary + (" (dry run: nothing saved)" if dry_run else ""))


def load_file(
    path: Path, *, skip_invalid: bool = False, encoding: str | None = None, progress: Any = None
) -> ImportReport:
    """Import `path` in the current transaction (the caller commits); for the command and the demo data."""
    data = path.read_bytes()
    if progress is None:
        return import_services(data, actor=None, skip_invalid=skip_invalid, encoding=encoding)
    return import_services(data, actor=None, skip_invalid=skip_invalid, encoding=encoding, progress=progress)


@click.command("import-services")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows and list the rejected ones.")
@click.option("--dry-run", is_flag=True, help="Check and report, save nothing.")
@click.option("--encoding", default=None, help="Force the file's encoding (default: BOM, else UTF-8, else cp1252).")
@with_appcontext
def import_services_command(file: Path, skip_invalid: bool, dry_run: bool, encoding: str | None) -> None:
    """Import treatment services from a CSV file with a header row naming its columns (README: the CSV format).

    A row whose regulator and regulator id are already in the directory updates that service. Any invalid row means
    nothing is imported, unless --skip-invalid."""
    try:
        report = load_file(file, skip_invalid=skip_invalid, encoding=encoding, progress=_progress)
    except ImportRefused as exc:
        db.session.rollback()
        raise click.ClickException(f"Nothing imported. {exc.message}") from exc
    except Exception:
        db.session.rollback()
        raise
    _print_report(report, dry_run=dry_run)
    if not report.written:
        db.session.rollback()
        count = len(report.rejected)
        raise click.ClickException(
            f"Nothing imported: {count} row{'s are' if count != 1 else ' is'} not valid. "
            "Fix them, or use --skip-invalid to import the valid rows only."
        )
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
