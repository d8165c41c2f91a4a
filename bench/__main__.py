"""`python -m bench [reports] [options]`: the report benchmarks (`make bench`); `python -m bench SUB [options]` for
the others: `callbacks` (10,000 callbacks falling due at once through a real worker and beat), `pages` (the advisor
pages at 300,000 callers), `writes` (the write cost of the indexes and report triggers, the reports under a write
load), `calls` (logging a call against raw SQL). Each is `make bench-SUB`. See bench/README.md.
"""

from __future__ import annotations

import importlib
import sys

SUBCOMMANDS = ("reports", "callbacks", "pages", "writes", "calls")


def main(argv: list[str]) -> int:
    name, rest = (argv[0], argv[1:]) if argv[:1] and argv[0] in SUBCOMMANDS else ("reports", argv)
    module = importlib.import_module(f"bench.{name}")
    return int(module.main(rest))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
