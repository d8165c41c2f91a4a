"""`python -m bench [reports] [options]`: the report benchmarks (`make bench`); `python -m bench callbacks [options]`:
10,000 callbacks falling due at once, through the real worker and beat (`make bench-callbacks`); `python -m bench
writes [options]`: the write cost of the indexes and report triggers, and the reports under a write load (`make
bench-writes`). See bench/README.md.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if argv[:1] == ["callbacks"]:
        from bench import callbacks

        return callbacks.main(argv[1:])
    if argv[:1] == ["writes"]:
        from bench import writes

        return writes.main(argv[1:])
    from bench import reports

    return reports.main(argv[1:] if argv[:1] == ["reports"] else argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
