"""Raising, lifting and expiring flags: the expiry bounds (24 hours to the admins' maximum, both ends inclusive), the
maximum's changes, the clock changes, who may raise and lift, the audit, and what active_flags/ring_back_blocked
count as in force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from caseapp.auth.models import Role, User
from caseapp.caller_flags import expiry, queries, services
from caseapp.caller_flags.forms import expiry_from_page
from caseapp.caller_flags.models import CallerFlag, FlagEnd, FlagKind
from caseapp.callers.phones import normalise_phone
from caseapp.errors import Conflict, Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.settings import services as settings
from caseapp.timeutil import format_local
from tests import factories
from tests.integration.api_support import audit_events

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def advisor(db_session: Any) -> User:
    user = factories.make_user(role=Role.ADVISOR)
    factories.make_shift(user)
    return user


@pytest.fixture
def manager(db_session: Any) -> User:
    return factories.make_user(role=Role.MANAGER)


@pytest.fixture
def admin(db_session: Any) -> User:
    return factories.make_user(role=Role.ADMIN)


def _caller_of(advisor: User) -> Any:
    caller = factories.make_caller()
    factories.make_case(caller, actor=advisor)
    return caller


def _raise(caller: Any, actor: User, **expiry_given: Any) -> CallerFlag:
    return services.raise_on_caller(
        caller, kind=FlagKind.ABUSIVE, reason="Shouts at staff", actor=actor, **expiry_given
    )


# --- the bounds ------------------------------------------------------------------------------------------------


def test_exactly_24_hours_and_exactly_the_maximum_are_accepted(advisor: User) -> None:
    caller = _caller_of(advisor)
    with time_machine.travel(NOW, tick=False):
        shortest = _raise(caller, advisor, expires_in_hours=24)
        longest = _raise(caller, advisor, expires_at=NOW + timedelta(days=90))
        by_days = _raise(caller, advisor, expires_in_days=90)

    assert shortest.expires_at == NOW + timedelta(hours=24)
    assert longest.expires_at == NOW + timedelta(days=90)
    assert by_days.expires_at == longest.expires_at


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"expires_in_hours": 23}, "expires_in_hours"),
        ({"expires_at": NOW + timedelta(hours=24) - timedelta(seconds=1)}, "expires_at"),
        ({"expires_in_days": 91}, "expires_in_days"),
        ({"expires_at": NOW + timedelta(days=90, seconds=1)}, "expires_at"),
        ({}, "expires_at"),
        ({"expires_in_hours": 48, "expires_in_days": 2}, "expires_at"),
    ],
    ids=["23h", "a-second-short", "91-days", "a-second-over", "none", "two-at-once"],
)
def test_an_expiry_outside_the_bounds_is_refused_naming_the_field(
    advisor: User, given: dict[str, Any], field: str
) -> None:
    caller = _caller_of(advisor)
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        _raise(caller, advisor, **given)

    assert set(refused.value.fields) == {field}
    assert queries.active_flags(caller.id, None, at=NOW) == []


def test_a_missing_reason_and_a_bad_expiry_are_both_named(advisor: User) -> None:
    with pytest.raises(ValidationError) as refused:
        services.raise_on_caller(
            _caller_of(advisor), kind=FlagKind.HOAX, reason="   ", actor=advisor, expires_in_hours=2
        )

    assert set(refused.value.fields) == {"reason", "expires_in_hours"}


def test_the_admins_maximum_changes_what_is_accepted_and_keeps_flags_already_raised(advisor: User, admin: User) -> None:
    caller = _caller_of(advisor)
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError):
            _raise(caller, advisor, expires_in_days=120)
        settings.change_settings({"flag_max_days": 120}, actor=admin)
        long_one = _raise(caller, advisor, expires_in_days=120)
        settings.change_settings({"flag_max_days": 30}, actor=admin)
        with pytest.raises(ValidationError) as refused:
            _raise(caller, advisor, expires_in_days=31)
        _raise(caller, advisor, expires_in_days=30)

    assert refused.value.extra["max_days"] == 30
    db.session.expire_all()
    assert db.session.get(CallerFlag, long_one.id).expires_at == NOW + timedelta(days=120)  # type: ignore[union-attr]
    assert long_one.id in {flag.id for flag in queries.active_flags(caller.id, None, at=NOW + timedelta(days=100))}
    changes = audit_events("setting.changed", entity_id="flag_max_days")
    assert [event.detail for event in changes] == [{"from": 90, "to": 120}, {"from": 120, "to": 30}]


@pytest.mark.parametrize("value", [0, 366, "90", True, None])
def test_the_maximum_is_a_whole_number_of_days_from_1_to_365(admin: User, value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        settings.change_settings({"flag_max_days": value}, actor=admin)

    assert set(refused.value.fields) == {"flag_max_days"}
    assert settings.flag_max_days() == 90


def test_only_an_admin_changes_the_maximum(manager: User) -> None:
    with pytest.raises(Forbidden):
        settings.change_settings({"flag_max_days": 10}, actor=manager)
    assert settings.flag_max_days() == 90


# --- the clocks ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "expected_local"),
    [
        # Saturday 28 March 2026 12:00 GMT + 48 h: the clocks went forward on Sunday, so 13:00 BST on Monday
        (datetime(2026, 3, 28, 12, 0, tzinfo=UTC), "30 Mar 2026 13:00 BST"),
        # Saturday 24 October 2026 12:00 BST (11:00 UTC) + 48 h: they went back, so 11:00 GMT on Monday
        (datetime(2026, 10, 24, 11, 0, tzinfo=UTC), "26 Oct 2026 11:00 GMT"),
    ],
    ids=["march", "october"],
)
def test_a_flag_across_a_clock_change_shows_the_right_uk_time(
    advisor: User, raised: datetime, expected_local: str
) -> None:
    with time_machine.travel(raised, tick=False):
        flag = _raise(_caller_of(advisor), advisor, expires_in_hours=48)

    assert flag.expires_at == raised + timedelta(hours=48)
    assert format_local(flag.expires_at) == expected_local


def test_a_page_time_in_the_march_gap_is_refused_and_one_in_the_october_hour_needs_a_choice() -> None:
    from datetime import date, time

    with pytest.raises(ValidationError) as skipped:
        expiry_from_page({"expires_date": date(2027, 3, 28), "expires_time": time(1, 30), "fold": None})
    assert "does not exist in the UK" in skipped.value.fields["expires_time"][0]

    with pytest.raises(ValidationError) as repeated:
        expiry_from_page({"expires_date": date(2026, 10, 25), "expires_time": time(1, 30), "fold": None})
    assert "happens twice in the UK" in repeated.value.fields["fold"][0]

    first = expiry_from_page({"expires_date": date(2026, 10, 25), "expires_time": time(1, 30), "fold": 0})
    second = expiry_from_page({"expires_date": date(2026, 10, 25), "expires_time": time(1, 30), "fold": 1})
    assert first["expires_at"] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert second["expires_at"] == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


# --- who may raise and lift ------------------------------------------------------------------------------------


def test_an_advisor_may_not_flag_a_caller_they_may_not_change(advisor: User) -> None:
    caller = factories.make_caller()
    factories.make_case(caller, actor=factories.make_user())

    with pytest.raises(Forbidden):
        _raise(caller, advisor, expires_in_days=2)


def test_a_number_is_flagged_by_an_advisor_on_shift_not_by_one_off_shift(advisor: User) -> None:
    off_shift = factories.make_user(role=Role.ADVISOR)
    hoax = factories.unique_phone()

    flag = services.raise_on_number(hoax, kind=FlagKind.HOAX, reason="Prank calls", actor=advisor, expires_in_days=7)
    with pytest.raises(Forbidden):
        services.raise_on_number(hoax, kind=FlagKind.HOAX, reason="Again", actor=off_shift, expires_in_days=7)

    assert flag.phone_e164 == normalise_phone(hoax)
    assert flag.caller_id is None


def test_a_withheld_number_cannot_be_flagged(advisor: User) -> None:
    with pytest.raises(ValidationError) as refused:
        services.raise_on_number("withheld", kind=FlagKind.HOAX, reason="x", actor=advisor, expires_in_days=2)
    assert set(refused.value.fields) == {"phone"}


def test_the_raiser_and_a_manager_may_lift_a_colleague_may_not(advisor: User, manager: User) -> None:
    caller = _caller_of(advisor)
    colleague = factories.make_user(role=Role.ADVISOR)
    mine, other = _raise(caller, advisor, expires_in_days=2), _raise(caller, advisor, expires_in_days=3)

    with pytest.raises(Forbidden):
        services.lift_flag(mine, reason="Sorted out", actor=colleague)
    services.lift_flag(mine, reason="Sorted out", actor=advisor)
    services.lift_flag(other, reason="Reviewed", actor=manager)

    assert (mine.end_reason, mine.ended_by_id, mine.end_note) == (FlagEnd.LIFTED, advisor.id, "Sorted out")
    assert other.ended_by_id == manager.id
    assert queries.active_flags(caller.id, None) == []
    with pytest.raises(Conflict):
        services.lift_flag(mine, reason="Twice", actor=advisor)


def test_lifting_needs_a_reason(advisor: User) -> None:
    flag = _raise(_caller_of(advisor), advisor, expires_in_days=2)
    with pytest.raises(ValidationError) as refused:
        services.lift_flag(flag, reason="", actor=advisor)
    assert set(refused.value.fields) == {"reason"}
    assert flag.ended_at is None


def test_raise_and_lift_are_audited_with_ids_and_kind_only(advisor: User) -> None:
    caller = _caller_of(advisor)
    flag = _raise(caller, advisor, expires_in_days=2)
    services.lift_flag(flag, reason="Apologised on the phone", actor=advisor)
    db.session.flush()

    [raised] = audit_events("caller_flag.raised", entity_id=str(flag.id))
    [lifted] = audit_events("caller_flag.lifted", entity_id=str(flag.id))
    assert raised.detail == lifted.detail == {"kind": "abusive", "caller_id": caller.id}
    assert raised.actor_id == lifted.actor_id == advisor.id


# --- what is in force ------------------------------------------------------------------------------------------


def test_active_flags_finds_caller_level_and_number_level_flags(advisor: User) -> None:
    caller = _caller_of(advisor)
    assert caller.phone_e164 is not None
    on_caller = _raise(caller, advisor, expires_in_days=5)
    on_number = services.raise_on_number(
        caller.phone_e164, kind=FlagKind.DO_NOT_RING_BACK, reason="Not this line", actor=advisor, expires_in_days=2
    )
    elsewhere = services.raise_on_number(
        factories.unique_phone(), kind=FlagKind.HOAX, reason="Other", actor=advisor, expires_in_days=2
    )

    assert [f.id for f in queries.active_flags(caller.id, caller.phone_e164)] == [on_number.id, on_caller.id]
    assert [f.id for f in queries.active_flags(caller.id, None)] == [on_caller.id]
    assert [f.id for f in queries.active_flags(None, caller.phone_e164)] == [on_number.id]
    assert elsewhere.id not in {f.id for f in queries.active_flags(caller.id, caller.phone_e164)}
    assert queries.ring_back_blocked(caller.phone_e164) is True
    assert queries.ring_back_blocked(normalise_phone(factories.unique_phone()) or "") is False


def test_ring_back_is_blocked_by_a_caller_level_flag_from_any_number_and_only_while_it_lasts(advisor: User) -> None:
    caller = _caller_of(advisor)
    other_line = normalise_phone(factories.unique_phone())
    assert other_line is not None
    with time_machine.travel(NOW, tick=False):
        flag = services.raise_on_caller(
            caller, kind=FlagKind.DO_NOT_RING_BACK, reason="Shared phone", actor=advisor, expires_in_hours=30
        )
        abusive = _raise(caller, advisor, expires_in_hours=30)

    assert queries.ring_back_blocked(other_line, caller_id=caller.id, at=NOW + timedelta(hours=29)) is True
    assert queries.ring_back_blocked(other_line, caller_id=caller.id, at=flag.expires_at) is False  # expired, unswept
    assert queries.ring_back_blocked(other_line, at=NOW + timedelta(hours=1)) is False  # the number alone: nothing
    assert abusive.kind is FlagKind.ABUSIVE


# --- expiry ----------------------------------------------------------------------------------------------------


def test_the_sweep_closes_only_expired_flags_at_their_expiry_once_each(advisor: User) -> None:
    caller = _caller_of(advisor)
    with time_machine.travel(NOW, tick=False):
        due = _raise(caller, advisor, expires_in_hours=24)
        later = _raise(caller, advisor, expires_in_hours=25)
        lifted = _raise(caller, advisor, expires_in_hours=24)
        services.lift_flag(lifted, reason="Resolved", actor=advisor)

    after = NOW + timedelta(hours=24, minutes=30)
    first = expiry.expire_due(after)
    again = expiry.expire_due(after)
    db.session.flush()
    db.session.expire_all()

    assert first == [due.id]
    assert again == []
    closed = db.session.get(CallerFlag, due.id)
    assert closed is not None
    assert (closed.end_reason, closed.ended_at, closed.ended_by_id) == (FlagEnd.EXPIRED, due.expires_at, None)
    assert db.session.get(CallerFlag, later.id).ended_at is None  # type: ignore[union-attr]
    assert db.session.get(CallerFlag, lifted.id).end_reason is FlagEnd.LIFTED  # type: ignore[union-attr]
    [event] = audit_events("caller_flag.expired")
    assert (event.entity_id, event.actor_id, event.detail) == (
        str(due.id),
        None,
        {"kind": "abusive", "caller_id": caller.id},
    )


def test_a_lapsed_flag_is_not_in_force_before_the_sweep_runs(advisor: User) -> None:
    with time_machine.travel(NOW, tick=False):
        flag = _raise(_caller_of(advisor), advisor, expires_in_hours=24)

    assert flag.ended_at is None
    assert queries.active_flags(flag.caller_id, None, at=NOW + timedelta(hours=24)) == []
    assert queries.active_flags(flag.caller_id, None, at=NOW + timedelta(hours=23)) == [flag]
