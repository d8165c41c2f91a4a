"""The handover pages, driven as a browser would: the clock-off form on the shift page (every open callback listed,
the pool by default, "hand all to …", refusals re-rendered with what was typed), "Handed to you" on My callbacks and
the callback page with Accept, and the note on the pool's rows and the case timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.callbacks import handover
from caseapp.callbacks.models import Callback, Handover
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import HandoverStatus
from caseapp.shifts import queries as shift_queries
from caseapp.timeutil import now_utc, to_local
from tests import factories
from tests.conftest import csrf_token_from
from tests.integration.page_support import PageReader, check_error_summary


def held_by(user: User, case: Case, hours: float = 2) -> Callback:
    callback = factories.make_callback(case, actor=user, assignee_id=user.id, due_at=now_utc() + timedelta(hours=hours))
    db.session.commit()
    return callback


def on_shift(role: Role = Role.ADVISOR, **overrides: Any) -> User:
    user = factories.make_shift(factories.make_user(role=role, **overrides)).user
    db.session.commit()
    return user


def handovers_of(callback: Callback) -> list[Handover]:
    db.session.expire_all()
    query = sa.select(Handover).where(Handover.callback_id == callback.id).order_by(Handover.id)
    return list(db.session.scalars(query))


def form_of(page: str) -> dict[str, str]:
    """The clock-off form's fields as the page fills them (hidden ids, each select's chosen option)."""
    reader = _FormReader(page)
    return reader.values


class _FormReader(PageReader):
    def __init__(self, html: str) -> None:
        self.values: dict[str, str] = {}
        self._select: str | None = None
        super().__init__(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        name = values.get("name", "")
        if tag == "input" and name.startswith("handovers-"):
            self.values[name] = values.get("value", "")
        elif tag == "select" and (name.startswith("handovers-") or name == "all_to_user_id"):
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in values:
            self.values[self._select] = values.get("value", "")
        super().handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        super().handle_endtag(tag)


def post_clock_off(client: FlaskClient, **fields: str) -> Any:
    page = client.get("/shifts/").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), **form_of(page), **fields}
    return client.post("/shifts/end", data=data)


# --- the clock-off form ----------------------------------------------------------------------------------------------


def test_the_shift_page_lists_every_open_callback_going_to_the_pool_unless_told(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    advisor = login_as(Role.ADVISOR)
    factories.make_shift(advisor)
    first, second = held_by(advisor, case, 1), held_by(advisor, case, 30)
    colleague = on_shift(full_name="Sam Colleague")
    factories.make_user(full_name="Olu Offshift")
    db.session.commit()

    page = client.get("/shifts/").get_data(as_text=True)

    assert "Clock off: hand over your callbacks" in page
    assert "You hold 2 open callbacks" in page
    assert form_of(page) == {
        "handovers-0-callback_id": str(first.id),
        "handovers-0-to_user_id": "",
        "handovers-1-callback_id": str(second.id),
        "handovers-1-to_user_id": "",
        "all_to_user_id": "",
    }
    assert f'<option value="{colleague.id}">Sam Colleague (advisor)</option>' in page
    assert "Olu Offshift" not in page  # not on shift
    assert f"Hand {case.reference}, due {to_local(first.due_at):%a %H:%M}, to" in page
    assert "15 minutes to accept it" in page
    assert '<button type="submit">Clock off</button>' not in page


def test_the_form_hands_each_callback_as_chosen_with_its_note_and_clocks_off(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    advisor = login_as(Role.ADVISOR)
    factories.make_shift(advisor)
    first, second = held_by(advisor, case, 1), held_by(advisor, case, 2)
    colleague = on_shift(full_name="Sam Colleague")

    response = post_clock_off(
        client, **{"handovers-0-to_user_id": str(colleague.id), "handovers-0-note": "She asked for a woman advisor"}
    )

    assert response.status_code == 302
    assert "2 callbacks handed over" in client.get("/shifts/").get_data(as_text=True)
    assert shift_queries.find_open_shift(advisor.id) is None
    [to_colleague] = handovers_of(first)
    [to_pool] = handovers_of(second)
    assert (to_colleague.to_user_id, to_colleague.note) == (colleague.id, "She asked for a woman advisor")
    assert (to_pool.to_user_id, to_pool.note) == (None, None)


def test_a_colleague_off_shift_is_refused_beside_the_field_and_what_was_typed_is_kept(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    advisor = login_as(Role.ADVISOR)
    factories.make_shift(advisor)
    callback = held_by(advisor, case)
    gone_home = factories.make_user(full_name="Olu Offshift")
    db.session.commit()

    response = post_clock_off(
        client, **{"handovers-0-to_user_id": str(gone_home.id), "handovers-0-note": "Ring the landline <b>first</b>"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    reader = check_error_summary(page)
    label = f"Hand {case.reference}, due {to_local(callback.due_at):%a %H:%M}, to"
    assert reader.summary_links == [("#f-handovers-0-to_user_id", label)]
    assert "Olu Offshift is not on shift. Choose a colleague who is on shift, or the pool." in page
    assert "Ring the landline &lt;b&gt;first&lt;/b&gt;</textarea>" in page
    assert "Nothing you typed has been lost." in page
    assert shift_queries.find_open_shift(advisor.id) is not None
    assert handovers_of(callback) == []


def test_a_callback_given_to_me_after_the_page_was_loaded_must_be_handed_over_too(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    advisor = login_as(Role.ADVISOR)
    factories.make_shift(advisor)
    first = held_by(advisor, case, 1)
    colleague = on_shift(full_name="Sam Colleague")
    page = client.get("/shifts/").get_data(as_text=True)
    late = held_by(advisor, case, 3)  # reassigned to me meanwhile

    response = client.post(
        "/shifts/end",
        data={
            "csrf_token": csrf_token_from(page),
            **form_of(page),
            "handovers-0-to_user_id": str(colleague.id),
            "handovers-0-note": "kept",
        },
    )

    again = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "You still hold 1 open callback. Before you clock off, hand each one" in again
    assert form_of(again)["handovers-0-callback_id"] == str(first.id)
    assert form_of(again)["handovers-0-to_user_id"] == str(colleague.id)
    assert form_of(again)["handovers-1-callback_id"] == str(late.id)
    assert again.count("New: this callback became yours after the page was loaded.") == 1
    assert ">kept</textarea>" in again
    assert handovers_of(first) == []
    resent = client.post("/shifts/end", data={"csrf_token": csrf_token_from(again), **form_of(again)})
    assert resent.status_code == 302
    assert [h.to_user_id for h in handovers_of(late)] == [None]


def test_hand_all_to_the_pool_clocks_off_even_with_a_callback_the_page_did_not_show(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    advisor = login_as(Role.ADVISOR)
    factories.make_shift(advisor)
    shown = held_by(advisor, case, 1)
    page = client.get("/shifts/").get_data(as_text=True)
    unseen = held_by(advisor, case, 2)

    response = client.post(
        "/shifts/end",
        data={"csrf_token": csrf_token_from(page), **form_of(page), "hand_all": "true", "handovers-0-note": "n"},
    )

    assert response.status_code == 302
    assert [(h.to_user_id, h.note) for h in handovers_of(shown)] == [(None, "n")]
    assert [h.to_user_id for h in handovers_of(unseen)] == [None]


def test_hand_all_to_a_colleague_keeps_each_note(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    advisor = login_as(Role.ADVISOR)
    factories.make_shift(advisor)
    first, second = held_by(advisor, case, 1), held_by(advisor, case, 2)
    colleague = on_shift()

    response = post_clock_off(
        client, hand_all="true", all_to_user_id=str(colleague.id), **{"handovers-1-note": "second one"}
    )

    assert response.status_code == 302
    assert [(h.to_user_id, h.note) for h in [*handovers_of(first), *handovers_of(second)]] == [
        (colleague.id, None),
        (colleague.id, "second one"),
    ]


def test_the_plain_clock_off_button_with_open_callbacks_shows_the_form_instead(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    advisor = login_as(Role.ADVISOR)
    factories.make_shift(advisor)
    callback = held_by(advisor, case)
    token = csrf_token_from(client.get("/account").get_data(as_text=True))

    response = client.post("/shifts/end", data={"csrf_token": token})

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "You still hold 1 open callback." in page
    assert form_of(page)["handovers-0-callback_id"] == str(callback.id)
    assert shift_queries.find_open_shift(advisor.id) is not None


def test_a_nul_typed_in_a_note_is_dropped_like_any_page_text(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    advisor = login_as(Role.ADVISOR)
    factories.make_shift(advisor)
    callback = held_by(advisor, case)

    response = post_clock_off(client, **{"handovers-0-note": "call\x00 after six"})

    assert response.status_code == 302
    assert [h.note for h in handovers_of(callback)] == ["call after six"]


def test_a_manager_still_ends_someone_elses_forgotten_shift(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    login_as(Role.MANAGER)
    forgetful = on_shift(full_name="Fran Forgot")
    held_by(forgetful, case)
    token = csrf_token_from(client.get("/shifts/").get_data(as_text=True))

    response = client.post("/shifts/end", data={"csrf_token": token, "user_id": str(forgetful.id)})

    assert response.status_code == 302
    assert shift_queries.find_open_shift(forgetful.id) is None


# --- the receiver ------------------------------------------------------------------------------------------------


def _handed_to(receiver: User, case: Case, note: str | None = "Mum answers; ask for Jo") -> Handover:
    giver = on_shift(full_name="Alex Giver")
    callback = held_by(giver, case)
    (made,) = handover.clock_off(
        actor=giver, handovers=[handover.HandoverRequest(callback.id, receiver.id, note)]
    ).handovers
    db.session.commit()
    return made


def test_my_callbacks_shows_what_was_handed_to_me_with_the_note_and_accept(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    receiver = login_as(Role.ADVISOR)
    factories.make_shift(receiver)
    offered = _handed_to(receiver, case)

    page = client.get("/callbacks/").get_data(as_text=True)

    assert "Handed to you" in page
    assert "From <strong>Alex Giver</strong>" in page
    assert "Mum answers; ask for Jo" in page
    assert f"/handovers/{offered.id}/accept" in page
    assert "back to the pool at" in page

    response = client.post(f"/handovers/{offered.id}/accept", data={"csrf_token": csrf_token_from(page)})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/callbacks/{offered.callback_id}"
    db.session.expire_all()
    assert db.session.get_one(Handover, offered.id).status == HandoverStatus.ACCEPTED
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Handover accepted: the callback on case" in after
    assert "Handed to you" not in client.get("/callbacks/").get_data(as_text=True)


def test_the_callback_page_shows_the_offer_and_its_history(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    receiver = login_as(Role.ADVISOR, full_name="Rae Receiver")
    factories.make_shift(receiver)
    offered = _handed_to(receiver, case, "Use the safe word")

    page = client.get(f"/callbacks/{offered.callback_id}").get_data(as_text=True)

    assert '<h2 id="offer-h">Handed to you</h2>' in page
    assert "By Alex Giver at" in page
    assert page.count("Use the safe word") == 2  # the offer, and the callback's handovers
    assert "Alex Giver → Rae Receiver" in page
    assert f'action="/handovers/{offered.id}/accept"' in page


def test_someone_else_sees_the_offer_on_the_callback_page_without_accept(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    login_as(Role.MANAGER)
    receiver = on_shift(full_name="Rae Receiver")
    offered = _handed_to(receiver, case)

    page = client.get(f"/callbacks/{offered.callback_id}").get_data(as_text=True)

    assert "Handed to Rae Receiver" in page
    assert f"/handovers/{offered.id}/accept" not in page


def test_accepting_someone_elses_handover_from_a_page_says_why_not(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    login_as(Role.ADVISOR)
    receiver = on_shift(full_name="Rae Receiver")
    offered = _handed_to(receiver, case)
    token = csrf_token_from(client.get("/callbacks/").get_data(as_text=True))

    response = client.post(f"/handovers/{offered.id}/accept", data={"csrf_token": token}, follow_redirects=True)

    assert "This handover was offered to Rae Receiver; only they can accept it." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get_one(Handover, offered.id).status == HandoverStatus.OFFERED


def test_the_pool_shows_who_handed_a_callback_there_and_their_note(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    login_as(Role.ADVISOR)
    giver = on_shift(full_name="Alex Giver")
    callback = held_by(giver, case)
    handover.clock_off(actor=giver, handovers=[handover.HandoverRequest(callback.id, None, "Needs an interpreter")])
    db.session.commit()

    page = client.get("/callbacks/").get_data(as_text=True)
    shown = client.get(f"/callbacks/{callback.id}").get_data(as_text=True)

    assert "Handed to the pool by Alex Giver" in page
    assert "Needs an interpreter" in page
    assert f"/callbacks/{callback.id}/claim" in page
    assert "Accept (claim it from the pool)" in shown


def test_the_case_timeline_shows_the_handover_note(
    client: FlaskClient, login_as: Callable[..., User], case: Case
) -> None:
    receiver = login_as(Role.ADVISOR, full_name="Rae Receiver")
    factories.make_shift(receiver)
    _handed_to(receiver, case, "Only after 6pm")

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert "Callback handed over to Rae Receiver" in page
    assert "Only after 6pm" in page
