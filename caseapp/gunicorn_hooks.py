"""gunicorn hooks for `caseapp web` (loaded with `--config python:caseapp.gunicorn_hooks`)."""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """The app is loaded in this worker: what it allocated at start-up (modules, mappers, compiled statements) lives as
    long as the process, so take it out of the garbage collector's scans (gc.freeze). Measured in-process on
    POST /api/v1/calls: about a sixth less CPU a request."""
    gc.freeze()
