"""The API tested from outside: caseapp under gunicorn (tests/live.py) on a fresh migrated database with a little
seeded data, an advisor and a manager with API tokens, and a tally of what was sent and what failed, written out as
figures at the end."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from caseapp.auth.models import Role
from tests.live import LiveStack, Proc, record_figures, seed_call_loop

ROLES = (Role.ADVISOR, Role.MANAGER)

if not hasattr(pytest.Function, "_nodeid"):
    # schemathesis.pytest.from_fixture (4.32) names each operation's subtest by reading and writing the item's
    # `_nodeid`, which pytest 9.2 replaced with a structured `_id`; map the old name onto the new one.
    from _pytest.nodeid import coerce_node_id

    pytest.Function._nodeid = property(  # type: ignore[attr-defined]
        lambda self: self.nodeid, lambda self, value: setattr(self, "_id", coerce_node_id(value))
    )


@dataclass
class LiveApi:
    stack: LiveStack
    web: Proc
    tokens: dict[Role, str]
    seeded: dict[str, list[int]]

    @property
    def url(self) -> str:
        assert self.web.url is not None
        return self.web.url


@dataclass
class Tally:
    """Requests sent per role, operation and phase, and the distinct failures (role, operation, failure) with the
    last request that showed each: Hypothesis replays its smallest failing example last."""

    sent: dict[Role, Counter[tuple[str, str]]] = field(default_factory=lambda: {role: Counter() for role in ROLES})
    failures: dict[tuple[Role, str, str], str] = field(default_factory=dict)
    #: monotonic time of the first and the last request of each role
    clock: dict[Role, list[float]] = field(default_factory=dict)

    def count(self, role: Role, operation: str, phase: str) -> None:
        self.sent[role][(operation, phase)] += 1
        now = time.monotonic()
        self.clock.setdefault(role, [now, now])[1] = now

    def lines(self) -> list[str]:
        lines = []
        for role, counts in self.sent.items():
            if not counts:
                continue
            operations = {operation for operation, _ in counts}
            phases: Counter[str] = Counter()
            for (_, phase), n in counts.items():
                phases[phase] += n
            failed = [key for key in self.failures if key[0] == role]
            first, last = self.clock[role]
            lines.append(
                f"contract ({role.value}): {len(operations)} operations, {counts.total()} requests in "
                f"{last - first:.0f} s "
                f"({', '.join(f'{phase} {n}' for phase, n in sorted(phases.items()))}); "
                f"{len(failed)} distinct failures in {len({op for _, op, _ in failed})} operations"
            )
        for (role, operation, title), request in sorted(self.failures.items()):
            lines.append(f"  FAIL {role.value} {operation}: {title} -- {request}")
        return lines


@pytest.fixture(scope="module")
def live_api(pg_server_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    stack = LiveStack.create(pg_server_url, redis_url, tmp_path_factory.mktemp("contract"), prefix="caseapp_contract")
    try:
        users = {role: stack.api_token(role) for role in ROLES}
        seeded = seed_call_loop(stack, [user_id for user_id, _ in users.values()])
        web = stack.start_web()
        yield LiveApi(stack, web, {role: token for role, (_, token) in users.items()}, seeded)
        if not web.alive:
            stack.print_logs_on_failure()
    finally:
        stack.close()


@pytest.fixture(scope="module")
def tally() -> Iterator[Tally]:
    result = Tally()
    yield result
    for line in result.lines():
        record_figures(line, "contract-figures.txt")
