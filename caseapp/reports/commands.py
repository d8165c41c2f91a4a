"""`caseapp seed`: fill a development or benchmark database with synthetic calls (registered by caseapp.cli)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from caseapp.extensions import db
from caseapp.reports.referral_seed import seed_referrals
from caseapp.reports.seed import SeedPlan, seed, vacuum_analyze


@contextlib.contextmanager
def _bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    with click.progressbar(length=total, label=label, show_pos=True, show_eta=True) as bar:
        yield bar.update


@click.command("seed")
@click.option("--calls", type=click.IntRange(min=0), default=10_000, show_default=True, help="How many calls.")
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True, help="Over how many local days.")
@click.option(
    "--seed", "seed_value", type=int, default=1, show_default=True, help="Random seed (same seed, same data)."
)
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The last local day (default: today; no call starts after the current hour). Give it to reproduce data.",
)
@with_appcontext
def seed_command(calls: int, days: int, seed_value: int, end: datetime | None) -> None:
    """Create realistic synthetic callers, cases, calls and assessments, and referrals for the referred and admitted
    cases (never in production)."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Refusing to seed synthetic data: CASEAPP_ENV is production.")
    plan = SeedPlan(calls=calls, days=days, seed=seed_value, end=end.date() if end else None)
    began = time.monotonic()
    try:
        summary = seed(plan, progress=_bar)
        offers = seed_referrals(seed_value)
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    vacuum_analyze()
    click.echo(
        f"Seeded {summary.calls} calls, {summary.cases} cases and callers, {summary.assessments} assessments, "
        f"{summary.callbacks} callbacks, {offers} referral offers "
        f"({summary.advisors} synthetic advisors) for {summary.first_day} to {summary.last_day} "
        f"in {time.monotonic() - began:.1f} s."
    )
