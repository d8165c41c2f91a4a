"""The managers' daily notice of stale cases (notify_managers in caseapp/cases/stale.py, the task body in
workers/cases.py): in-app, to every active manager and admin, with the count and a link to the list; nothing when
the list is empty; once per local day however often it runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from caseapp.auth.models import Role, User
from caseapp.cases import stale
from caseapp.cases.models import Case, StaleCaseDigest
from caseapp.extensions import db
from caseapp.notifications.models import Notification
from caseapp.reference import CaseStatus, CloseReason
from tests import factories
from tests.integration.api_support import audit_events

#: 07:00 BST on Monday 15 June 2026, the default STALE_CASES_AT
SEVEN_AM = datetime(2026, 6, 15, 6, 0, tzinfo=UTC)


@pytest.fixture
def managers(db_session: Any) -> list[User]:
    # only the people this test makes: any other staff the database holds are deactivated for it
    db.session.execute(sa.update(User).values(is_active=False))
    return [factories.make_user(role=Role.MANAGER), factories.make_user(role=Role.ADMIN)]


def stale_cases(count: int) -> list[Case]:
    db.session.execute(sa.update(Case).values(status=CaseStatus.CLOSED, close_reason=CloseReason.NO_FURTHER_ACTION))
    return [factories.make_case(created_at=SEVEN_AM - timedelta(days=30)) for _ in range(count)]


def notices(user: User) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id, Notification.kind == stale.NOTIFICATION_KIND)
    return list(db.session.scalars(query))


def test_every_active_manager_and_admin_is_told_the_count_with_a_link_to_the_list(managers: list[User]) -> None:
    stale_cases(3)
    advisor = factories.make_user(role=Role.ADVISOR)
    gone = factories.make_user(role=Role.MANAGER, is_active=False)

    digest = stale.notify_managers(SEVEN_AM)

    assert digest is not None
    assert (digest.local_date, digest.days, digest.case_count, digest.recipients) == (date(2026, 6, 15), 14, 3, 2)
    for manager in managers:
        [notice] = notices(manager)
        assert notice.title == "3 open cases: nobody reached for 14 days or more, and no callback booked"
        assert notice.link == "/cases/stale"
        assert notice.case_id is None
    assert notices(advisor) == notices(gone) == []
    [event] = audit_events("case.stale_notified")
    assert event.actor_id is None
    assert event.detail == {"date": "2026-06-15", "days": 14, "cases": 3, "recipients": 2}


def test_running_twice_the_same_day_tells_them_once(managers: list[User]) -> None:
    stale_cases(2)

    first = stale.notify_managers(SEVEN_AM)
    second = stale.notify_managers(SEVEN_AM + timedelta(minutes=1))
    third = stale.notify_managers(SEVEN_AM + timedelta(hours=15))  # 22:00 the same day

    assert first is not None
    assert second is None
    assert third is None
    assert [len(notices(m)) for m in managers] == [1, 1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StaleCaseDigest)) == 1


def test_the_next_day_tells_them_again(managers: list[User]) -> None:
    stale_cases(2)
    stale.notify_managers(SEVEN_AM)

    tomorrow = stale.notify_managers(SEVEN_AM + timedelta(days=1))

    assert tomorrow is not None
    assert tomorrow.local_date == date(2026, 6, 16)
    assert [len(notices(m)) for m in managers] == [2, 2]


def test_nothing_is_sent_when_the_list_is_empty(managers: list[User]) -> None:
    stale_cases(0)

    digest = stale.notify_managers(SEVEN_AM)

    assert digest is not None
    assert (digest.case_count, digest.recipients) == (0, 0)
    assert [notices(m) for m in managers] == [[], []]
    assert stale.notify_managers(SEVEN_AM + timedelta(hours=1)) is None  # the day was checked: a rerun sends nothing


def test_a_run_before_the_time_is_the_day_before_s_and_a_run_just_before_it_is_today_s(managers: list[User]) -> None:
    stale_cases(1)
    stale.notify_managers(SEVEN_AM - timedelta(days=1))  # yesterday's 07:00

    at_half_past_five = stale.notify_managers(SEVEN_AM - timedelta(minutes=90))  # still yesterday's: done
    at_ten_to_seven = stale.notify_managers(SEVEN_AM - timedelta(minutes=10))  # a clock a little behind: today's

    assert at_half_past_five is None
    assert at_ten_to_seven is not None
    assert at_ten_to_seven.local_date == date(2026, 6, 15)


def test_the_day_follows_the_configured_time_in_uk_time(app: Flask, managers: list[User]) -> None:
    stale_cases(1)
    app.config["STALE_CASES_AT"] = "18:30"
    try:
        # 17:45 UTC on 1 December is 17:45 GMT: before 18:30, so it is 30 November's run
        early = stale.notify_managers(datetime(2026, 12, 1, 17, 45, tzinfo=UTC))
        # 17:45 UTC on 1 July is 18:45 BST: after 18:30, 1 July's
        late = stale.notify_managers(datetime(2026, 7, 1, 17, 45, tzinfo=UTC))
    finally:
        app.config["STALE_CASES_AT"] = "07:00"

    assert early is not None
    assert early.local_date == date(2026, 11, 30)
    assert late is not None
    assert late.local_date == date(2026, 7, 1)


def test_the_task_body_notifies_once_and_returns_how_many_it_told(managers: list[User]) -> None:
    from workers.cases import notify_stale

    stale_cases(2)

    assert notify_stale.run() == 2
    assert notify_stale.run() == 0
    assert [len(notices(m)) for m in managers] == [1, 1]
