"""Who sent a webhook: our generic HMAC signature, and Twilio's own. Standard library only (hmac, hashlib, base64);
every comparison in constant time.

Generic: `X-Caseapp-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed by
TELEPHONY_SECRET. The timestamp must be within TELEPHONY_TOLERANCE_SECONDS of our clock either way, so a captured
request cannot be replayed later (and within the window, the events' idempotency makes a replay change nothing).
Several v1= values may be sent while a secret is being changed; any one matching is enough.

Twilio: `X-Twilio-Signature` is Base64 of HMAC-SHA1, keyed by the auth token, over the full URL Twilio requested
followed by each POST parameter's name and value, sorted by name (Twilio's "Webhooks security" page and its
RequestValidator). Twilio may or may not have included the default port (:443 for https, :80 for http) in the URL
it signed, so both forms are tried.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

SIGNATURE_HEADER = "X-Caseapp-Signature"
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
#: a header longer than this is not a signature (t=, a few v1= values)
MAX_HEADER_LENGTH = 1024
_DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class Refusal:
    """Why a signature was refused: a stable code, the HTTP status it is answered with, and the message."""

    code: str
    status: int
    message: str


class SignatureProblem(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


MISSING = Refusal("signature_missing", 401, f"Send the {SIGNATURE_HEADER} header.")
GARBLED = Refusal(
    "signature_malformed", 401, f"The {SIGNATURE_HEADER} header must be t=<unix seconds>,v1=<hex HMAC-SHA256>."
)
WRONG = Refusal("signature_invalid", 403, "The signature does not match the body and the shared secret.")
STALE = Refusal("timestamp_stale", 403, "The signed timestamp is outside the accepted window.")
TWILIO_MISSING = Refusal("signature_missing", 401, f"Send the {TWILIO_SIGNATURE_HEADER} header.")
TWILIO_WRONG = Refusal(
    "signature_invalid", 403, "The signature does not match the URL, the parameters and the auth token."
)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for `body` signed at `timestamp` (what a sender computes; the tests and the README use it)."""
    return f"t={timestamp},v1={_hmac_hex(secret, timestamp, body)}"


def _hmac_hex(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureProblem(GARBLED)
        if key == "t":
            if not value.isdigit() or len(value) > 12 or timestamp is not None:
                raise SignatureProblem(GARBLED)
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        raise SignatureProblem(GARBLED)
    return timestamp, signatures


def verify_generic(header: str | None, body: bytes, *, secret: str, now: datetime, tolerance_seconds: int) -> int:
    """The signed timestamp when `header` signs `body` with `secret` within the window; SignatureProblem otherwise.
    The signature is checked before the time, so an unsigned sender learns nothing of our clock."""
    if not header:
        raise SignatureProblem(MISSING)
    if len(header) > MAX_HEADER_LENGTH:
        raise SignatureProblem(GARBLED)
    timestamp, candidates = _parse(header)
    expected = _hmac_hex(secret, timestamp, body)
    if not any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in candidates):
        raise SignatureProblem(WRONG)
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        raise SignatureProblem(STALE)
    return timestamp


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Base64(HMAC-SHA1(auth token, url + name1 + value1 + name2 + value2 ...)), parameters sorted by name (a
    repeated name's distinct values sorted, as Twilio's helper does)."""
    values: dict[str, set[str]] = {}
    for name, value in params:
        values.setdefault(name, set()).add(value)
    payload = url + "".join(name + value for name in sorted(values) for value in sorted(values[name]))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def url_variants(url: str) -> list[str]:
    """The URL as received, with and without the scheme's default port."""
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if parts.port is None and default is not None:
        other = parts._replace(netloc=_with_userinfo(parts.netloc, f"{host}:{default}"))
    elif parts.port == default:
        other = parts._replace(netloc=_with_userinfo(parts.netloc, host))
    else:
        return [url]
    return [url, urlunsplit(other)]


def _with_userinfo(netloc: str, hostport: str) -> str:
    userinfo, at, _ = netloc.rpartition("@")
    return f"{userinfo}{at}{hostport}"


def verify_twilio(header: str | None, url: str, params: Iterable[tuple[str, str]], *, auth_token: str) -> None:
    """Accept when `header` is Twilio's signature of this URL (with or without the default port) and parameters."""
    if not header:
        raise SignatureProblem(TWILIO_MISSING)
    pairs = list(params)
    given = header.strip().encode()
    matched = False
    for candidate in url_variants(url):
        # every variant is compared, so the time taken does not say which form of the URL was close
        matched |= hmac.compare_digest(twilio_signature(auth_token, candidate, pairs).encode(), given)
    if not matched:
        raise SignatureProblem(TWILIO_WRONG)
