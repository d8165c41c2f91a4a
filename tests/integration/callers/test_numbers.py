"""A caller's other numbers: added and removed through the API and the caller's page, refused (409) when any caller
has the number already, found by every lookup (API, log-a-call banner and page) and used when a call is logged."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.auth.models import Role
from caseapp.callers.models import Caller, CallerNumber, NumberKind
from caseapp.callers.numbers import ON_ANOTHER_CALLER, add_number, make_main
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.errors import Conflict
from caseapp.extensions import db
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.api_support import Api, audit_events

SISTER = "07400 900123"
SISTER_E164 = "+447400900123"


@pytest.fixture
def known(api: Api) -> Caller:
    caller = factories.make_caller(phone="07811 606 606", name="Jo")
    factories.make_case(caller)
    db.session.commit()
    return caller


def _add(api: Api, caller_id: int, **body: object) -> Any:
    return api.post(f"/api/v1/callers/{caller_id}/numbers", json=body)


def test_a_number_added_is_listed_and_finds_the_caller_in_any_format(api: Api, known: Caller) -> None:
    response = _add(api, known.id, phone=SISTER, kind="family", label="sister's phone", consent_confirmed=True)

    assert response.status_code == 201, response.get_json()
    added = response.get_json()
    assert added["phone"] == SISTER_E164
    assert added["kind"] == "family"
    assert added["consent_confirmed_at"] is not None
    [listed] = api.get(f"/api/v1/callers/{known.id}/numbers").get_json()
    assert listed["id"] == added["id"]
    assert listed["label"] == "sister's phone"
    for typed in ("07400900123", "+44 7400 900123", "447400900123"):
        [match] = api.get("/api/v1/callers", query_string={"phone": typed}).get_json()["items"]
        assert match["id"] == known.id
    [event] = audit_events("caller.number_added")
    assert event.detail == {"number_id": added["id"], "kind": "family"}  # ids and codes, no number or label


def test_a_family_members_phone_needs_consent_recorded(api: Api, known: Caller) -> None:
    response = _add(api, known.id, phone=SISTER, kind="family")

    assert response.status_code == 422
    assert "consent_confirmed" in response.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CallerNumber)) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345", "kind": "mobile"}, "phone"),
        ({"phone": "withheld", "kind": "mobile"}, "phone"),
        ({"phone": SISTER, "kind": "pager"}, "kind"),
        ({"kind": "mobile"}, "phone"),
        ({"phone": SISTER, "kind": "mobile", "label": "x" * 101}, "label"),
    ],
)
def test_a_bad_number_is_a_422_naming_the_field(api: Api, known: Caller, body: dict[str, str], field: str) -> None:
    response = _add(api, known.id, **body)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_a_number_that_is_another_callers_is_refused_with_409(api: Api, known: Caller) -> None:
    other = factories.make_caller(phone="07400 111222")
    factories.make_case(other)
    add_number(other, phone=SISTER, kind=NumberKind.MOBILE, actor=api.account)
    db.session.commit()

    as_main = _add(api, known.id, phone="07400111222", kind="mobile")
    as_other = _add(api, known.id, phone=SISTER, kind="mobile")
    own_main = _add(api, known.id, phone="07811606606", kind="mobile")

    assert as_main.status_code == as_other.status_code == own_main.status_code == 409
    assert as_main.get_json()["error"]["message"] == ON_ANOTHER_CALLER
    assert "already on this caller" in own_main.get_json()["error"]["message"]
    assert db.session.scalars(sa.select(CallerNumber.caller_id)).all() == [other.id]


def test_unknown_caller_or_number_is_a_404(api: Api, known: Caller) -> None:
    assert _add(api, 999999, phone=SISTER, kind="mobile").status_code == 404
    assert api.delete(f"/api/v1/callers/{known.id}/numbers/999999").status_code == 404


def test_a_removed_number_no_longer_finds_the_caller(api: Api, known: Caller) -> None:
    number_id = _add(api, known.id, phone=SISTER, kind="mobile").get_json()["id"]

    assert api.delete(f"/api/v1/callers/{known.id}/numbers/{number_id}").status_code == 204

    assert api.get("/api/v1/callers", query_string={"phone": SISTER}).get_json()["items"] == []
    [event] = audit_events("caller.number_removed")
    assert event.detail == {"number_id": number_id, "kind": "mobile"}


def test_a_colleagues_caller_takes_no_number_from_an_advisor(api_as, known: Caller) -> None:
    stranger = api_as(Role.ADVISOR)

    assert _add(stranger, known.id, phone=SISTER, kind="mobile").status_code == 403
    assert stranger.get(f"/api/v1/callers/{known.id}/numbers").status_code == 403


def test_a_call_from_an_other_number_goes_on_the_callers_open_case(api: Api, known: Caller) -> None:
    add_number(known, phone=SISTER, kind=NumberKind.MOBILE, actor=api.account)
    db.session.commit()
    [case_id] = db.session.scalars(sa.select(Case.id).where(Case.caller_id == known.id)).all()

    response = api.post("/api/v1/calls", json={"phone": "+447400900123", "reason": "rang from sister's"})

    assert response.status_code == 201, response.get_json()
    call = db.session.get(Call, response.get_json()["id"])
    assert call is not None
    assert (call.caller_id, call.case_id) == (known.id, case_id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Caller)) == 1  # nobody new


def test_a_call_on_the_case_from_an_other_number_is_accepted(api: Api, known: Caller) -> None:
    add_number(known, phone=SISTER, kind=NumberKind.MOBILE, actor=api.account)
    db.session.commit()
    case_id = db.session.scalars(sa.select(Case.id).where(Case.caller_id == known.id)).one()

    response = api.post("/api/v1/calls", json={"phone": SISTER, "case_id": case_id})

    assert response.status_code == 201, response.get_json()


def test_making_an_other_number_the_main_one_swaps_them(api: Api, known: Caller) -> None:
    number = add_number(known, phone=SISTER, kind=NumberKind.MOBILE, label="work", actor=api.account)

    make_main(known, number.id, actor=api.account)

    assert known.phone_e164 == SISTER_E164
    assert db.session.get(CallerNumber, number.id).phone_e164 == "+447811606606"  # type: ignore[union-attr]
    assert db.session.get(CallerNumber, number.id).label is None  # type: ignore[union-attr]


def test_a_merged_or_anonymised_caller_takes_no_number(api: Api, known: Caller) -> None:
    other = factories.make_caller(name="gone")
    other.anonymised_at = known.created_at
    with pytest.raises(Conflict):
        add_number(other, phone=SISTER, kind=NumberKind.MOBILE, actor=api.account)


# --- pages ---------------------------------------------------------------------------------------------------------


def _caller_with_case(advisor) -> Caller:
    caller = factories.make_caller(phone="07811 606 606", name="Jo")
    factories.make_case(caller, actor=advisor)
    db.session.commit()
    return caller


def test_the_caller_page_adds_a_number_and_lists_it(client: FlaskClient, login_as) -> None:
    advisor = login_as(Role.ADVISOR)
    caller = _caller_with_case(advisor)
    page = client.get(f"/callers/{caller.id}")
    assert page.status_code == 200

    response = client.post(
        f"/callers/{caller.id}/numbers",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "phone": SISTER,
            "kind": "landline",
            "label": "aunt's",
        },
    )

    assert response.status_code == 302
    shown = client.get(f"/callers/{caller.id}").get_data(as_text=True)
    assert "Landline" in shown
    assert "aunt&#39;s" in shown
    assert "••123" in shown  # advisors see listed numbers masked (CASEAPP_MASK_PHONES_FOR)
    assert "07400 900123" not in shown


def test_the_caller_page_shows_numbers_in_full_to_a_manager(client: FlaskClient, login_as) -> None:
    manager = login_as(Role.MANAGER)
    caller = _caller_with_case(manager)
    add_number(caller, phone=SISTER, kind=NumberKind.MOBILE, actor=manager)
    db.session.commit()

    assert "07400 900123" in client.get(f"/callers/{caller.id}").get_data(as_text=True)


def test_a_refused_number_re_renders_the_form_with_what_was_typed(client: FlaskClient, login_as) -> None:
    advisor = login_as(Role.ADVISOR)
    caller = _caller_with_case(advisor)
    page = client.get(f"/callers/{caller.id}")

    response = client.post(
        f"/callers/{caller.id}/numbers",
        data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            "phone": "0770 09",
            "kind": "family",
            "label": "neighbour",
        },
    )

    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'value="0770 09"' in text
    assert 'value="neighbour"' in text
    assert "not a valid phone number" in text


def test_the_log_a_call_banner_and_page_find_the_caller_by_an_other_number(client: FlaskClient, login_as) -> None:
    advisor = login_as(Role.ADVISOR)
    caller = _caller_with_case(advisor)
    add_number(caller, phone=SISTER, kind=NumberKind.MOBILE, actor=advisor)
    db.session.commit()
    reference = db.session.scalars(sa.select(Case).where(Case.caller_id == caller.id)).one().reference

    banner = client.get("/calls/lookup", query_string={"phone": "+44 7400 900123"}).get_data(as_text=True)
    page = client.get("/calls/new", query_string={"phone": SISTER}).get_data(as_text=True)

    assert reference in banner
    assert 'value="Jo"' in page  # the form starts from the caller's details on record


def test_the_api_makes_an_other_number_the_main_one(api: Api, known: Caller) -> None:
    number_id = _add(api, known.id, phone=SISTER, kind="mobile").get_json()["id"]

    response = api.post(f"/api/v1/callers/{known.id}/numbers/{number_id}/main")

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["phone"] == SISTER_E164
    [listed] = api.get(f"/api/v1/callers/{known.id}/numbers").get_json()
    assert (listed["phone"], listed["phone_masked"]) == ("••• ••• ••606", True)  # an advisor's list is masked
    assert db.session.get(CallerNumber, number_id).phone_e164 == "+447811606606"  # type: ignore[union-attr]
    [event] = audit_events("caller.main_number_changed")
    assert event.detail == {"number_id": number_id}
    assert api.post(f"/api/v1/callers/{known.id}/numbers/999999/main").status_code == 404


def test_the_search_finds_the_case_by_an_other_number(client: FlaskClient, login_as: Any) -> None:
    advisor = login_as(Role.ADVISOR)
    caller = _caller_with_case(advisor)
    add_number(caller, phone=SISTER, kind=NumberKind.MOBILE, actor=advisor)
    db.session.commit()
    reference = db.session.scalars(sa.select(Case).where(Case.caller_id == caller.id)).one().reference

    page = client.get("/search", query_string={"q": "+44 7400 900123"}).get_data(as_text=True)

    assert reference in page
