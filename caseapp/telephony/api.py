"""The phone system's webhooks: POST /api/v1/telephony/events (the generic, signed JSON event) and
POST /api/v1/telephony/twilio/status (Twilio's Voice status callbacks).

Public (no sign-in, no CSRF: the signature is the credential), rate limited per sending address
(TELEPHONY_RATE_LIMIT). A request is applied whole or not at all. A refused one gets the error envelope and is
recorded (endpoint, code, status, sender address; never the body) for admins at /admin/telephony:

    503 not_configured        the endpoint's secret is not set
    401 signature_missing     no signature header
    401 signature_malformed   the generic header is not t=<unix seconds>,v1=<hex>
    403 signature_invalid     the signature does not match
    403 timestamp_stale       the signed time is outside TELEPHONY_TOLERANCE_SECONDS
    413 body_too_large        more than MAX_BODY_BYTES
    400 invalid_json          signed, but not a JSON object
    422 validation_error      signed, but a field is missing or not valid (an unknown event, a bad number)
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, request

from caseapp.api import API_PREFIX
from caseapp.api import load as load_schema
from caseapp.auth.access import signed_blueprint
from caseapp.errors import AppError, envelope
from caseapp.extensions import db, limiter
from caseapp.telephony import ingest, rejections, signatures, twilio
from caseapp.telephony.schemas import TelephonyEventSchema, event_from_body
from caseapp.timeutil import now_utc

#: no event needs more than a few hundred bytes; Twilio's status callbacks are a few KB
MAX_BODY_BYTES = 16 * 1024

api_bp = Blueprint("telephony_api", __name__, url_prefix=f"{API_PREFIX}/telephony")
signed_blueprint(api_bp)


def _rate_limit() -> str:
    return str(current_app.config["TELEPHONY_RATE_LIMIT"])


def _refuse(endpoint: str, status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> Response:
    """Answer with the envelope, after recording the refusal in a transaction of its own (nothing else applied)."""
    db.session.rollback()
    rejections.record(endpoint, code=code, status=status, remote_addr=request.remote_addr)
    db.session.commit()
    response = jsonify(envelope(code, message, fields))
    response.status_code = status
    return response


def _too_large(endpoint: str) -> Response:
    return _refuse(endpoint, 413, "body_too_large", f"Send at most {MAX_BODY_BYTES // 1024} KB.")


def _refused_before_reading(endpoint: str, setting: str) -> Response | None:
    """What both webhooks refuse before reading the body: no secret configured (503), a declared size too large."""
    if not current_app.config.get(setting):
        return _refuse(endpoint, 503, "not_configured", f"This webhook is not set up: CASEAPP_{setting} is not set.")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return _too_large(endpoint)
    return None


def _applied(applied: ingest.Applied) -> Response:
    db.session.commit()
    return jsonify({"telephony_call_id": applied.telephony_call_id, "duplicate": applied.duplicate})


@api_bp.post("/events")
@limiter.limit(_rate_limit)
def events() -> Response:
    endpoint = rejections.GENERIC
    refused = _refused_before_reading(endpoint, "TELEPHONY_SECRET")
    if refused is not None:
        return refused
    secret = current_app.config["TELEPHONY_SECRET"]
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:  # a body sent without its length declared
        return _too_large(endpoint)
    try:
        signatures.verify_generic(
            request.headers.get(signatures.SIGNATURE_HEADER),
            raw,
            secret=str(secret),
            now=now_utc(),
            tolerance_seconds=int(current_app.config["TELEPHONY_TOLERANCE_SECONDS"]),
        )
    except signatures.SignatureProblem as problem:
        return _refuse(endpoint, problem.refusal.status, problem.refusal.code, problem.refusal.message)
    try:
        data = current_app.json.loads(raw)
    except (ValueError, RecursionError, AppError):  # not JSON, not UTF-8, too deep, a NUL (caseapp/inbound.py)
        return _refuse(endpoint, 400, "invalid_json", "The request body is not valid JSON.")
    if not isinstance(data, dict):
        return _refuse(endpoint, 400, "invalid_json", "The request body must be a JSON object.")
    try:
        applied = ingest.apply_event(event_from_body(load_schema(TelephonyEventSchema, data)))
    except AppError as exc:
        return _refuse(endpoint, exc.status, exc.code, exc.message, exc.fields)
    return _applied(applied)


def received_url() -> str:
    """The URL the phone system requested: PUBLIC_BASE_URL (when a proxy changes scheme or host) or the request's
    own scheme and host, then the path and query string as sent."""
    base = current_app.config.get("PUBLIC_BASE_URL") or request.host_url
    path = quote(request.script_root + request.path, safe="/:@!$&'()*+,;=-._~%")
    query = request.query_string.decode("latin-1")
    return base.rstrip("/") + path + (f"?{query}" if query else "")


@api_bp.post("/twilio/status")
@limiter.limit(_rate_limit)
def twilio_status() -> Response:
    endpoint = rejections.TWILIO
    refused = _refused_before_reading(endpoint, "TWILIO_AUTH_TOKEN")
    if refused is not None:
        return refused
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    try:
        signatures.verify_twilio(
            request.headers.get(signatures.TWILIO_SIGNATURE_HEADER),
            received_url(),
            request.form.items(multi=True),
            auth_token=str(token),
        )
    except signatures.SignatureProblem as problem:
        return _refuse(endpoint, problem.refusal.status, problem.refusal.code, problem.refusal.message)
    try:
        applied = ingest.apply_event(twilio.event_from_form(request.form.to_dict(), request.args.get("extension")))
    except AppError as exc:
        return _refuse(endpoint, exc.status, exc.code, exc.message, exc.fields)
    return _applied(applied)
