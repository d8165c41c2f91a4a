"""The pure parts of the access rules: unusual hours in UK time (the clocks change), masked numbers, and the table
itself (every role answers every relationship)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from caseapp.access import policy
from caseapp.access.services import in_unusual_hours, mask_phone
from caseapp.auth.models import Role


@pytest.mark.parametrize(
    ("at", "window", "unusual"),
    [
        (datetime(2027, 1, 10, 0, 30, tzinfo=UTC), "00:00-06:00", True),  # GMT: 00:30 local
        (datetime(2027, 1, 10, 6, 0, tzinfo=UTC), "00:00-06:00", False),  # the end is not in the window
        (datetime(2027, 7, 10, 23, 30, tzinfo=UTC), "00:00-06:00", True),  # BST: 00:30 local the next day
        (datetime(2027, 7, 10, 5, 30, tzinfo=UTC), "00:00-06:00", False),  # BST: 06:30 local
        (datetime(2027, 1, 10, 23, 30, tzinfo=UTC), "23:00-02:00", True),  # a window over midnight
        (datetime(2027, 1, 10, 1, 59, tzinfo=UTC), "23:00-02:00", True),
        (datetime(2027, 1, 10, 12, 0, tzinfo=UTC), "23:00-02:00", False),
        (datetime(2027, 1, 10, 0, 30, tzinfo=UTC), "", False),  # none configured
    ],
)
def test_unusual_hours_are_read_on_the_uk_clock(at: datetime, window: str, unusual: bool) -> None:
    assert in_unusual_hours(at, window) is unusual


def test_a_masked_number_keeps_only_its_last_three_digits() -> None:
    assert mask_phone("+447811606123") == "••• ••• ••123"
    assert mask_phone(None) is None


def test_every_role_answers_for_every_relationship() -> None:
    for table in (policy.CASE_ACCESS, policy.CALLBACK_ACCESS):
        assert set(table) == set(Role)
    assert all(set(row) == set(policy.Relationship) for row in policy.CASE_ACCESS.values())
    assert all(set(row) == set(policy.CallbackRelationship) for row in policy.CALLBACK_ACCESS.values())


def test_only_advisors_need_a_relationship() -> None:
    assert [role for role in Role if not policy.sees_everything(role)] == [Role.ADVISOR]
