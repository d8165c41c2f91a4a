"""Merging a duplicate caller record into a kept one (managers and admins): everything moves and the counts shown
before the merge are what moved; undo puts the same rows back; the undo window; refusals; the report tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.callbacks.models import Callback
from caseapp.caller_flags.models import CallerFlag, FlagKind
from caseapp.callers import merges, queries
from caseapp.callers.models import Caller, CallerMerge, CallerNumber, NumberKind
from caseapp.callers.numbers import add_number, remove_number
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import Relationship
from caseapp.retention.services import place_legal_hold
from caseapp.telephony.models import TelephonyCall
from caseapp.timeutil import now_utc
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.api_support import Api, audit_events
from tests.integration.reports import expected


def _owned(caller_id: int) -> dict[str, list[int]]:
    """Ids of every row on the caller, by table."""
    return {key: queries.ids_where(model, column, caller_id) for key, (model, column) in merges.MOVED.items()} | {
        "callbacks": list(
            db.session.scalars(
                sa.select(Callback.id).join(Case).where(Case.caller_id == caller_id).order_by(Callback.id)
            )
        )
    }


def _flag(caller: Caller, by: User) -> CallerFlag:
    flag = CallerFlag(
        caller_id=caller.id,
        kind=FlagKind.HOAX,
        reason="rang five times",
        expires_at=now_utc() + timedelta(days=3),
        raised_by_id=by.id,
    )
    db.session.add(flag)
    return flag


def _telephony_call(caller: Caller) -> TelephonyCall:
    now = now_utc()
    row = TelephonyCall(
        provider="test",
        provider_call_id=f"tc-{caller.id}",
        from_e164=caller.phone_e164,
        caller_id=caller.id,
        offered_at=now,
        local_date=now.date(),
        local_hour=now.hour,
    )
    db.session.add(row)
    return row


class Pair:
    def __init__(self, manager: User) -> None:
        advisor = factories.make_user()
        self.kept = factories.make_caller(name="Sam Jones", consent_callback=True)
        kept_case = factories.make_case(self.kept, actor=advisor)
        factories.make_call(kept_case, actor=advisor)
        self.duplicate = factories.make_caller(
            name="Samantha Jones", relationship=Relationship.PARENT, consent_callback=True, consent_sms=True
        )
        dup_case = factories.make_case(self.duplicate, actor=advisor)
        for _ in range(3):
            factories.make_call(dup_case, actor=advisor)
        factories.make_callback(dup_case, actor=advisor)
        factories.make_callback(dup_case, actor=advisor)
        _flag(self.duplicate, manager)
        _telephony_call(self.duplicate)
        self.dup_other = add_number(
            self.duplicate, phone=factories.unique_phone(), kind=NumberKind.MOBILE, actor=manager
        )
        self.dup_phone = self.duplicate.phone_e164
        db.session.commit()
        self.before_kept = _owned(self.kept.id)
        self.before_dup = _owned(self.duplicate.id)


@pytest.fixture
def manager_api(api_as: Any) -> Api:
    return api_as(Role.MANAGER)


@pytest.fixture
def pair(manager_api: Api) -> Pair:
    return Pair(manager_api.account)


def _merge(api: Api, kept_id: int, duplicate_id: int) -> Any:
    return api.post(f"/api/v1/callers/{kept_id}/merge", json={"duplicate_id": duplicate_id})


def test_a_merge_moves_everything_the_preview_counted(manager_api: Api, pair: Pair) -> None:
    shown = merges.preview(pair.kept, pair.duplicate)
    assert shown.counts == {
        "calls": 3,
        "cases": 1,
        "caller_flags": 1,
        "telephony_calls": 1,
        "caller_numbers": 2,  # the other number, and the main number that becomes one
        "callbacks": 2,
    }
    assert set(shown.differing) == {"name", "relationship", "consent_sms"}

    response = _merge(manager_api, pair.kept.id, pair.duplicate.id)

    assert response.status_code == 201, response.get_json()
    db.session.expire_all()
    after = _owned(pair.kept.id)
    for key in ("calls", "cases", "caller_flags", "telephony_calls", "callbacks"):
        assert after[key] == sorted(pair.before_kept[key] + pair.before_dup[key]), key
        assert len(after[key]) - len(pair.before_kept[key]) == shown.counts[key], key
    assert _owned(pair.duplicate.id) == {key: [] for key in after}
    numbers = {n.phone_e164 for n in queries.numbers_of(pair.kept.id)}
    assert numbers == {pair.dup_phone, pair.dup_other.phone_e164}
    duplicate = db.session.get(Caller, pair.duplicate.id)
    assert duplicate is not None
    assert (duplicate.merged_into_id, duplicate.phone_e164) == (pair.kept.id, None)
    kept = db.session.get(Caller, pair.kept.id)
    assert kept is not None
    assert (kept.name, kept.relationship, kept.consent_sms) == ("Sam Jones", Relationship.SELF, False)
    # lookups and searches find the kept record by the duplicate's numbers, and never the duplicate
    for phone in (pair.dup_phone, pair.dup_other.phone_e164):
        [match] = manager_api.get("/api/v1/callers", query_string={"phone": phone}).get_json()["items"]
        assert match["id"] == pair.kept.id
    assert [c.id for c in queries.search_callers_by_name("Samantha")] == []
    assert manager_api.get(f"/api/v1/callers/{pair.duplicate.id}").get_json()["merged_into_id"] == pair.kept.id
    [event] = audit_events("caller.merged")
    assert event.entity_id == str(pair.kept.id)
    assert event.detail["duplicate_id"] == pair.duplicate.id
    assert "Samantha" not in str(event.detail)
    assert (pair.dup_phone or "x") not in str(event.detail)


def test_undo_puts_the_same_rows_back_and_keeps_what_came_later(manager_api: Api, pair: Pair) -> None:
    merge_id = _merge(manager_api, pair.kept.id, pair.duplicate.id).get_json()["id"]
    later = factories.make_call(None, actor=manager_api.account, phone=pair.dup_phone)  # rings after the merge
    db.session.commit()
    assert later.caller_id == pair.kept.id

    response = manager_api.post(f"/api/v1/caller-merges/{merge_id}/undo")

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["undone_at"] is not None
    db.session.expire_all()
    assert _owned(pair.duplicate.id) == pair.before_dup
    kept_now = _owned(pair.kept.id)
    assert kept_now == {**pair.before_kept, "calls": sorted([*pair.before_kept["calls"], later.id])}
    duplicate = db.session.get(Caller, pair.duplicate.id)
    assert duplicate is not None
    assert (duplicate.phone_e164, duplicate.merged_into_id, duplicate.merged_at) == (pair.dup_phone, None, None)
    assert queries.numbers_of(pair.kept.id) == []
    [match] = manager_api.get("/api/v1/callers", query_string={"phone": pair.dup_phone}).get_json()["items"]
    assert match["id"] == pair.duplicate.id
    [event] = audit_events("caller.merge_undone")
    assert event.detail == {"merge_id": merge_id, "duplicate_id": pair.duplicate.id}
    assert manager_api.post(f"/api/v1/caller-merges/{merge_id}/undo").status_code == 409  # once only


def test_undo_is_refused_after_the_configured_days(manager_api: Api, pair: Pair, app: Flask) -> None:
    merge_id = _merge(manager_api, pair.kept.id, pair.duplicate.id).get_json()["id"]
    merge = db.session.get(CallerMerge, merge_id)
    assert merge is not None
    days = app.config["CALLER_MERGE_UNDO_DAYS"]
    assert days == 30
    merge.created_at = now_utc() - timedelta(days=days, minutes=1)
    db.session.commit()

    response = manager_api.post(f"/api/v1/caller-merges/{merge_id}/undo")

    assert response.status_code == 409
    assert "more than 30 days ago" in response.get_json()["error"]["message"]
    merge.created_at = now_utc() - timedelta(days=days - 1)
    db.session.commit()
    assert manager_api.post(f"/api/v1/caller-merges/{merge_id}/undo").status_code == 200


def test_undo_is_refused_once_the_former_number_went_to_someone_else(manager_api: Api, pair: Pair) -> None:
    merge_id = _merge(manager_api, pair.kept.id, pair.duplicate.id).get_json()["id"]
    number = db.session.scalars(sa.select(CallerNumber).where(CallerNumber.phone_e164 == pair.dup_phone)).one()
    kept = db.session.get(Caller, pair.kept.id)
    assert kept is not None
    remove_number(kept, number.id, actor=manager_api.account)
    factories.make_caller(phone=pair.dup_phone)
    db.session.commit()

    response = manager_api.post(f"/api/v1/caller-merges/{merge_id}/undo")

    assert response.status_code == 409
    assert "former main number" in response.get_json()["error"]["message"]


def test_an_advisor_can_neither_merge_nor_undo(api_as: Any, manager_api: Api, pair: Pair) -> None:
    advisor = api_as(Role.ADVISOR)
    assert _merge(advisor, pair.kept.id, pair.duplicate.id).status_code == 403
    merge_id = _merge(manager_api, pair.kept.id, pair.duplicate.id).get_json()["id"]
    assert advisor.post(f"/api/v1/caller-merges/{merge_id}/undo").status_code == 403
    assert db.session.get(CallerMerge, merge_id).undone_at is None  # type: ignore[union-attr]


def test_unknown_records_are_404(manager_api: Api, pair: Pair) -> None:
    assert _merge(manager_api, pair.kept.id, 999999).status_code == 404
    assert _merge(manager_api, 999999, pair.duplicate.id).status_code == 404
    assert manager_api.post("/api/v1/caller-merges/999999/undo").status_code == 404
    bad = manager_api.post(f"/api/v1/callers/{pair.kept.id}/merge", json={"duplicate_id": "two"})
    assert bad.status_code == 422
    assert "duplicate_id" in bad.get_json()["error"]["fields"]


def test_merges_that_cannot_be_made_are_refused(manager_api: Api, pair: Pair) -> None:
    itself = _merge(manager_api, pair.kept.id, pair.kept.id)
    assert itself.status_code == 422
    assert "itself" in itself.get_json()["error"]["message"]

    gone = factories.make_caller()
    gone.anonymised_at = now_utc()
    db.session.commit()
    assert _merge(manager_api, pair.kept.id, gone.id).status_code == 409

    held_case = db.session.scalars(sa.select(Case).where(Case.caller_id == pair.duplicate.id)).one()
    place_legal_hold(held_case.id, actor=manager_api.account, reason="Solicitor's letter")
    db.session.commit()
    held = _merge(manager_api, pair.kept.id, pair.duplicate.id)
    assert held.status_code == 409
    assert "legal hold" in held.get_json()["error"]["message"]

    third = factories.make_caller()
    db.session.commit()
    assert _merge(manager_api, third.id, pair.kept.id).status_code == 201
    again = _merge(manager_api, pair.kept.id, third.id)  # the kept record is now merged into `third`
    assert again.status_code == 409
    assert "already merged" in again.get_json()["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CallerMerge)) == 1


def test_the_report_tables_agree_with_the_rows_after_a_merge_and_its_undo(manager_api: Api, pair: Pair) -> None:
    """The duplicate's calls are counted under the kept caller's relationship once they move (report triggers on
    calls.caller_id); totals stay the same."""
    expected.assert_report_tables_agree("setting up")
    totals = _report_totals()

    merge_id = _merge(manager_api, pair.kept.id, pair.duplicate.id).get_json()["id"]
    expected.assert_report_tables_agree("the merge")
    assert _report_totals() == totals

    manager_api.post(f"/api/v1/caller-merges/{merge_id}/undo")
    expected.assert_report_tables_agree("the undo")
    assert _report_totals() == totals


def _report_totals() -> dict[str, int]:
    """Calls counted in the daily report table, and cases in the case facts."""
    calls = db.session.execute(sa.text("SELECT coalesce(sum(calls), 0) FROM report_call_days")).scalar()
    cases = db.session.execute(sa.text("SELECT count(*) FROM report_case_facts")).scalar()
    return {
        "calls": int(calls or 0),
        "cases": int(cases or 0),
        "rows": int(db.session.scalar(sa.select(sa.func.count()).select_from(Call)) or 0),
    }


# --- pages ---------------------------------------------------------------------------------------------------------


def test_a_manager_finds_compares_merges_and_undoes_on_the_pages(client: FlaskClient, login_as: Any) -> None:
    manager = login_as(Role.MANAGER)
    pair = Pair(manager)

    found = client.get(f"/callers/{pair.kept.id}/merge", query_string={"q": "samantha"}).get_data(as_text=True)
    assert f"duplicate_id={pair.duplicate.id}" in found
    compare = client.get(f"/callers/{pair.kept.id}/merge", query_string={"duplicate_id": pair.duplicate.id})
    text = compare.get_data(as_text=True)
    assert compare.status_code == 200
    assert '<span data-count="calls">3</span>' in text
    assert '<span data-count="callbacks">2</span>' in text
    assert "relationship" in text.split('id="differing"')[1].split("</p>")[0]

    done = client.post(
        f"/callers/{pair.kept.id}/merge",
        data={"csrf_token": csrf_token_from(text), "duplicate_id": pair.duplicate.id},
    )
    assert done.status_code == 302
    kept_page = client.get(f"/callers/{pair.kept.id}").get_data(as_text=True)
    assert "Undo this merge" in kept_page
    assert f"record {pair.duplicate.id}" in client.get(f"/callers/{pair.duplicate.id}").get_data(as_text=True).lower()
    merge = db.session.scalars(sa.select(CallerMerge)).one()

    undone = client.post(f"/callers/merges/{merge.id}/undo", data={"csrf_token": csrf_token_from(kept_page)})

    assert undone.status_code == 302
    db.session.expire_all()
    assert db.session.get(Caller, pair.duplicate.id).merged_into_id is None  # type: ignore[union-attr]


def test_an_advisor_is_not_shown_the_merge_screen(client: FlaskClient, login_as: Any) -> None:
    advisor = login_as(Role.ADVISOR)
    caller = factories.make_caller()
    factories.make_case(caller, actor=advisor)
    db.session.commit()

    assert client.get(f"/callers/{caller.id}/merge").status_code == 403
    assert "Merge a duplicate" not in client.get(f"/callers/{caller.id}").get_data(as_text=True)


def test_a_duplicate_whose_main_number_is_already_the_kept_callers_merges_and_undoes(manager_api: Api) -> None:
    """What a first call racing the number's being added can leave: the same number as one caller's other number and
    a new caller's main number. The merge keeps the existing row; the undo gives the duplicate its number back."""
    kept = factories.make_caller()
    number = add_number(kept, phone=factories.unique_phone(), kind=NumberKind.MOBILE, actor=manager_api.account)
    duplicate = Caller(phone_e164=number.phone_e164)  # written directly: the services would refuse it
    db.session.add(duplicate)
    db.session.commit()

    response = _merge(manager_api, kept.id, duplicate.id)

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["moved"]["number_id"] == number.id
    assert [n.id for n in queries.numbers_of(kept.id)] == [number.id]
    merge_id = response.get_json()["id"]
    assert manager_api.post(f"/api/v1/caller-merges/{merge_id}/undo").status_code == 200
    db.session.expire_all()
    assert db.session.get(Caller, duplicate.id).phone_e164 == number.phone_e164  # type: ignore[union-attr]
    assert [n.id for n in queries.numbers_of(kept.id)] == [number.id]
