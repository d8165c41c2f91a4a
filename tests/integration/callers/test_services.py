"""Callers: phone normalisation and find-or-create on PostgreSQL (the ON CONFLICT path)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.callers import services
from caseapp.callers.models import Caller
from caseapp.callers.phones import display, normalise_phone, try_normalise
from caseapp.errors import ValidationError
from caseapp.extensions import db
from tests import factories
from tests.integration.api_support import audit_events


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("07811 606 606", "+447811606606"),
        ("+44 7811 606606", "+447811606606"),
        ("447811606606", "+447811606606"),
        ("0044 7811 606606", "+447811606606"),
        ("07811-606-606", "+447811606606"),
        ("(07811) 606606", "+447811606606"),
        ("020 7946 0018", "+442079460018"),
        ("+33 1 42 68 53 00", "+33142685300"),
        ("0033142685300", "+33142685300"),
        ("+1 202 456 1111", "+12024561111"),
    ],
)
def test_normalise_phone_gives_e164(typed: str, e164: str) -> None:
    assert normalise_phone(typed) == e164


@pytest.mark.parametrize("withheld", [None, "", "  ", "withheld", "WITHHELD", "private", "unknown", "No caller ID"])
def test_normalise_phone_treats_withheld_markers_as_no_number(withheld: str | None) -> None:
    assert normalise_phone(withheld) is None


@pytest.mark.parametrize("invalid", ["12345", "07811 60660", "abc", "+999 123", "0781l606606"])
def test_normalise_phone_refuses_an_invalid_number_naming_the_field(invalid: str) -> None:
    with pytest.raises(ValidationError) as raised:
        normalise_phone(invalid, field="caller_phone")

    assert list(raised.value.fields) == ["caller_phone"]
    assert try_normalise(invalid) is None


def test_display_shows_uk_numbers_nationally_and_others_internationally() -> None:
    assert display("+447811606606") == "07811 606606"
    assert display("+33142685300") == "+33 1 42 68 53 00"
    assert display(None) == "Withheld"


def test_find_or_create_caller_creates_once_then_finds(db_session: Any) -> None:
    actor = factories.make_user()

    first, created_first = services.find_or_create_caller("+447811606606", actor=actor)
    second, created_second = services.find_or_create_caller("+447811606606", actor=actor)

    assert (created_first, created_second) == (True, False)
    assert first is second
    assert db.session.scalar(sa.select(sa.func.count()).where(Caller.phone_e164 == "+447811606606")) == 1
    [event] = audit_events("caller.created", entity_id=str(first.id))
    assert event.actor_id == actor.id


def test_find_or_create_caller_makes_a_new_caller_for_every_withheld_number(db_session: Any) -> None:
    actor = factories.make_user()

    callers = [services.find_or_create_caller(None, actor=actor) for _ in range(3)]

    assert all(created for _, created in callers)
    assert len({c.id for c, _ in callers}) == 3


def test_apply_details_ignores_none_and_trims_text(db_session: Any) -> None:
    caller = factories.make_caller(name="Sam")
    actor = factories.make_user()

    changed = services.apply_details(caller, {"name": None, "safe_to_call_notes": "  evenings  "}, actor=actor)

    assert changed == ["safe_to_call_notes"]
    assert caller.name == "Sam"
    assert caller.safe_to_call_notes == "evenings"
