"""The machine a benchmark ran on, printed with its figures."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def describe() -> str:
    """CPUs, their model, memory and the load average right now."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        memory = "unknown memory"
    one, five, _ = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average {one:.1f} (1 min), {five:.1f} (5 min)"
    )
