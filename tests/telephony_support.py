"""Signing telephony webhooks as a phone system would: the generic header computed here with hmac (not with
caseapp's code), Twilio's with Twilio's own RequestValidator."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from caseapp.timeutil import now_utc

SECRET = "generic-telephony-secret-for-tests-0123456789"
TWILIO_TOKEN = "twilio-auth-token-for-tests-0123456789ab"
EVENTS = "/api/v1/telephony/events"
TWILIO = "/api/v1/telephony/twilio/status"
SETTINGS = {"TELEPHONY_SECRET": SECRET, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN}


def signature(raw: bytes, timestamp: int, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + raw, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(kind: str, call_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provider": "3cx",
        "call_id": call_id,
        "event": kind,
        "occurred_at": now_utc().isoformat(),
        "from": "+447911123456",
        "to": "helpline",
    }
    body.update(fields)
    return body


def post_event(
    client: FlaskClient,
    body: dict[str, Any] | bytes,
    *,
    signed_at: datetime | None = None,
    secret: str = SECRET,
    header: str | None = None,
) -> TestResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = int((signed_at or now_utc()).timestamp())
    headers = {"X-Caseapp-Signature": header if header is not None else signature(raw, timestamp, secret)}
    return client.post(EVENTS, data=raw, headers=headers, content_type="application/json")


def twilio_params(status: str, call_sid: str, **more: str) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "AccountSid": "AC" + "0" * 32,
        "From": "+447911123409",
        "To": "+443000000000",
        "CallStatus": status,
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        **more,
    }


def post_twilio(
    client: FlaskClient,
    params: dict[str, str] | list[tuple[str, str]],
    *,
    signed_url: str = "http://caseapp.test" + TWILIO,
    path: str = TWILIO,
    token: str = TWILIO_TOKEN,
    header: str | None = None,
) -> TestResponse:
    pairs = list(params.items()) if isinstance(params, dict) else params
    validator = RequestValidator(token)
    computed = validator.compute_signature(signed_url, dict(pairs))
    assert validator.validate(signed_url, dict(pairs), computed)
    headers = {"X-Twilio-Signature": header if header is not None else computed}
    # sent in the order given: caseapp must sort them as Twilio does
    return client.post(path, data=urlencode(pairs), headers=headers, content_type="application/x-www-form-urlencoded")


def json_of(response: TestResponse) -> dict[str, Any]:
    """The JSON object a webhook answered with."""
    data = response.get_json()
    assert isinstance(data, dict)
    return data
