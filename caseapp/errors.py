"""Domain exceptions and the handlers that turn them (and HTTP errors) into JSON envelopes or HTML pages."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)


class AppError(Exception):
    """Base of the errors a user can cause; each maps to one 4xx status and a stable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra


class ValidationError(AppError):
    status = 422
    code = "validation_error"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Conflict(AppError):
    status = 409
    code = "conflict"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def envelope(code: str, message: str, fields: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields or {}}
    body.update(extra)
    return {"error": body}


def _discard_changes() -> None:
    """An error response commits nothing the failed request changed (an after_request hook may commit later)."""
    from caseapp.extensions import db

    try:
        db.session.rollback()
    except Exception:  # the database may be what failed; the error page must still render
        logger.warning("rollback after an error failed", exc_info=True)


def _respond(status: int, code: str, message: str, fields: dict[str, Any] | None = None, **extra: Any) -> Response:
    _discard_changes()
    if wants_json():
        response = jsonify(envelope(code, message, fields, **extra))
    else:
        template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
        response = Response(render_template(template, status=status, message=message, fields=fields or {}))
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(error: AppError) -> Response:
        return _respond(error.status, error.code, error.message, error.fields, **error.extra)

    @app.errorhandler(StaleDataError)
    def handle_stale(error: StaleDataError) -> Response:
        return _respond(409, Conflict.code, "Someone else changed this record at the same time. Reload and try again.")

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError) -> Response:
        return _respond(
            400, "csrf_failed", "The form expired or was sent from elsewhere. Reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = (error.name or "error").lower().replace(" ", "_")
        message = error.description or error.name
        if status == 429:  # Flask-Limiter's description is the limit itself ("3 per 1 minute")
            message = "Too many attempts in a short time. Wait a minute, then try again."
        elif status == 413:
            limit = request.max_content_length or 0
            message = f"The request is too large: send at most {limit // 1024:,} KB."
        response = _respond(status, code, message)
        if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        if status == 429:
            retry_after = getattr(error, "retry_after", None)
            if retry_after:
                response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        request_id = g.get("request_id", "-")
        logger.exception("unhandled error", extra={"request_id": request_id})
        return _respond(
            500,
            "internal_error",
            f"Something went wrong on our side. Quote reference {request_id}.",
            request_id=request_id,
        )
