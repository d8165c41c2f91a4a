from __future__ import annotations

from typing import Any

from caseapp.callers import queries
from tests import factories


def test_find_caller_by_phone_matches_the_e164_number_only(db_session: Any) -> None:
    caller = factories.make_caller(phone="07400 123459")

    assert queries.find_caller_by_phone("+447400123459") is caller
    assert queries.find_caller_by_phone("07400 123459") is None  # callers normalise first


def test_search_callers_by_name_matches_part_of_a_name_literally(db_session: Any) -> None:
    ann = factories.make_caller(name="Ann O'Hara")
    percent = factories.make_caller(name="100% Ann")

    assert queries.search_callers_by_name("o'hara") == [ann]
    assert queries.search_callers_by_name("%") == [percent]
    assert queries.search_callers_by_name("   ") == []
