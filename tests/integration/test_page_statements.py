"""The pages an advisor waits on during a call send as many statements with many rows as with few (no N+1): the
repeat-caller banner as a number is typed, the log-a-call page, a case page and its timeline, and search by phone,
by part of a name and by reference. (My callbacks is in test_list_statements.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.callbacks import booking, handover
from caseapp.caller_flags.models import FlagKind
from caseapp.caller_flags.services import raise_on_caller, raise_on_number
from caseapp.cases import services as case_services
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.safeguarding.reference import SafeguardingStatus
from caseapp.safeguarding.services import review_concern
from caseapp.timeutil import now_utc
from tests import factories
from tests.statements import counted_queries

PHONE = "07911 099010"


def _statements(client: FlaskClient, path: str) -> int:
    assert client.get(path).status_code == 200  # the session's own first-request bookkeeping is no part of it
    with counted_queries() as seen:
        assert client.get(path).status_code == 200
    return len(seen)


def _grow_case(case: Case, me: User, start: int, rows: int) -> None:
    """More of every kind of timeline entry, each by someone new (a load per person would show)."""

    def someone() -> User:
        return factories.make_user(role=Role.ADVISOR)

    for i in range(start, rows):
        factories.make_call(case, actor=someone(), notes=f"Call {i}")
        case_services.add_note(case, f"Note {i}", actor=someone())
        booking.book_callback(
            case, due_at=now_utc() + timedelta(hours=2, minutes=i), actor=someone(), assignee_id=me.id
        )
        if i % 3 == 0:
            factories.make_assessment(case, actor=someone())
        # a manager may record on any case; each record reviewed by another
        concern = factories.make_safeguarding(case, actor=factories.make_user(role=Role.MANAGER))
        review_concern(
            concern,
            status=SafeguardingStatus.UNDER_REVIEW,
            outcome_note=f"Review {i}",
            actor=factories.make_user(role=Role.MANAGER),
        )
        factories.make_emergency_action(case, actor=factories.make_user(role=Role.MANAGER))
        # flags on the caller and on their number, each raised by someone new
        manager = factories.make_user(role=Role.MANAGER)
        raise_on_caller(case.caller, kind=FlagKind.ABUSIVE, reason=f"Flag {i}", actor=manager, expires_in_days=2)
        raise_on_number(PHONE, kind=FlagKind.HOAX, reason=f"Number flag {i}", actor=manager, expires_in_hours=30)
    db.session.commit()


@pytest.fixture
def busy_case(login_as: Callable[..., User]) -> tuple[User, Case, Callable[[int], None]]:
    """A signed-in advisor, a case of a caller at PHONE, and grow(rows) giving the case that many of each entry."""
    me = login_as(Role.ADVISOR)
    case = factories.make_case(factories.make_caller(phone=PHONE, name="Jo Busy", consent_callback=True), actor=me)
    db.session.commit()
    made = [0]

    def grow(rows: int) -> None:
        _grow_case(case, me, made[0], rows)
        made[0] = rows

    return me, case, grow


@pytest.mark.parametrize(
    "path",
    [
        "/calls/lookup?phone=07911",  # still typing
        f"/calls/lookup?phone={quote(PHONE)}",  # a known caller: their case, callbacks and last calls
        f"/api/v1/callers?phone={quote(PHONE)}",
        "/calls/new",
        f"/calls/new?phone={quote(PHONE)}",
        "/cases/{case_id}",
        "/calls/new?case_id={case_id}",
        f"/search?q={quote(PHONE)}",
        "/search?q={reference}",
    ],
)
def test_an_advisor_page_takes_the_same_statements_for_2_entries_as_for_12(
    client: FlaskClient, busy_case: tuple[User, Case, Callable[[int], None]], path: str
) -> None:
    _, case, grow = busy_case
    page = path.format(case_id=case.id, reference=case.reference)

    grow(2)
    few = _statements(client, page)
    grow(12)
    many = _statements(client, page)

    assert few == many


def test_name_search_takes_the_same_statements_for_2_matches_as_for_12(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    me = login_as(Role.ADVISOR)

    def statements_for(rows: int) -> int:
        for i in range(made[0], rows):
            advisor = factories.make_user(role=Role.ADVISOR)
            case = factories.make_case(factories.make_caller(name=f"Sam Quennell-{i}"), actor=advisor)
            factories.make_call(case, actor=me)  # each one I have taken a call on: a name search finds it
        made[0] = rows
        db.session.commit()
        return _statements(client, "/search?q=quennell")

    made = [0]
    assert statements_for(2) == statements_for(12)
    assert client.get("/search?q=quennell").get_data(as_text=True).count("Sam Quennell-") == 12


def test_the_case_page_shows_every_entry_of_a_long_timeline(
    client: FlaskClient, busy_case: tuple[User, Case, Callable[[int], None]]
) -> None:
    """The control for the statement counts: the page read what grew (calls, notes and callbacks are all there)."""
    _, case, grow = busy_case
    grow(12)

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert all(f"Call {i}" in page and f"Note {i}" in page for i in range(12))
    assert page.count('class="entry entry-callback"') == 12
    assert page.count('class="caller-flag caller-flag-') == 24


def test_my_callbacks_takes_the_same_statements_for_2_handovers_as_for_12(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    """Handed to me, and handed to the pool, by colleagues clocking off (each its own giver)."""
    me = login_as(Role.ADVISOR)
    factories.make_shift(me)

    def statements_for(rows: int) -> int:
        for i in range(made[0], rows):
            giver = factories.make_user(role=Role.ADVISOR)
            factories.make_shift(giver)
            for to_user_id in (me.id, None):
                case = factories.make_case(factories.make_caller(consent_callback=True, name=f"Handed {i}"))
                due_at = now_utc() + timedelta(minutes=30 + i)
                callback = booking.book_callback(case, due_at=due_at, actor=giver, assignee_id=giver.id).callback
                handover.hand_over_callback(callback.id, to_user_id=to_user_id, actor=giver, note=f"Note {i}")
        made[0] = rows
        db.session.commit()
        return _statements(client, "/callbacks/")

    made = [0]
    assert statements_for(2) == statements_for(12)
    page = client.get("/callbacks/").get_data(as_text=True)
    assert all(f"Handed {i}" in page for i in range(12))
