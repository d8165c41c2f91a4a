"""GET /api/v1/notifications and POST /api/v1/notifications/read: each user sees and marks only their own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from caseapp.auth.models import Role, User
from caseapp.extensions import db
from caseapp.notifications import services
from caseapp.notifications.models import Notification
from caseapp.timeutil import now_utc
from tests.integration.api_support import Api


def _notify(user: User, n: int = 1, kind: str = "immediate_danger") -> list[Notification]:
    services.notify([user.id] * n, kind=kind, title="Immediate danger on case CA-2026-000001", link="/cases/1")
    db.session.commit()
    return list(
        db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))
    )


def test_list_notifications_shows_only_my_own_newest_first(api_as: Callable[..., Api]) -> None:
    me, other = api_as(Role.MANAGER), api_as(Role.MANAGER)
    mine = _notify(me.account, 2)
    _notify(other.account, 1)

    body = me.get("/api/v1/notifications").get_json()

    assert set(body) == {"items", "next"}
    assert [n["id"] for n in body["items"]] == [mine[1].id, mine[0].id]
    assert body["items"][0]["title"] == "Immediate danger on case CA-2026-000001"


def test_list_notifications_cursor_walks_all_without_duplicates(api: Api) -> None:
    made = _notify(api.account, 5)
    base = now_utc() - timedelta(minutes=10)
    for i, notification in enumerate(made):
        notification.created_at = base + timedelta(minutes=i // 2)  # pairs share a time: the id breaks the tie
    db.session.commit()

    seen: list[int] = []
    cursor = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get("/api/v1/notifications", query_string=query).get_json()
        seen += [n["id"] for n in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break

    assert seen == [n.id for n in sorted(made, key=lambda n: (n.created_at, n.id), reverse=True)]


def test_mark_read_marks_the_given_ids_and_answers_what_is_left_unread(api: Api) -> None:
    made = _notify(api.account, 3)

    body = api.post("/api/v1/notifications/read", json={"ids": [made[0].id, made[1].id]}).get_json()

    assert body == {"marked": 2, "unread": 1}
    unread = api.get("/api/v1/notifications", query_string={"unread": "true"}).get_json()["items"]
    assert [n["id"] for n in unread] == [made[2].id]
    everything = api.get("/api/v1/notifications").get_json()["items"]
    assert all(n["read_at"] is not None for n in everything if n["id"] != made[2].id)


def test_mark_read_without_ids_marks_all_mine_and_is_idempotent(api: Api) -> None:
    _notify(api.account, 3)

    first = api.post("/api/v1/notifications/read", json={}).get_json()
    again = api.post("/api/v1/notifications/read", json={}).get_json()

    assert first == {"marked": 3, "unread": 0}
    assert again == {"marked": 0, "unread": 0}


def test_mark_read_cannot_touch_someone_elses_notifications(api_as: Callable[..., Api]) -> None:
    me, other = api_as(), api_as()
    theirs = _notify(other.account, 1)

    body = me.post("/api/v1/notifications/read", json={"ids": [theirs[0].id]}).get_json()

    assert body["marked"] == 0
    db.session.refresh(theirs[0])
    assert theirs[0].read_at is None


def test_mark_read_refuses_ids_that_are_not_integers(api: Api) -> None:
    response = api.post("/api/v1/notifications/read", json={"ids": ["all"]})

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["ids.0"]


def test_list_notifications_refuses_an_invalid_cursor(api: Api) -> None:
    response = api.get("/api/v1/notifications", query_string={"cursor": "%%%"})

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["cursor"]
