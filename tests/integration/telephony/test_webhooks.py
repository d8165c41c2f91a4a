"""The telephony webhooks end to end on PostgreSQL: real signed payloads (the generic shape signed with hmac here,
Twilio's with Twilio's RequestValidator), and the call logs, callbacks and flags that result."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role
from caseapp.callbacks.models import Callback
from caseapp.callers.models import NumberKind
from caseapp.callers.numbers import add_number
from caseapp.calls.models import Call, CallDraft
from caseapp.extensions import db, limiter
from caseapp.notifications.models import Notification
from caseapp.reference import CallbackPriority, CallbackStatus, RiskLevel
from caseapp.telephony.models import CallOutcome, TelephonyCall, TelephonyEvent, TelephonyRejection
from caseapp.timeutil import now_utc
from tests import factories
from tests.telephony_support import SETTINGS, event, json_of, post_event, post_twilio, twilio_params

SID = "CA" + "ab" * 16


@pytest.fixture
def configured(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SETTINGS.items():
        monkeypatch.setitem(app.config, name, value)


def _calls() -> list[TelephonyCall]:
    return list(db.session.scalars(sa.select(TelephonyCall).order_by(TelephonyCall.id)))


def _rejections() -> list[tuple[str, str, int]]:
    rows = db.session.execute(
        sa.select(TelephonyRejection.endpoint, TelephonyRejection.code, TelephonyRejection.status).order_by(
            TelephonyRejection.id
        )
    )
    return [(e, c, s) for e, c, s in rows]


def _call(provider: str, call_id: str) -> TelephonyCall:
    return db.session.scalars(
        sa.select(TelephonyCall).where(TelephonyCall.provider == provider, TelephonyCall.provider_call_id == call_id)
    ).one()


def _callbacks_of(number: str) -> list[Callback]:
    query = (
        sa.select(Callback)
        .where(Callback.id.in_(sa.select(TelephonyCall.callback_id).where(TelephonyCall.from_e164 == number)))
        .order_by(Callback.id)
    )
    return list(db.session.scalars(query))


# --- refusals -------------------------------------------------------------------------------------------------


def test_unconfigured_endpoints_answer_503_with_the_envelope_and_are_recorded(client: FlaskClient) -> None:
    generic = post_event(client, event("ringing", "c-1"))
    twilio = post_twilio(client, twilio_params("ringing", SID))

    assert generic.status_code == twilio.status_code == 503
    assert json_of(generic)["error"]["code"] == "not_configured"
    assert set(json_of(generic)["error"]) == {"code", "message", "fields"}
    assert _rejections() == [("events", "not_configured", 503), ("twilio", "not_configured", 503)]
    assert _calls() == []


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    ("how", "status", "code"),
    [
        ("missing", 401, "signature_missing"),
        ("garbled", 401, "signature_malformed"),
        ("wrong secret", 403, "signature_invalid"),
        ("replayed an hour later", 403, "timestamp_stale"),
        ("signed in the future", 403, "timestamp_stale"),
    ],
)
def test_unsigned_wrongly_signed_or_stale_events_are_refused_recorded_and_not_applied(
    client: FlaskClient, how: str, status: int, code: str
) -> None:
    body = event("missed", "c-refused")
    options: dict[str, dict[str, Any]] = {
        "missing": {"header": ""},
        "garbled": {"header": "sha256=abc"},
        "wrong secret": {"secret": "not-the-secret-at-all-0123456789abcdef"},
        "replayed an hour later": {"signed_at": now_utc() - timedelta(hours=1)},
        "signed in the future": {"signed_at": now_utc() + timedelta(minutes=10)},
    }

    response = post_event(client, body, **options[how])

    assert response.status_code == status
    assert json_of(response)["error"]["code"] == code
    assert _rejections() == [("events", code, status)]
    assert _calls() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Callback)) == 0
    rejection = db.session.scalars(sa.select(TelephonyRejection)).one()
    assert rejection.remote_addr == "127.0.0.1"


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    ("raw", "status", "code", "field"),
    [
        (b'{"provider": "3cx", "call_id": ', 400, "invalid_json", None),
        (b"[1, 2]", 400, "invalid_json", None),
        (json.dumps(event("hung_up", "c-x")).encode(), 422, "validation_error", "event"),
        (json.dumps(event("missed", "c-x", **{"from": "not a number"})).encode(), 422, "validation_error", "from"),
        (json.dumps({**event("missed", "c-x"), "provider": "twilio"}).encode(), 422, "validation_error", "provider"),
        (json.dumps({**event("ringing", "c-x"), "occurred_at": "2026-12-01T10:00:00"}).encode(), 422, None, None),
        (json.dumps({"call_id": "c-x", "event": "missed"}).encode(), 422, "validation_error", "provider"),
        (json.dumps(event("answered", "c-x", advisor={"user_id": 2**40})).encode(), 422, None, "advisor.user_id"),
        (json.dumps(event("ended", "c-x", duration_seconds=-1)).encode(), 422, None, "duration_seconds"),
        (json.dumps(event("ringing", "c-x", duration_seconds=5)).encode(), 422, None, "duration_seconds"),
    ],
)
def test_signed_but_malformed_events_are_refused_with_the_field_named(
    client: FlaskClient, raw: bytes, status: int, code: str | None, field: str | None
) -> None:
    response = post_event(client, raw)

    assert response.status_code == status
    error = json_of(response)["error"]
    if code:
        assert error["code"] == code
    if field:
        assert field in error["fields"]
    assert [s for _, _, s in _rejections()] == [status]
    assert _calls() == []


@pytest.mark.usefixtures("configured")
def test_a_body_too_large_is_refused_before_the_signature_is_even_read(client: FlaskClient) -> None:
    body = {**event("ringing", "c-big"), "padding": "x" * 20_000}

    response = post_event(client, body)

    assert response.status_code == 413
    assert json_of(response)["error"]["code"] == "body_too_large"
    assert _rejections() == [("events", "body_too_large", 413)]
    assert _calls() == []


@pytest.mark.usefixtures("configured")
def test_a_sender_beyond_the_rate_limit_gets_429_with_the_envelope(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "TELEPHONY_RATE_LIMIT", "3 per minute")
    limiter.reset()
    try:
        statuses = [post_event(client, event("ringing", f"c-rate-{n}")).status_code for n in range(4)]
        limited = post_twilio(client, twilio_params("ringing", SID))
    finally:
        limiter.reset()

    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 200  # each endpoint has its own allowance
    assert len(_calls()) == 4


# --- the generic event --------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("configured")
def test_answered_opens_a_draft_and_a_notification_for_the_advisor_found_by_extension(client: FlaskClient) -> None:
    advisor = factories.make_user(role=Role.ADVISOR, phone_extension="201")
    caller = factories.make_caller(phone="07911 123456", consent_callback=True)
    db.session.commit()
    answered_at = now_utc().replace(microsecond=0) - timedelta(minutes=2)

    first = post_event(client, event("ringing", "c-1", occurred_at=(answered_at - timedelta(seconds=20)).isoformat()))
    second = post_event(
        client, event("answered", "c-1", occurred_at=answered_at.isoformat(), advisor={"extension": "201"})
    )

    assert first.status_code == second.status_code == 200
    assert json_of(second) == {"telephony_call_id": json_of(first)["telephony_call_id"], "duplicate": False}
    call = _call("3cx", "c-1")
    assert call.outcome is CallOutcome.ANSWERED
    assert (call.advisor_id, call.caller_id, call.answered_at) == (advisor.id, caller.id, answered_at)
    assert call.offered_at == answered_at - timedelta(seconds=20)
    draft = db.session.get_one(CallDraft, call.call_draft_id)
    assert draft.advisor_id == advisor.id
    assert draft.data["phone"] == "+447911123456"
    assert (draft.data["direction"], draft.data["channel"]) == ("inbound", "phone")
    note = db.session.scalars(sa.select(Notification).where(Notification.user_id == advisor.id)).one()
    assert note.link == f"/calls/new?draft={draft.id}"
    assert "07911" not in note.title
    assert "123456" not in note.title


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize("advisor", [{"extension": "999"}, {"user_id": 999_999}, None])
def test_an_answering_advisor_we_do_not_know_still_has_the_event_applied_without_a_draft(
    client: FlaskClient, advisor: dict[str, Any] | None
) -> None:
    response = post_event(client, event("answered", "c-nobody", advisor=advisor))

    assert response.status_code == 200
    call = _call("3cx", "c-nobody")
    assert (call.outcome, call.advisor_id, call.call_draft_id) == (CallOutcome.ANSWERED, None, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CallDraft)) == 0


@pytest.mark.usefixtures("configured")
def test_the_screen_pop_page_is_filled_in_and_shows_the_flags_in_force(client: FlaskClient, login_as: Any) -> None:
    advisor = login_as(Role.ADVISOR)
    advisor.phone_extension = "202"
    caller = factories.make_caller(phone="07911 123456", consent_callback=True)
    factories.make_caller_flag(caller=caller)
    db.session.commit()
    post_event(client, event("answered", "c-pop", advisor={"user_id": advisor.id}))
    draft_id = _call("3cx", "c-pop").call_draft_id

    page = client.get(f"/calls/new?draft={draft_id}")
    banner = client.get("/calls/lookup?phone=%2B447911123456")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="+447911123456"' in html
    assert 'data-flag-kind="do_not_ring_back"' in html  # the same banner as the log-a-call lookup
    assert "Do not ring back from this line" in html
    listed = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "caller_flag.listed", AuditEvent.actor_id == advisor.id)
    ).all()
    assert listed  # showing the flags at screen-pop is a read of the caller, audited
    assert banner.status_code == 200
    assert "Known caller" in banner.get_data(as_text=True)  # what the page fetches for the pre-filled number


@pytest.mark.usefixtures("configured")
def test_saving_the_screen_pop_links_the_log_and_takes_the_phone_systems_times(
    client: FlaskClient, login_as: Any, page_csrf: Any
) -> None:
    advisor = login_as(Role.ADVISOR)
    db.session.commit()
    answered_at = now_utc().replace(microsecond=0) - timedelta(minutes=5, seconds=7)
    post_event(client, event("answered", "c-log", occurred_at=answered_at.isoformat(), advisor={"user_id": advisor.id}))
    tel = _call("3cx", "c-log")
    draft_id = tel.call_draft_id
    token = page_csrf(f"/calls/new?draft={draft_id}")

    saved = client.post(
        "/calls/new",
        data={
            "csrf_token": token,
            "draft_id": str(draft_id),
            "phone": "+447911123456",
            "call_type": "data",
            "direction": "inbound",
            "channel": "phone",
            "relationship": "self",
            "consent_callback": "false",
            "consent_voicemail": "false",
            "consent_sms": "false",
        },
    )
    ended_at = answered_at + timedelta(minutes=4, seconds=30)
    late_end = post_event(client, event("ended", "c-log", occurred_at=ended_at.isoformat(), duration_seconds=270))

    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    assert late_end.status_code == 200
    tel = _call("3cx", "c-log")
    logged = db.session.get_one(Call, tel.call_id)
    assert logged.advisor_id == advisor.id
    assert (logged.started_at, logged.ended_at) == (answered_at, ended_at)
    assert tel.duration_seconds == 270


@pytest.mark.usefixtures("configured")
def test_the_same_event_twice_changes_nothing(client: FlaskClient) -> None:
    advisor = factories.make_user(role=Role.ADVISOR)
    db.session.commit()
    body = event("answered", "c-dup", advisor={"user_id": advisor.id})

    first, again = post_event(client, body), post_event(client, body)

    assert json_of(first)["duplicate"] is False
    assert json_of(again)["duplicate"] is True
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TelephonyEvent)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CallDraft)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.user_id == advisor.id)) == 1


def _state(call: TelephonyCall) -> tuple[Any, ...]:
    draft = db.session.get_one(CallDraft, call.call_draft_id) if call.call_draft_id else None
    return (
        call.outcome,
        call.offered_at,
        call.answered_at,
        call.ended_at,
        call.duration_seconds,
        call.advisor_id,
        call.local_date,
        call.local_hour,
        call.callback_id,
        {k: v for k, v in draft.data.items() if k != "telephony_call_id"} if draft else None,
    )


@pytest.mark.usefixtures("configured")
def test_ended_before_answered_ends_in_the_same_state_as_in_order(client: FlaskClient) -> None:
    factories.make_user(role=Role.ADVISOR, phone_extension="301")
    db.session.commit()
    start = now_utc().replace(microsecond=0) - timedelta(minutes=10)
    steps: dict[str, dict[str, Any]] = {
        "ringing": {"occurred_at": start.isoformat()},
        "answered": {"occurred_at": (start + timedelta(seconds=15)).isoformat(), "advisor": {"extension": "301"}},
        "ended": {"occurred_at": (start + timedelta(minutes=6)).isoformat(), "duration_seconds": 345},
    }
    for name in ("ringing", "answered", "ended"):
        post_event(client, event(name, "in-order", **steps[name]))
    for name in ("ended", "answered", "ringing"):
        post_event(client, event(name, "reversed", **steps[name]))

    in_order, reversed_ = _call("3cx", "in-order"), _call("3cx", "reversed")
    assert _state(in_order) == _state(reversed_)
    assert in_order.outcome is CallOutcome.ANSWERED
    assert in_order.duration_seconds == 345
    assert db.session.get_one(CallDraft, reversed_.call_draft_id).data["ended_at"]


# --- missed calls -----------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    ("risk", "priority"),
    [
        (None, CallbackPriority.NORMAL),
        (RiskLevel.HIGH, CallbackPriority.HIGH),
        (RiskLevel.IMMEDIATE_DANGER, CallbackPriority.URGENT),
    ],
)
def test_a_missed_call_makes_a_pooled_callback_due_now_at_the_cases_priority(
    client: FlaskClient, risk: RiskLevel | None, priority: CallbackPriority
) -> None:
    number = "+447911222333"
    if risk is not None:
        factories.make_case(factories.make_caller(phone=number), risk_level=risk)
    db.session.commit()
    before = now_utc()

    response = post_event(client, event("missed", "c-m", **{"from": "07911 222333"}))

    assert response.status_code == 200
    (callback,) = _callbacks_of(number)
    assert callback.assignee_id is None
    assert callback.status is CallbackStatus.SCHEDULED
    assert before - timedelta(seconds=5) <= callback.due_at <= now_utc()
    assert callback.priority is priority
    assert callback.reason == "Missed call"
    assert callback.case.caller.phone_e164 == number
    assert _call("3cx", "c-m").outcome is CallOutcome.MISSED


@pytest.mark.usefixtures("configured")
def test_three_missed_calls_and_a_voicemail_from_one_number_make_one_callback(client: FlaskClient) -> None:
    number = "+447911123401"
    for n, kind in enumerate(("missed", "missed", "voicemail", "missed")):
        post_event(client, event(kind, f"c-many-{n}", **{"from": number}))

    (callback,) = _callbacks_of(number)
    assert {c.callback_id for c in _calls()} == {callback.id}
    assert (callback.attempt_count, callback.failed_attempt_count) == (0, 0)
    page_count = db.session.scalar(
        sa.select(sa.func.count()).where(TelephonyCall.callback_id == callback.id, TelephonyCall.missed_at.is_not(None))
    )
    assert page_count == 4


@pytest.mark.usefixtures("configured")
def test_missed_calls_from_a_callers_main_and_other_number_make_one_callback(client: FlaskClient) -> None:
    caller = factories.make_caller(phone="+447911123431")
    manager = factories.make_user(role=Role.MANAGER)
    add_number(caller, phone="+442079460431", kind=NumberKind.LANDLINE, actor=manager)
    db.session.commit()

    post_event(client, event("missed", "c-two-numbers-1", **{"from": "+447911123431"}))
    post_event(client, event("missed", "c-two-numbers-2", **{"from": "+442079460431"}))

    (first,) = _callbacks_of("+447911123431")
    assert _callbacks_of("+442079460431") == [first]
    assert {c.caller_id for c in _calls()} == {caller.id}


@pytest.mark.usefixtures("configured")
def test_answered_reported_after_missed_withdraws_the_callback_the_call_made_alone(client: FlaskClient) -> None:
    number = "+447911123421"
    post_event(client, event("missed", "late-answer", **{"from": number}))
    (callback,) = _callbacks_of(number)

    post_event(client, event("answered", "late-answer", **{"from": number}))

    db.session.refresh(callback)
    call = _call("3cx", "late-answer")
    assert (call.outcome, call.callback_id) == (CallOutcome.ANSWERED, None)
    assert callback.status is CallbackStatus.CANCELLED
    assert callback.cancel_reason is not None


@pytest.mark.usefixtures("configured")
def test_answered_after_missed_leaves_a_callback_other_missed_calls_joined(client: FlaskClient) -> None:
    number = "+447911123422"
    post_event(client, event("missed", "first-miss", **{"from": number}))
    post_event(client, event("missed", "second-miss", **{"from": number}))
    post_event(client, event("answered", "second-miss", **{"from": number}))

    (callback,) = _callbacks_of(number)
    assert callback.status is CallbackStatus.SCHEDULED
    assert _call("3cx", "second-miss").callback_id is None


@pytest.mark.usefixtures("configured")
def test_the_callback_page_shows_how_many_missed_calls_it_stands_for(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.ADVISOR)
    number = "+447911123423"
    for n in range(3):
        post_event(client, event("missed", f"count-{n}", **{"from": number}))
    (callback,) = _callbacks_of(number)
    factories.make_shift(factories.make_user(role=Role.ADVISOR))
    db.session.commit()

    page = client.get(f"/callbacks/{callback.id}")

    assert page.status_code == 200
    assert "3 missed calls from this number" in page.get_data(as_text=True)


@pytest.mark.usefixtures("configured")
def test_a_missed_call_after_the_callback_closed_makes_a_new_one(client: FlaskClient) -> None:
    number = "+447911123402"
    post_event(client, event("missed", "c-a", **{"from": number}))
    (first,) = _callbacks_of(number)
    first.status = CallbackStatus.COMPLETED
    db.session.commit()

    post_event(client, event("missed", "c-b", **{"from": number}))

    assert [c.id for c in _callbacks_of(number)][0] == first.id
    assert len(_callbacks_of(number)) == 2


@pytest.mark.usefixtures("configured")
def test_a_withheld_missed_call_is_recorded_but_makes_no_callback(client: FlaskClient) -> None:
    response = post_event(client, event("missed", "c-w", **{"from": "withheld"}))

    assert response.status_code == 200
    (call,) = _calls()
    assert (call.withheld, call.from_e164, call.outcome, call.callback_id) == (True, None, CallOutcome.MISSED, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Callback)) == 0


@pytest.mark.usefixtures("configured")
def test_a_number_flagged_do_not_ring_back_makes_no_callback_while_the_flag_lasts(client: FlaskClient) -> None:
    factories.make_caller_flag(phone="07911 123404")
    db.session.commit()

    response = post_event(client, event("missed", "c-f", **{"from": "+447911123404"}))

    assert response.status_code == 200
    assert _call("3cx", "c-f").outcome is CallOutcome.MISSED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Callback)) == 0


@pytest.mark.usefixtures("configured")
def test_a_lifted_flag_no_longer_blocks_the_callback(client: FlaskClient) -> None:
    flag = factories.make_caller_flag(phone="07911 123405")
    flag.ended_at = now_utc()
    flag.end_reason = "lifted"  # type: ignore[assignment]
    db.session.commit()

    post_event(client, event("missed", "c-f2", **{"from": "+447911123405"}))

    assert len(_callbacks_of("+447911123405")) == 1


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    ("utc", "local_date", "local_hour"),
    [
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), date(2026, 3, 29), 0),  # GMT, before the clocks go forward
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), date(2026, 3, 29), 2),  # BST: 02:30
        (datetime(2026, 10, 24, 23, 30, tzinfo=UTC), date(2026, 10, 25), 0),  # BST: 00:30 the next day
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), date(2026, 10, 25), 1),  # the first 01:30 (BST)
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), date(2026, 10, 25), 1),  # the second 01:30 (GMT)
    ],
)
def test_calls_are_bucketed_by_london_date_and_hour_across_the_clock_changes(
    client: FlaskClient, utc: datetime, local_date: date, local_hour: int
) -> None:
    post_event(client, event("ringing", "c-clock", occurred_at=utc.isoformat()))

    call = _call("3cx", "c-clock")
    assert (call.offered_at, call.local_date, call.local_hour) == (utc, local_date, local_hour)


# --- Twilio -----------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("configured")
def test_twilio_status_callbacks_signed_by_twilios_validator_are_applied(client: FlaskClient) -> None:
    advisor = factories.make_user(role=Role.ADVISOR, phone_extension="401")
    db.session.commit()
    url = "http://caseapp.test/api/v1/telephony/twilio/status?extension=401"
    path = "/api/v1/telephony/twilio/status?extension=401"

    for status in ("queued", "ringing", "in-progress"):
        assert post_twilio(client, twilio_params(status, SID), signed_url=url, path=path).status_code == 200
    completed = post_twilio(client, twilio_params("completed", SID, CallDuration="95"), signed_url=url, path=path)

    assert completed.status_code == 200
    call = _call("twilio", SID)
    assert (call.outcome, call.advisor_id, call.duration_seconds) == (CallOutcome.ANSWERED, advisor.id, 95)
    assert call.from_e164 == "+447911123409"
    assert call.call_draft_id is not None
    assert db.session.scalar(sa.select(sa.func.count()).where(TelephonyEvent.provider_call_id == SID)) == 4


@pytest.mark.usefixtures("configured")
def test_twilio_no_answer_makes_a_callback_and_a_repeat_of_it_changes_nothing(client: FlaskClient) -> None:
    params = twilio_params("no-answer", SID, From="+447911123406")

    first, again = post_twilio(client, params), post_twilio(client, params)

    assert (json_of(first)["duplicate"], json_of(again)["duplicate"]) == (False, True)
    assert len(_callbacks_of("+447911123406")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TelephonyEvent)) == 1


@pytest.mark.usefixtures("configured")
def test_twilio_parameters_sent_in_any_order_are_sorted_as_twilio_signs_them(client: FlaskClient) -> None:
    params = list(reversed(list(twilio_params("ringing", SID, Caller="+447911123409", CallerCity="LEEDS").items())))

    response = post_twilio(client, params)

    assert response.status_code == 200
    assert _call("twilio", SID).outcome is CallOutcome.RINGING


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    "signed_url",
    [
        "https://caseapp.example.org/api/v1/telephony/twilio/status",
        "https://caseapp.example.org:443/api/v1/telephony/twilio/status",
    ],
)
def test_twilio_behind_a_proxy_is_checked_against_the_public_url_with_or_without_the_port(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, signed_url: str
) -> None:
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://caseapp.example.org")

    response = post_twilio(client, twilio_params("ringing", SID), signed_url=signed_url)

    assert response.status_code == 200


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    ("case", "code", "status"),
    [
        ("wrong token", "signature_invalid", 403),
        ("other url", "signature_invalid", 403),
        ("no header", "signature_missing", 401),
        ("tampered", "signature_invalid", 403),
    ],
)
def test_twilio_requests_not_signed_for_this_url_and_token_are_refused(
    client: FlaskClient, case: str, code: str, status: int
) -> None:
    params = twilio_params("no-answer", SID)
    if case == "wrong token":
        response = post_twilio(client, params, token="a-different-auth-token-0123456789abcd")
    elif case == "other url":
        response = post_twilio(client, params, signed_url="http://elsewhere.test/api/v1/telephony/twilio/status")
    elif case == "no header":
        response = post_twilio(client, params, header="")
    else:
        from twilio.request_validator import RequestValidator

        good = RequestValidator(SETTINGS["TWILIO_AUTH_TOKEN"]).compute_signature(
            "http://caseapp.test/api/v1/telephony/twilio/status", params
        )
        response = post_twilio(client, {**params, "From": "+447911123408"}, header=good)

    assert response.status_code == status
    assert json_of(response)["error"]["code"] == code
    assert _rejections() == [("twilio", code, status)]
    assert _calls() == []


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(
    ("more", "field"),
    [
        ({"Timestamp": "not a date"}, "Timestamp"),
        ({"Timestamp": "Fri, 31 Dec 9999 23:59:59 -1200"}, "Timestamp"),
        ({"CallDuration": "ten"}, "CallDuration"),
        ({"CallStatus": "exploded"}, "CallStatus"),
        ({"CallSid": "not-a-sid"}, "CallSid"),
    ],
)
def test_twilio_signed_but_malformed_parameters_are_refused_with_the_field_named(
    client: FlaskClient, more: dict[str, str], field: str
) -> None:
    response = post_twilio(client, {**twilio_params("completed", SID), **more})

    assert response.status_code == 422
    assert field in json_of(response)["error"]["fields"]
    assert _rejections() == [("twilio", "validation_error", 422)]
    assert _calls() == []


@pytest.mark.usefixtures("configured")
def test_twilio_timestamps_are_the_calls_times(client: FlaskClient) -> None:
    post_twilio(client, twilio_params("ringing", SID, Timestamp="Wed, 02 Dec 2026 18:00:05 +0000"))

    assert _call("twilio", SID).offered_at == datetime(2026, 12, 2, 18, 0, 5, tzinfo=UTC)


@pytest.mark.usefixtures("configured")
def test_twilio_anonymous_caller_is_withheld(client: FlaskClient) -> None:
    post_twilio(client, twilio_params("busy", SID, From="anonymous"))

    call = _call("twilio", SID)
    assert (call.withheld, call.outcome, call.callback_id) == (True, CallOutcome.MISSED, None)


# --- the admin page ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("configured")
def test_refused_requests_and_recent_calls_are_shown_to_admins_only_with_numbers_masked(
    client: FlaskClient, client_as: Any
) -> None:
    post_event(client, event("missed", "c-admin", **{"from": "+447911123407"}))
    post_event(client, event("missed", "c-bad"), secret="wrong-secret-wrong-secret-wrong-secret")
    admin, _ = client_as(Role.ADMIN)
    advisor, _ = client_as(Role.ADVISOR)

    page = admin.get("/admin/telephony/")
    refused = advisor.get("/admin/telephony/")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "signature_invalid" in html
    assert "••• ••• ••407" in html
    assert "123407" not in html
    assert refused.status_code == 403
