"""Liveness and readiness probes (public, no personal data)."""

from __future__ import annotations

import logging

import redis
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from caseapp.auth.access import public_blueprint
from caseapp.extensions import db

logger = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
public_blueprint(bp)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    checks = {"database": _check_database(), "broker": _check_broker()}
    ready = all(result == "ok" for result in checks.values())
    return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503


def _check_database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return "ok"
    except Exception:
        logger.warning("readiness: database unreachable", exc_info=True)
        db.session.rollback()
        return "unreachable"


def _check_broker() -> str:
    redis_url = current_app.config.get("REDIS_URL")
    try:
        if redis_url:
            client = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
            try:
                client.ping()
            finally:
                client.close()
        else:
            with current_app.extensions["celery"].connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:
        logger.warning("readiness: broker unreachable", exc_info=True)
        return "unreachable"
