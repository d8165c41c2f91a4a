"""caseapp's own signature checks: the generic header parsed strictly and checked before the clock, and Twilio's
scheme agreeing with Twilio's own RequestValidator (including repeated parameters and the default port)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from twilio.request_validator import RequestValidator

from caseapp.telephony import signatures
from caseapp.telephony.signatures import SignatureProblem, verify_generic, verify_twilio
from tests.telephony_support import signature

SECRET = "unit-test-secret-unit-test-secret-0123"
NOW = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
T = int(NOW.timestamp())
BODY = b'{"event": "missed"}'


def _code(header: str | None, body: bytes = BODY, now: datetime = NOW) -> str:
    with pytest.raises(SignatureProblem) as raised:
        verify_generic(header, body, secret=SECRET, now=now, tolerance_seconds=300)
    return raised.value.refusal.code


def test_a_header_signed_as_documented_is_accepted_within_the_window() -> None:
    assert verify_generic(signature(BODY, T, SECRET), BODY, secret=SECRET, now=NOW, tolerance_seconds=300) == T
    late = datetime.fromtimestamp(T + 300, UTC)
    assert verify_generic(signature(BODY, T, SECRET), BODY, secret=SECRET, now=late, tolerance_seconds=300) == T


def test_one_matching_signature_of_several_is_enough_while_a_secret_changes() -> None:
    good = signature(BODY, T, SECRET).split("v1=")[1]
    header = f"t={T},v1={'0' * 64},v1={good}"
    assert verify_generic(header, BODY, secret=SECRET, now=NOW, tolerance_seconds=300) == T


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "signature_missing"),
        ("", "signature_missing"),
        ("v1=abc", "signature_malformed"),
        (f"t={T}", "signature_malformed"),
        (f"t=-5,v1={'0' * 64}", "signature_malformed"),
        (f"t={T},t={T},v1={'0' * 64}", "signature_malformed"),
        ("garbage", "signature_malformed"),
        (f"t={T},v1=" + "a" * 2000, "signature_malformed"),
        (f"t={T},v1={'0' * 64}", "signature_invalid"),
    ],
)
def test_missing_garbled_and_wrong_headers_are_refused_by_code(header: str | None, code: str) -> None:
    assert _code(header) == code


def test_a_changed_body_or_an_old_timestamp_is_refused() -> None:
    assert _code(signature(BODY, T, SECRET), body=BODY + b" ") == "signature_invalid"
    assert _code(signature(BODY, T - 301, SECRET)) == "timestamp_stale"
    assert _code(signature(BODY, T + 301, SECRET)) == "timestamp_stale"


def test_a_wrong_signature_is_reported_as_wrong_before_its_time_is_looked_at() -> None:
    assert _code(f"t={T - 10_000},v1={'0' * 64}") == "signature_invalid"


URL = "https://caseapp.example.org/api/v1/telephony/twilio/status?extension=201"
TOKEN = "12345678901234567890123456789012"


def test_our_twilio_signature_is_twilios() -> None:
    params = {"CallSid": "CA" + "1" * 32, "From": "+447911123456", "To": "+443000000000", "CallStatus": "ringing"}
    theirs = RequestValidator(TOKEN).compute_signature(URL, params)

    assert signatures.twilio_signature(TOKEN, URL, params.items()) == theirs
    verify_twilio(theirs, URL, reversed(list(params.items())), auth_token=TOKEN)


def test_repeated_parameters_are_signed_as_twilio_signs_them() -> None:
    from werkzeug.datastructures import MultiDict

    params = MultiDict([("CallSid", "CA" + "2" * 32), ("Tag", "b"), ("Tag", "a")])
    theirs = RequestValidator(TOKEN).compute_signature(URL, params)

    assert signatures.twilio_signature(TOKEN, URL, params.items(multi=True)) == theirs


@pytest.mark.parametrize(
    ("url", "variants"),
    [
        ("https://h.example/p", ["https://h.example/p", "https://h.example:443/p"]),
        ("https://h.example:443/p?x=1", ["https://h.example:443/p?x=1", "https://h.example/p?x=1"]),
        ("http://h.example/p", ["http://h.example/p", "http://h.example:80/p"]),
        ("http://h.example:8080/p", ["http://h.example:8080/p"]),
    ],
)
def test_the_url_is_tried_with_and_without_the_default_port(url: str, variants: list[str]) -> None:
    assert signatures.url_variants(url) == variants


def test_a_twilio_signature_for_another_url_or_token_is_refused() -> None:
    params = {"CallSid": "CA" + "3" * 32, "CallStatus": "busy"}
    other_url = RequestValidator(TOKEN).compute_signature(URL.replace("201", "202"), params)
    other_token = RequestValidator("x" * 32).compute_signature(URL, params)

    for header in (other_url, other_token, None):
        with pytest.raises(SignatureProblem):
            verify_twilio(header, URL, params.items(), auth_token=TOKEN)
