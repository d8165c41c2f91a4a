"""Every shell example in the README runs, as written, against caseapp under gunicorn on PostgreSQL and Redis.

The fenced `sh` blocks run in README order in one shell (so a token exported in one block is there for the next),
with only what must differ here substituted: the server's address for localhost:5000, this checkout's `caseapp`
command, and a time two hours ahead for each fixed instant in a request body (a README date ages into the past).
`curl -s` becomes `curl -sS --fail-with-body`, so an example answering 4xx fails the test. Blocks that cannot run
inside the suite are listed with the reason; a new block runs unless it is listed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from caseapp.callbacks.models import Callback, CallbackAttempt, Handover
from caseapp.caller_flags.models import CallerFlag
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.cli import ensure_demo_accounts
from caseapp.emergencies.models import EmergencyAlert
from caseapp.extensions import db
from caseapp.reference import CaseStatus, HandoverStatus
from caseapp.referrals.models import Referral, ReferralOfferItem
from caseapp.timeutil import now_utc
from tests.live import ROOT, LiveStack

README = ROOT / "README.md"
SHELL_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)
#: blocks not run here, by their first line, and why
NOT_RUN = {
    "make run": "the two commands themselves: the suite is `make test`, and its own server stands in for `make run`",
    "make bench": "the benchmarks seed a million calls for minutes; bench/ checks its own results",
}
INSTANT_IN_BODY = re.compile(r'"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\+00:00|Z)"')
CASEAPP = str(Path(sys.executable).parent / "caseapp")
#: the telephony secret in the README's example
README_SECRET = "change-me-to-32-or-more-random-characters"


def readme_blocks() -> list[str]:
    return SHELL_BLOCK.findall(README.read_text())


def runnable(blocks: list[str]) -> list[str]:
    return [block for block in blocks if not any(block.startswith(first) for first in NOT_RUN)]


def as_run_here(script: str, base_url: str) -> str:
    ahead = (now_utc() + timedelta(hours=2)).replace(microsecond=0).strftime('"%Y-%m-%dT%H:%M:%S+00:00"')
    script = script.replace("localhost:5000", base_url.removeprefix("http://"))
    script = script.replace(".venv/bin/caseapp", CASEAPP)
    script = script.replace("curl -s ", "curl -sS --fail-with-body ")
    return INSTANT_IN_BODY.sub(ahead, script)


def test_every_readme_shell_block_is_run_or_listed_with_a_reason() -> None:
    blocks = readme_blocks()

    listed = [first for first in NOT_RUN if any(block.startswith(first) for block in blocks)]

    assert listed == list(NOT_RUN), "a block listed in NOT_RUN is no longer in the README"
    assert len(runnable(blocks)) >= 3  # the reports, the token and the API tour


def test_readme_examples_run_as_written(pg_server_url: str, redis_url: str, tmp_path: Path) -> None:
    # the secret the README's telephony example signs with, as its `make run` is told
    stack = LiveStack.create(
        pg_server_url, redis_url, tmp_path, prefix="caseapp_readme", settings={"TELEPHONY_SECRET": README_SECRET}
    )
    try:
        web = stack.start_web()
        stack.query(ensure_demo_accounts)  # what `make run` creates
        assert web.url is not None
        script = "\n".join(as_run_here(block, web.url) for block in runnable(readme_blocks()))

        result = subprocess.run(  # noqa: S603 - our own README, run on purpose
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=ROOT,
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

        assert result.returncode == 0, f"{result.stderr[-3000:]}\n--- output ---\n{result.stdout[-3000:]}"
        assert '"rows"' in result.stdout  # the reports answered
        assert '"case_reference": "CA-' in result.stdout.replace('":"', '": "')

        def outcome() -> tuple[int, int, int, str, int]:
            case = db.session.scalars(sa.select(Case).order_by(Case.id)).first()
            assert case is not None
            return (
                db.session.scalar(sa.select(sa.func.count()).select_from(Call)) or 0,
                db.session.scalar(sa.select(sa.func.count()).select_from(Callback)) or 0,
                db.session.scalar(sa.select(sa.func.count()).select_from(CallbackAttempt)) or 0,
                case.status.value,
                db.session.scalar(sa.select(sa.func.count()).select_from(EmergencyAlert)) or 0,
            )

        calls, callbacks, attempts, status, alerts = stack.query(outcome)
        # the second callback: the signed missed call's; the third: the referral's follow-up
        assert (calls, callbacks, attempts, alerts) == (1, 3, 1, 1)
        missed = stack.query(
            lambda: [(c.assignee_id, c.reason) for c in db.session.scalars(sa.select(Callback).order_by(Callback.id))]
        )[1]
        assert missed == (None, "Missed call")  # in the pool
        flags = stack.query(lambda: [(f.caller_id, f.kind.value) for f in db.session.scalars(sa.select(CallerFlag))])
        assert flags == [(1, "do_not_ring_back")]
        referrals = stack.query(
            lambda: [
                (r.service_id, r.status.value) for r in db.session.scalars(sa.select(Referral).order_by(Referral.id))
            ]
        )
        assert referrals == [(1, "sent"), (2, "offered")]
        items = stack.query(
            lambda: [
                (i.service_id, i.rank, i.offered, i.disclosed) for i in db.session.scalars(sa.select(ReferralOfferItem))
            ]
        )
        assert sorted(items) == [(1, 1, True, None), (2, 2, True, True)]  # the server's ranks; the commission disclosed
        assert status == CaseStatus.REFERRED.value  # the PATCH with the version it read went through
        handovers = stack.query(lambda: [(h.status, h.note) for h in db.session.scalars(sa.select(Handover))])
        assert handovers == [(HandoverStatus.ACCEPTED, "No answer at 19:00; the mobile is safer than the landline")]
    finally:
        stack.close()
