"""Hypothesis profiles, chosen with HYPOTHESIS_PROFILE (loaded by tests/conftest.py before any test module).

- `default` (a developer's run): new random examples every run, and failures kept in `.hypothesis/` so the next run
  tries them first.
- `ci` (`make test`, and so CI): the same examples every run (derandomize) and no example database (a fresh clone
  has none, and a red build must be red again when re-run), with the blob to reproduce a failure printed.
- `thorough`: ten times as many examples, for an occasional long exploration
  (`HYPOTHESIS_PROFILE=thorough .venv/bin/pytest tests/unit/properties tests/integration/properties`).

No profile has a deadline: how long an example takes depends on the machine and the database, and tests never time
anything.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.register_profile("thorough", deadline=None, max_examples=1000)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
settings.load_profile(PROFILE)
SCALE = 10 if PROFILE == "thorough" else 1


def examples(count: int, **overrides: object) -> settings:
    """Settings for a test that runs `count` examples (ten times as many under `thorough`): the database-backed
    properties pick a small count so the suite stays quick."""
    return settings(max_examples=count * SCALE, **overrides)  # type: ignore[arg-type]
