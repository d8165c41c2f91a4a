"""Search (`/search`) by part of a caller's name: any case, the 50 most recently updated cases and a note that there
are more, at least 3 letters, and audited as every search is (which cases were shown)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.cases.views import PER_PAGE
from caseapp.extensions import db
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import audit_events


def _searched(user: User) -> list[list[int]]:
    return [event.detail["ids"] for event in audit_events("case.searched", actor_id=user.id)]


def test_name_search_matches_part_of_a_name_in_any_case_and_audits_what_it_showed(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    me = login_as(Role.ADVISOR)
    hers = factories.make_case(factories.make_caller(name="Niamh Kowalczyk"))
    his = factories.make_case(factories.make_caller(name="KOWALSKI"))
    third = factories.make_case(factories.make_caller(name="Jo Kowal_ski"))  # _ is a letter, not a wildcard
    factories.make_case(factories.make_caller(name="Sam Brown"))
    db.session.commit()

    page = client.get("/search", query_string={"q": "oWaLs"}).get_data(as_text=True)

    assert "KOWALSKI" in page
    assert all(other not in page for other in ("Kowalczyk", "Kowal_ski", "Brown"))
    assert "1 result." in page
    assert _searched(me) == [[his.id]]
    client.get("/search", query_string={"q": "kowal"})
    assert sorted(_searched(me)[-1]) == sorted([hers.id, his.id, third.id])


def test_name_search_shows_the_most_recently_updated_50_and_says_there_are_more(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    me = login_as(Role.ADVISOR)
    cases = [factories.make_case(factories.make_caller(name=f"Alex Pemberton {n}")) for n in range(PER_PAGE + 5)]
    for n, case in enumerate(cases):  # the later, the more recently updated
        case.updated_at = now_utc() - timedelta(minutes=len(cases) - n)
    db.session.commit()

    page = client.get("/search", query_string={"q": "pemberton"}).get_data(as_text=True)

    assert f"The {PER_PAGE} most recently updated of more than {PER_PAGE} results" in page
    [shown] = _searched(me)
    assert shown == [case.id for case in reversed(cases)][:PER_PAGE]
    assert page.count("Alex Pemberton") == PER_PAGE


def test_name_search_needs_three_letters_and_a_shorter_one_is_still_audited(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    me = login_as(Role.ADVISOR)
    factories.make_case(factories.make_caller(name="Al Ng"))
    db.session.commit()

    page = client.get("/search", query_string={"q": "Ng"}).get_data(as_text=True)

    assert "Type at least 3 letters of a name" in page
    assert "Al Ng" not in page
    assert _searched(me) == [[]]


def test_a_reference_the_database_cannot_hold_finds_nothing_instead_of_failing(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.MANAGER)
    case = factories.make_case(factories.make_caller(name="Robin Ashby"))
    db.session.commit()

    for text in ("CA-2026-99999999999999999999", "CA-²026-000001", "CA-2026-00000²", f"CA-99999999999-{case.id}"):
        response = client.get("/search", query_string={"q": text})
        assert response.status_code == 200, text
        assert "Robin Ashby" not in response.get_data(as_text=True), text
