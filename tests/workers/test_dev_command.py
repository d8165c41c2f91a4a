"""`make run` (`caseapp dev`) as a new user sees it: the URL and demo logins come last and stay on screen while the
worker runs its scans, the web app answers, and the files holding health data are private. Ctrl-C stops it all."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.live import ROOT, wait_for
from tests.servers import free_port

CASEAPP = str(Path(sys.executable).parent / "caseapp")
#: the worker's beat runs every scan this often here, so a quiet window of a few seconds spans several scans
SCAN_SECONDS = 1


def _start(var: Path, port: int) -> tuple[subprocess.Popen[str], threading.Thread, list[str]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASEAPP_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "CASEAPP_ENV": "development",
            "CASEAPP_VAR_DIR": str(var),
            "CASEAPP_SCAN_INTERVAL_SECONDS": str(SCAN_SECONDS),
            "CASEAPP_SWEEP_INTERVAL_SECONDS": str(SCAN_SECONDS),
        }
    )
    process = subprocess.Popen(
        [CASEAPP, "dev", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return process, reader, lines


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server on loopback
            return bool(response.status == 200)
    except OSError:
        return False


def test_make_run_prints_the_url_and_logins_last_and_keeps_health_data_private(tmp_path: Path) -> None:
    var, port = tmp_path / "var", free_port()
    process, reader, lines = _start(var, port)
    try:
        wait_for(lambda: any("Press Ctrl-C" in line for line in lines), 120, "the URL block")
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), 30, "the web app")
        time.sleep(6 * SCAN_SECONDS)  # a window in which beat sends each scan several times

        block_end = next(i for i, line in enumerate(lines) if "Press Ctrl-C" in line)
        after = [line for line in lines[block_end + 1 :] if line.strip()]
        assert after == [], f"printed after the URL block: {after[:5]}"
        block = "\n".join(lines[block_end - 6 : block_end + 1])
        assert f"caseapp is running at http://127.0.0.1:{port}/" in block
        assert "advisor@example.org" in block
        assert "calm-harbour-2026" in block
        assert any("worker ready" in line for line in lines[:block_end])  # the worker was up before the URL
        assert not [line for line in lines if "Task " in line and "received" in line]  # Celery's per-task lines

        assert stat.S_IMODE(var.stat().st_mode) == 0o700
        files = [p for p in var.rglob("*") if p.is_file()]
        assert {p.name for p in files} >= {"caseapp.sqlite", "celery-broker.sqlite"}
        assert {
            p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files if stat.S_IMODE(p.stat().st_mode) != 0o600
        } == {}
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, to the whole terminal's process group
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
        finally:
            reader.join(timeout=10)
            assert process.stdout is not None
            process.stdout.close()
    assert not _answers(f"http://127.0.0.1:{port}/healthz")
