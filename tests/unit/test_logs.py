"""Request logs: one line per request, ids not people, never the query string."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from flask import Flask

from caseapp.logs import JsonFormatter

PHONE = "07700900123"


def test_request_log_omits_the_query_string(sqlite_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    response = sqlite_app.test_client().get(
        f"/login?phone={PHONE}&name=Jo+Bloggs", headers={"X-Request-ID": "req-12345678"}
    )

    assert response.status_code == 200
    [line] = [r for r in caplog.records if r.name == "caseapp.requests"]
    assert line.getMessage() == "GET /login 200"
    # the request id is ours (the audit trail stores it); the client's own is logged beside it, for correlation
    assert line.request_id == response.headers["X-Request-ID"] != "req-12345678"  # type: ignore[attr-defined]
    assert line.client_request_id == "req-12345678"  # type: ignore[attr-defined]
    assert line.endpoint == "auth.login"  # type: ignore[attr-defined]
    for record in caplog.records:
        formatted = JsonFormatter().format(record)
        assert PHONE not in formatted
        assert "Bloggs" not in formatted


def test_request_log_carries_the_user_id_not_the_user(sqlite_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="caseapp.requests")

    sqlite_app.test_client().get("/healthz")

    [line] = [r for r in caplog.records if r.name == "caseapp.requests"]
    assert line.user_id is None  # type: ignore[attr-defined]
    assert line.status == 200  # type: ignore[attr-defined]


def test_json_formatter_writes_one_json_object_per_line_with_extras() -> None:
    record = logging.LogRecord("caseapp.x", logging.WARNING, __file__, 1, "case %s closed", (42,), None)
    record.request_id = "abc123"

    line = JsonFormatter().format(record)

    assert "\n" not in line
    data = json.loads(line)
    assert data["level"] == "WARNING"
    assert data["logger"] == "caseapp.x"
    assert data["message"] == "case 42 closed"
    assert data["request_id"] == "abc123"
    assert "args" not in data
    assert "msg" not in data


def test_json_formatter_includes_the_traceback_on_one_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("caseapp.x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    line = JsonFormatter().format(record)

    assert "\n" not in line
    assert "RuntimeError: boom" in json.loads(line)["exc_info"]
