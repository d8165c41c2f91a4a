"""The audit trail page (admins): names not ids, links to what each event is about, filters by staff member, case
reference, action and dates, one query for the events whatever the page size, and reading it is itself audited."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.audit import chain
from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.timeutil import format_local
from tests import factories
from tests.statements import counted_queries


@pytest.fixture
def admin(login_as: Callable[..., User]) -> User:
    return login_as(Role.ADMIN, full_name="Ada Admin")


def _page(client: FlaskClient, query: str = "") -> str:
    response = client.get(f"/admin/audit/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [html.unescape(row) for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]


def _codes(page: str) -> list[str]:
    return re.findall(r'<code class="action-code">([a-z_.]+)</code>', page)


def _event(action: str, actor: User | None, at: datetime | None = None, **kwargs: Any) -> AuditEvent:
    """A row of the trail as record_event writes it, at `at` (a row made directly: record_event takes the clock)."""
    if "entity_id" in kwargs:
        kwargs["entity_id"] = str(kwargs["entity_id"])
    event = AuditEvent(action=action, actor_id=actor.id if actor else None, detail=kwargs.pop("detail", {}), **kwargs)
    if at is not None:
        event.occurred_at = at
    db.session.add(event)
    db.session.flush()
    return event


# --- who, what, about what -------------------------------------------------------------------------------------


def test_trail_shows_names_labels_and_links_to_what_each_event_is_about(client: FlaskClient, admin: User) -> None:
    advisor = factories.make_user(full_name="Avery Advisor")
    case = factories.make_case(factories.make_caller(consent_callback=True), actor=advisor)
    call = factories.make_call(case, actor=advisor)
    callback = factories.make_callback(case, actor=advisor)
    assessment = factories.make_assessment(case, actor=advisor)
    _event("user.role_changed", admin, entity_type="user", entity_id=advisor.id, detail={"from": "advisor"})
    db.session.commit()

    page = _page(client)

    assert f'<a href="/admin/users/{advisor.id}">Avery Advisor</a>' in page  # the actor, by name
    assert f'<a href="/cases/{case.id}">{case.reference}</a>' in page
    assert f'<a href="/callbacks/{callback.id}">Callback #{callback.id}</a>' in page
    assert f'<a href="/assessments/{assessment.id}">Assessment #{assessment.id}</a>' in page
    rows = _rows(page)
    call_row = next(row for row in rows if "call.logged" in row)
    assert f"Call #{call.id}" in call_row
    assert f'<a href="/cases/{case.id}">{case.reference}</a>' in call_row  # the call's case, from its detail
    assert "Call logged" in call_row
    assert "Callback booked" in page
    assert "Assessment recorded" in page
    role_row = next(row for row in rows if "user.role_changed" in row)
    assert f'<a href="/admin/users/{advisor.id}">Avery Advisor</a>' in role_row.split("</td>", 3)[3]  # the subject
    assert "from:</span> advisor" in role_row
    booked_row = next(row for row in rows if "callback.booked" in row)
    assert "due at:</span> " + format_local(callback.due_at, "%d %b %Y %H:%M") in booked_row  # UK time, not ISO


def test_trail_names_the_system_and_unknown_sign_ins_instead_of_an_id(client: FlaskClient, admin: User) -> None:
    _event("callback.missed", None, entity_type="callback", entity_id=999999)
    _event("auth.login_failed", None, detail={"reason": "unknown_user"})
    db.session.commit()

    rows = _rows(_page(client))

    assert "System" in next(row for row in rows if "callback.missed" in row)
    assert "Not signed in" in next(row for row in rows if "auth.login_failed" in row)


def test_trail_loads_actors_with_the_events_so_queries_do_not_grow_with_rows(client: FlaskClient, admin: User) -> None:
    def queries_for_page() -> int:
        with counted_queries() as statements:
            _page(client)
        return len(statements)

    people = [factories.make_user(full_name=f"Person {n}") for n in range(3)]
    for person in people:
        _event("case.viewed", person, entity_type="case", entity_id=factories.make_case(actor=person).id)
    db.session.commit()
    few = queries_for_page()
    people = [factories.make_user(full_name=f"Other {n}") for n in range(20)]
    for person in people:
        case = factories.make_case(actor=person)
        _event("case.viewed", person, entity_type="case", entity_id=case.id)
        _event("user.viewed", person, entity_type="user", entity_id=people[0].id)
        _event("call.logged", person, entity_type="call", entity_id=1, detail={"case_id": case.id})
    db.session.commit()

    many = queries_for_page()

    assert len(_rows(_page(client))) > 60
    assert many == few


# --- filters -----------------------------------------------------------------------------------------------------


def test_staff_filter_is_a_select_of_names_and_narrows_to_that_person(client: FlaskClient, admin: User) -> None:
    avery, blake = factories.make_user(full_name="Avery Advisor"), factories.make_user(full_name="Blake Advisor")
    _event("shift.started", avery, entity_type="shift", entity_id=1)
    _event("shift.ended", blake, entity_type="shift", entity_id=2)
    db.session.commit()

    page = _page(client)
    assert f'<option value="{avery.id}">Avery Advisor</option>' in page
    assert 'name="actor" inputmode' not in page  # no more typing ids

    filtered = _codes(_page(client, f"?actor={avery.id}"))
    assert filtered == ["shift.started"]


def test_case_filter_shows_the_cases_own_events_and_those_of_its_calls_callbacks_and_assessments(
    client: FlaskClient, admin: User
) -> None:
    advisor = factories.make_user()
    case = factories.make_case(factories.make_caller(consent_callback=True), actor=advisor)
    factories.make_call(case, actor=advisor)
    factories.make_callback(case, actor=advisor)
    factories.make_assessment(case, actor=advisor)
    _event("case.viewed", advisor, entity_type="case", entity_id=case.id)
    other = factories.make_case(factories.make_caller(consent_callback=True), actor=advisor)
    factories.make_call(other, actor=advisor)
    factories.make_callback(other, actor=advisor)
    db.session.commit()

    page = _page(client, f"?case={case.reference.lower()}")  # typed in any case

    codes = _codes(page)
    assert {"case.opened", "case.viewed", "call.logged", "callback.booked", "assessment.recorded"} <= set(codes)
    assert other.reference not in page
    assert f'value="{case.reference}"' in page  # the form shows the reference as it is written


def test_case_filter_with_an_unknown_reference_says_so_and_shows_nothing(client: FlaskClient, admin: User) -> None:
    factories.make_case()
    db.session.commit()

    page = _page(client, "?case=CA-1999-000001")

    assert "No case has the reference CA-1999-000001" in page
    assert _codes(page) == []


def test_caller_filter_shows_the_callers_own_events_and_those_of_their_cases_and_calls(
    client: FlaskClient, admin: User
) -> None:
    advisor = factories.make_user()
    caller = factories.make_caller(consent_callback=True)
    case = factories.make_case(caller, actor=advisor)
    factories.make_call(case, actor=advisor)
    factories.make_callback(case, actor=advisor)
    _event("caller.viewed", advisor, entity_type="caller", entity_id=caller.id)
    other = factories.make_case(factories.make_caller(), actor=advisor)
    _event("caller.viewed", advisor, entity_type="caller", entity_id=other.caller_id)
    db.session.commit()

    page = _page(client, f"?caller=Caller+%23{caller.id}")  # as the trail shows a caller

    codes = _codes(page)
    assert {"caller.viewed", "case.opened", "call.logged", "callback.booked"} <= set(codes)
    assert codes.count("caller.viewed") == 1
    assert other.reference not in page
    assert f'value="{caller.id}"' in page


def test_caller_filter_with_an_unknown_or_unreadable_number_says_so(client: FlaskClient, admin: User) -> None:
    unknown = _page(client, "?caller=2147483000")
    unreadable = _page(client, "?caller=%C2%B2")  # "²": a digit to str.isdigit(), not to int()

    assert "No caller has the number 2147483000." in unknown
    assert _codes(unknown) == []
    assert "Caller: enter the caller's number" in html.unescape(unreadable)


def test_unreadable_staff_and_case_filters_are_named_not_a_server_error(client: FlaskClient, admin: User) -> None:
    assert "Choose a staff member from the list." in _page(client, "?actor=%C2%B2")
    assert "No case has the reference CA-" in _page(client, "?case=CA-%C2%B2%C2%B2-1")
    assert "No case has the reference CA-2026-99999999999999999999" in _page(
        client, "?case=CA-2026-99999999999999999999"
    )


def test_csv_link_exports_what_the_page_shows(client: FlaskClient, admin: User) -> None:
    _event("shift.started", admin, at=datetime(2026, 10, 25, 12, 0, tzinfo=UTC), entity_type="shift", entity_id=1)
    _event("shift.ended", admin, at=datetime(2026, 10, 27, 12, 0, tzinfo=UTC), entity_type="shift", entity_id=1)
    db.session.commit()
    page = _page(client, f"?actor={admin.id}&action=shift.&from=2026-10-25&to=2026-10-25")
    link = re.search(r'<a href="([^"]+)" download>Download these events as CSV', page)
    assert link is not None

    response = client.get(html.unescape(link.group(1)), buffered=True)

    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == 2
    assert ",shift.started," in lines[1]
    exported = _latest("audit.exported")
    assert exported is not None
    assert exported.detail["action"] == "shift."
    assert exported.detail["from"] == "2026-10-24T23:00:00+00:00"  # the UK day, BST until the clocks went back
    assert exported.detail["to"] == "2026-10-26T00:00:00+00:00"


def test_chain_page_shows_the_head_and_is_audited(client: FlaskClient, admin: User) -> None:
    _event("shift.started", admin, entity_type="shift", entity_id=1)
    db.session.commit()
    chain.seal()
    db.session.commit()
    head = chain.head()
    assert head is not None

    page = _page(client, "chain")

    assert f'<code class="chain-head">{head}</code>' in page
    assert f"caseapp audit verify --head {head}" in page
    assert _latest("audit.chain_viewed") is not None


def test_action_filter_offers_labels_and_matches_a_code_or_a_whole_area(client: FlaskClient, admin: User) -> None:
    _event("auth.token_created", admin, entity_type="api_token", entity_id=1)
    _event("auth.token_revoked", admin, entity_type="api_token", entity_id=1)
    _event("shift.started", admin, entity_type="shift", entity_id=1)
    db.session.commit()

    page = _page(client)
    assert '<option value="auth.token_revoked">API token revoked</option>' in page
    assert '<option value="auth.">All: sign-in and accounts</option>' in page

    assert set(_codes(_page(client, "?action=auth.token_revoked"))) == {"auth.token_revoked"}
    assert {"auth.token_created", "auth.token_revoked"} <= set(_codes(_page(client, "?action=auth.")))
    assert "shift.started" not in _codes(_page(client, "?action=auth."))
    assert "Choose an action from the list." in _page(client, "?action=DROP TABLE")


def test_date_filter_takes_whole_uk_days(client: FlaskClient, admin: User) -> None:
    # 2026-10-25 is the October clock change: the UK day runs 23:00 UTC on the 24th to 00:00 UTC on the 26th
    _event("shift.started", admin, at=datetime(2026, 10, 24, 22, 59, tzinfo=UTC), entity_type="shift", entity_id=1)
    _event("shift.ended", admin, at=datetime(2026, 10, 24, 23, 0, tzinfo=UTC), entity_type="shift", entity_id=2)
    _event("case.opened", admin, at=datetime(2026, 10, 25, 23, 59, tzinfo=UTC), entity_type="case", entity_id=3)
    _event("case.viewed", admin, at=datetime(2026, 10, 26, 0, 0, tzinfo=UTC), entity_type="case", entity_id=4)
    db.session.commit()

    codes = _codes(_page(client, "?from=2026-10-25&to=2026-10-25"))

    assert codes == ["case.opened", "shift.ended"]
    assert "The end date is before the start date." in _page(client, "?from=2026-10-26&to=2026-10-25")
    assert "From: enter a date" in _page(client, "?from=yesterday")


def test_pager_keeps_the_filters(client: FlaskClient, admin: User) -> None:
    for n in range(105):
        _event("shift.started", admin, entity_type="shift", entity_id=n)
    db.session.commit()

    page = _page(client, f"?actor={admin.id}&action=shift.started")

    older = re.search(r'href="([^"]+)">Older', page)
    assert older is not None
    link = html.unescape(older.group(1))
    assert f"actor={admin.id}" in link
    assert "action=shift.started" in link
    assert "page=2" in link


# --- reading the trail, the users list and a user's page are audited ---------------------------------------------


def _latest(action: str) -> AuditEvent | None:
    query = sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()).limit(1)
    return db.session.scalar(query)


def test_viewing_the_trail_is_audited_with_the_filters_as_ids(client: FlaskClient, admin: User) -> None:
    case = factories.make_case()
    db.session.commit()

    _page(client, f"?actor={admin.id}&case={case.reference}&action=case.&from=2026-01-01&to=2026-12-31&page=1")

    event = _latest("audit.viewed")
    assert event is not None
    assert event.actor_id == admin.id
    assert event.detail == {
        "actor_id": admin.id,
        "case_id": case.id,
        "action": "case.",
        "from": "2026-01-01",
        "to": "2026-12-31",
        "page": 1,
    }
    assert "Viewed the audit trail" in _page(client)


def test_the_users_list_is_audited_with_the_ids_shown(client: FlaskClient, admin: User) -> None:
    other = factories.make_user(full_name="Listed Person")
    db.session.commit()

    response = client.get("/admin/users/")

    assert response.status_code == 200
    event = _latest("user.listed")
    assert event is not None
    assert (event.actor_id, event.entity_type) == (admin.id, "user")
    assert {admin.id, other.id} <= set(event.detail["ids"])
    assert "Listed Person" not in str(event.detail)


def test_a_users_page_is_audited(client: FlaskClient, admin: User) -> None:
    other = factories.make_user(full_name="Viewed Person")
    db.session.commit()

    response = client.get(f"/admin/users/{other.id}")

    assert response.status_code == 200
    event = _latest("user.viewed")
    assert event is not None
    assert (event.actor_id, event.entity_type, event.entity_id, event.detail) == (admin.id, "user", str(other.id), {})


def test_a_users_page_and_a_case_page_link_an_admin_to_their_trail(client: FlaskClient, admin: User) -> None:
    other = factories.make_user()
    case = factories.make_case()
    db.session.commit()

    user_page = html.unescape(client.get(f"/admin/users/{other.id}").get_data(as_text=True))
    case_page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert f'href="/admin/audit/?actor={other.id}"' in user_page
    assert f'href="/admin/audit/?entity_type=user&entity_id={other.id}"' in user_page
    assert f'href="/admin/audit/?case={case.reference}"' in case_page
    assert _codes(_page(client, f"?entity_type=user&entity_id={other.id}")) == ["user.viewed"]
