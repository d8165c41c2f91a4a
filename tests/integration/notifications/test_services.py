from __future__ import annotations

from typing import Any

from caseapp.auth.models import Role
from caseapp.notifications import queries, services
from tests import factories


def test_managers_to_alert_lists_active_managers_and_admins_only(db_session: Any) -> None:
    manager = factories.make_user(role=Role.MANAGER)
    admin = factories.make_user(role=Role.ADMIN)
    advisor = factories.make_user(role=Role.ADVISOR)
    inactive = factories.make_user(role=Role.MANAGER, is_active=False)

    recipients = set(services.managers_to_alert())

    assert {manager.id, admin.id} <= recipients
    assert advisor.id not in recipients
    assert inactive.id not in recipients


def test_notify_writes_one_row_per_recipient_in_the_callers_transaction(db_session: Any) -> None:
    users = [factories.make_user(role=Role.MANAGER) for _ in range(2)]

    written = services.notify([u.id for u in users], kind="immediate_danger", title="t" * 300)

    assert written == 2
    assert [queries.count_unread(u.id) for u in users] == [1, 1]


def test_mark_read_only_marks_unread_notifications_of_that_user(db_session: Any) -> None:
    me, other = factories.make_user(), factories.make_user()
    services.notify([me.id, me.id, other.id], kind="k", title="t")

    assert services.mark_read(me.id) == 2
    assert services.mark_read(me.id) == 0
    assert queries.count_unread(other.id) == 1
