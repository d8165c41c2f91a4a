"""The follow-up callback a referral's change proposes: the day on the UK calendar (across the clock changes), the
time of day (the setting, or the caller's preferred window), never in the past, and the booked callback row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from typing import Any

import pytest
import time_machine

from caseapp.callbacks.models import Callback
from caseapp.extensions import db
from caseapp.referrals.history import start_referral
from caseapp.referrals.models import Referral, ReferralStatus
from caseapp.timeutil import to_local
from tests import factories
from tests.integration.api_support import Api


@pytest.fixture
def frozen() -> Iterator[Any]:
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def _offered(api: Api, at: datetime, **caller: Any) -> Referral:
    case = factories.make_case(factories.make_caller(consent_callback=True, **caller), actor=api.account)
    referral = start_referral(
        case_id=case.id,
        service_id=factories.make_treatment_service().id,
        status=ReferralStatus.OFFERED,
        actor=api.account,
        at=at,
    )
    db.session.commit()
    return referral


def _send(api: Api, referral: Referral, to: str = "sent", **body: Any) -> dict[str, Any]:
    version = db.session.get_one(Referral, referral.id).version
    response = api.post(f"/api/v1/referrals/{referral.id}/status", json={"to": to, "version": version, **body})
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    return result


def test_a_follow_up_three_days_after_a_send_on_the_friday_before_the_clocks_go_back_is_at_10_gmt(
    api: Api, frozen: Any
) -> None:
    frozen.move_to(datetime(2026, 10, 23, 13, 0, tzinfo=UTC))  # Friday 23 October, 14:00 BST
    referral = _offered(api, datetime(2026, 10, 23, 9, 0, tzinfo=UTC))

    body = _send(api, referral, book_follow_up=True)

    callback = db.session.get_one(Callback, body["booked_callback_id"])
    # Monday 26 October is GMT: 10:00 there is 10:00 UTC (72 hours on from 14:00 BST would be 13:00 GMT)
    assert callback.due_at == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)
    assert to_local(callback.due_at).strftime("%a %d %b %H:%M %Z") == "Mon 26 Oct 10:00 GMT"
    assert datetime.fromisoformat(body["proposed_callback"]["due_at"]) == callback.due_at


def test_a_follow_up_across_the_clocks_going_forward_is_at_10_bst(api: Api, frozen: Any) -> None:
    frozen.move_to(datetime(2026, 3, 27, 16, 0, tzinfo=UTC))  # Friday 27 March, 16:00 GMT
    referral = _offered(api, datetime(2026, 3, 27, 9, 0, tzinfo=UTC))

    body = _send(api, referral)

    assert datetime.fromisoformat(body["proposed_callback"]["due_at"]) == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def test_the_follow_up_is_at_the_start_of_the_callers_preferred_window_when_10_is_outside_it(
    api: Api, frozen: Any
) -> None:
    frozen.move_to(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    referral = _offered(
        api, datetime(2026, 11, 2, 9, 0, tzinfo=UTC), preferred_from=time(18, 0), preferred_to=time(21, 0)
    )

    body = _send(api, referral, book_follow_up=True)

    callback = db.session.get_one(Callback, body["booked_callback_id"])
    assert callback.due_at == datetime(2026, 11, 5, 18, 0, tzinfo=UTC)
    assert callback.outside_preferred_times is False


def test_an_admission_proposes_a_follow_up_in_28_days_asking_how_treatment_is_going(api: Api, frozen: Any) -> None:
    frozen.move_to(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    referral = _offered(api, datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    _send(api, referral)
    _send(api, referral, "accepted")

    body = _send(api, referral, "admitted")

    proposal = body["proposed_callback"]
    assert datetime.fromisoformat(proposal["due_at"]) == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert proposal["reason"] == f"Referral follow-up: how is treatment at {referral.service.name} going?"


def test_a_send_recorded_late_proposes_the_next_10_oclock_not_a_time_in_the_past(api: Api, frozen: Any) -> None:
    frozen.move_to(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    referral = _offered(api, datetime(2026, 11, 1, 9, 0, tzinfo=UTC))

    body = _send(api, referral, at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC).isoformat())

    assert datetime.fromisoformat(body["proposed_callback"]["due_at"]) == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def test_the_follow_up_days_and_time_come_from_the_settings(api: Api, frozen: Any, app: Any) -> None:
    frozen.move_to(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    referral = _offered(api, datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    saved = {k: app.config[k] for k in ("REFERRAL_SENT_FOLLOW_UP_DAYS", "REFERRAL_FOLLOW_UP_AT")}
    app.config.update(REFERRAL_SENT_FOLLOW_UP_DAYS=5, REFERRAL_FOLLOW_UP_AT="14:30")
    try:
        body = _send(api, referral)
    finally:
        app.config.update(saved)

    assert datetime.fromisoformat(body["proposed_callback"]["due_at"]) == datetime(2026, 11, 7, 14, 30, tzinfo=UTC)
