"""The notifications page: following a notification marks it read (the bell's count drops) and goes to its page;
someone else's notification, or a link that leaves the site, goes nowhere."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.notifications import queries, services
from caseapp.notifications.models import Notification
from tests import factories


def _notify(user_id: int, link: str | None = "/callbacks/5") -> Notification:
    services.notify([user_id], kind="callback_reminder", title="Callback due on CA-2026-000001", link=link)
    db.session.flush()
    notification = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc())
    ).first()
    assert notification is not None
    db.session.commit()
    return notification


def _bell(page: str) -> str:
    match = re.search(r'aria-label="Notifications: (\d+) unread"', page)
    assert match is not None
    return match.group(1)


def test_opening_a_notification_marks_it_read_and_goes_to_its_link(client, login_as):
    me = login_as(Role.ADVISOR)
    notification = _notify(me.id)
    _notify(me.id, link="/cases/1")
    listing = client.get("/notifications/").get_data(as_text=True)
    assert _bell(listing) == "2"
    assert f'href="/notifications/{notification.id}/open"' in listing

    response = client.get(f"/notifications/{notification.id}/open")

    assert response.status_code == 302
    assert response.headers["Location"] == "/callbacks/5"
    assert queries.count_unread(me.id) == 1
    assert _bell(client.get("/notifications/").get_data(as_text=True)) == "1"
    db.session.refresh(notification)
    assert notification.read_at is not None


def test_opening_it_again_keeps_it_read_and_still_goes_there(client, login_as):
    me = login_as(Role.ADVISOR)
    notification = _notify(me.id)
    client.get(f"/notifications/{notification.id}/open")

    response = client.get(f"/notifications/{notification.id}/open")

    assert response.headers["Location"] == "/callbacks/5"
    assert queries.count_unread(me.id) == 0


def test_someone_elses_notification_is_not_found_and_stays_unread(client, login_as):
    login_as(Role.ADVISOR)
    other = factories.make_user()
    theirs = _notify(other.id)

    response = client.get(f"/notifications/{theirs.id}/open")

    assert response.status_code == 404
    assert queries.count_unread(other.id) == 1


@pytest.mark.parametrize("link", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", None])
def test_a_link_that_leaves_the_site_or_none_goes_to_the_list(client, login_as, link):
    me = login_as(Role.ADVISOR)
    notification = _notify(me.id, link=link)

    response = client.get(f"/notifications/{notification.id}/open")

    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications/"
    assert queries.count_unread(me.id) == 0
