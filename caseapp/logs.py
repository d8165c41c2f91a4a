"""Logging: request ids, one line per request (JSON in production), and no personal data."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, g, request
from flask_login import current_user
from werkzeug.wrappers import Response

logger = logging.getLogger("caseapp.requests")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: loggers of the libraries a worker runs on (a line per task received and done): LIBRARY_LOG_LEVEL quietens them
LIBRARY_LOGGERS = ("celery", "kombu", "amqp", "redbeat")
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and whatever was passed in extra={...}."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS})
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def configure_logging(app: Flask) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_caseapp", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._caseapp = True  # type: ignore[attr-defined]
        if app.config["JSON_LOGS"]:
            handler.setFormatter(JsonFormatter())
        else:
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    if app.config.get("LIBRARY_LOG_LEVEL"):
        for name in LIBRARY_LOGGERS:
            logging.getLogger(name).setLevel(app.config["LIBRARY_LOG_LEVEL"])

    @app.before_request
    def assign_request_id() -> None:
        # always our own: the audit trail stores it, and a client must not choose what it says
        g.request_id = uuid.uuid4().hex
        incoming = request.headers.get("X-Request-ID", "")
        g.client_request_id = incoming if _REQUEST_ID.match(incoming) else None
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        elapsed_ms = round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1)
        # the path only: query strings can carry phone numbers or names
        logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": g.get("request_id"),
                "client_request_id": g.get("client_request_id"),
                "endpoint": request.endpoint,
                "status": response.status_code,
                "duration_ms": elapsed_ms,
                "user_id": current_user.get_id() if current_user and current_user.is_authenticated else None,
            },
        )
        return response
