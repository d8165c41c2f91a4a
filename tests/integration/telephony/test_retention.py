"""Telephony's retention period, a caller's erasure, their subject access export, and the advisor's extension."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.retention.services import erase_caller
from caseapp.sar.services import build_export
from caseapp.telephony import retention
from caseapp.telephony.models import TelephonyCall, TelephonyEvent, TelephonyRejection
from caseapp.timeutil import now_utc
from tests import factories
from tests.telephony_support import SETTINGS, event, post_event


@pytest.fixture
def configured(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SETTINGS.items():
        monkeypatch.setitem(app.config, name, value)


def _count(model: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


@pytest.mark.usefixtures("configured")
def test_the_retention_run_deletes_old_events_and_refusals_and_clears_old_numbers(client: FlaskClient) -> None:
    old = now_utc() - timedelta(days=120)
    post_event(client, event("missed", "c-old", occurred_at=old.isoformat(), **{"from": "+447911123411"}))
    post_event(client, event("ringing", "c-new", **{"from": "+447911123412"}))
    post_event(client, event("ringing", "c-bad"), secret="wrong-secret-wrong-secret-wrong-secret")
    # as if the old call's event and the refusal had been received back then
    db.session.execute(
        sa.update(TelephonyEvent).where(TelephonyEvent.provider_call_id == "c-old").values(created_at=old)
    )
    db.session.execute(sa.update(TelephonyRejection).values(created_at=old))

    done = retention.purge()

    assert (done["events"], done["rejections"], done["numbers_cleared"]) == (1, 1, 1)
    calls = {c.provider_call_id: c for c in db.session.scalars(sa.select(TelephonyCall))}
    assert calls["c-old"].from_e164 is None
    assert calls["c-old"].missed_at is not None  # the counts stay for the reports
    assert calls["c-new"].from_e164 == "+447911123412"
    assert (_count(TelephonyEvent), _count(TelephonyRejection)) == (1, 0)
    assert retention.purge()["numbers_cleared"] == 0


@pytest.mark.usefixtures("configured")
def test_erasing_a_caller_clears_their_number_from_the_phone_systems_record(client: FlaskClient) -> None:
    caller = factories.make_caller(phone="07911 123413")
    db.session.commit()
    post_event(client, event("missed", "c-erase", **{"from": "+447911123413"}))

    erase_caller(caller.id, actor=factories.make_user(role=Role.ADMIN), reason="Asked to be forgotten")
    db.session.flush()

    call = db.session.scalars(sa.select(TelephonyCall).where(TelephonyCall.provider_call_id == "c-erase")).one()
    db.session.refresh(call)
    assert call.from_e164 is None
    assert call.caller_id == caller.id
    assert call.missed_at is not None


@pytest.mark.usefixtures("configured")
def test_the_subject_access_export_holds_the_callers_telephony_calls(client: FlaskClient) -> None:
    caller = factories.make_caller(phone="07911 123414")
    db.session.commit()
    post_event(client, event("voicemail", "c-sar", **{"from": "+447911123414"}))

    rows = build_export(caller).document["telephony_calls"]

    assert len(rows) == 1
    assert rows[0]["from_e164"] == "+447911123414"
    assert rows[0]["outcome"] == "voicemail"
    assert rows[0]["missed_at"] is not None
    assert "advisor_id" not in rows[0]


def test_an_admin_gives_an_advisor_a_unique_phone_extension(client_as: Any, page_csrf: Any) -> None:
    admin, _ = client_as(Role.ADMIN)
    advisor = factories.make_user(role=Role.ADVISOR, full_name="Sam Advisor")
    factories.make_user(role=Role.ADVISOR, phone_extension="555")
    db.session.commit()

    def save(extension: str) -> Any:
        page = admin.get(f"/admin/users/{advisor.id}").get_data(as_text=True)
        from tests.conftest import csrf_token_from

        data = {"csrf_token": csrf_token_from(page), "full_name": "Sam Advisor", "role": "advisor"}
        return admin.post(f"/admin/users/{advisor.id}", data={**data, "phone_extension": extension})

    taken, saved = save("555"), save("201")

    assert taken.status_code == 422
    assert "Another member of staff has this extension." in taken.get_data(as_text=True)
    assert saved.status_code == 302
    db.session.refresh(advisor)
    assert advisor.phone_extension == "201"
