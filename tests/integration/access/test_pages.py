"""The pages follow the access policy: a case not theirs puts the break-glass page between an advisor and the
record; a name search finds only their cases (an exact number or reference still finds any, said as such); lists
mask callers' numbers; a colleague's callback is refused; the admins review every break-glass use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from caseapp.access.models import BreakGlassGrant
from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import audit_events


def _colleagues_case(name: str = "Robin Private", phone: str | None = None) -> Case:
    caller = factories.make_caller(name=name, consent_callback=True, **({"phone": phone} if phone else {}))
    case = factories.make_case(caller, actor=factories.make_user(role=Role.ADVISOR))
    db.session.commit()
    return case


def _csrf(client: FlaskClient) -> str:
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get("/account").get_data(as_text=True))


def test_a_case_not_theirs_shows_the_break_glass_page_instead_of_the_record(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.ADVISOR)
    case = _colleagues_case()

    response = client.get(f"/cases/{case.id}")

    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert f"Case {case.reference} is not one of yours" in page
    assert 'name="reason"' in page
    assert "Covering for a colleague" in page
    assert "Robin" not in page
    assert audit_events("case.viewed", entity_id=str(case.id)) == []


def test_giving_a_reason_on_the_page_opens_the_case(client: FlaskClient, login_as: Callable[..., User]) -> None:
    me = login_as(Role.ADVISOR)
    case = _colleagues_case()
    csrf = _csrf(client)

    missing = client.post(f"/cases/{case.id}/access", data={"csrf_token": csrf, "reason": "covering", "note": " "})
    given = client.post(
        f"/cases/{case.id}/access",
        data={"csrf_token": csrf, "reason": "safeguarding", "note": "Police asked", "next": f"/cases/{case.id}"},
    )
    opened = client.get(f"/cases/{case.id}")

    assert missing.status_code == 422
    assert "Say in a few words" in missing.get_data(as_text=True)
    assert given.status_code == 302
    assert given.headers["Location"] == f"/cases/{case.id}"
    assert opened.status_code == 200
    assert "Robin Private" in opened.get_data(as_text=True)
    [event] = audit_events("case.break_glass", actor_id=me.id)
    assert event.detail["reason"] == "safeguarding"


def test_a_name_search_finds_only_an_advisors_cases_and_an_exact_number_finds_any(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    me = login_as(Role.ADVISOR)
    mine = factories.make_case(factories.make_caller(name="Quinlan Mine"), actor=me)
    theirs = _colleagues_case(name="Quinlan Theirs", phone="07811 606654")

    by_name = client.get("/search?q=quinlan").get_data(as_text=True)
    by_number = client.get("/search?q=07811606654").get_data(as_text=True)

    assert "Quinlan Mine" in by_name
    assert "Quinlan Theirs" not in by_name
    assert theirs.reference in by_number
    assert "found by the exact number or reference" in by_number
    [_, searched] = audit_events("case.searched", actor_id=me.id)
    assert searched.detail == {"ids": [theirs.id]}
    assert mine.id


def test_an_advisors_list_masks_numbers_and_offers_to_show_them(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    me = login_as(Role.ADVISOR)
    case = factories.make_case(factories.make_caller(name="Masked Caller", phone="07811 606987"), actor=me)
    db.session.commit()

    page = client.get("/cases/mine").get_data(as_text=True)

    assert "••• ••• ••987" in page
    assert "07811 606987" not in page
    assert f'data-reveal-url="/api/v1/cases/{case.id}/phone"' in page


def test_a_managers_list_shows_numbers(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as(Role.MANAGER)
    _colleagues_case(name="Shown Caller", phone="07811 606988")

    page = client.get("/cases/").get_data(as_text=True)

    assert "07811 606988" in page


def test_cancelling_a_colleagues_callback_on_its_page_is_refused(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    me = login_as(Role.ADVISOR)
    colleague = factories.make_user(role=Role.ADVISOR)
    case = factories.make_case(factories.make_caller(consent_callback=True), actor=me)
    callback = factories.make_callback(case, actor=colleague, assignee_id=colleague.id)
    db.session.commit()

    seen = client.get(f"/callbacks/{callback.id}")  # the case is mine: I may see who holds it
    refused = client.post(f"/callbacks/{callback.id}/cancel", data={"csrf_token": _csrf(client), "cancel_reason": "x"})

    assert seen.status_code == 200
    assert refused.status_code == 403
    assert "hand it over" in refused.get_data(as_text=True)


# --- the admins' review -------------------------------------------------------------------------------------------


def _grant(advisor: User, case: Case, **overrides: Any) -> BreakGlassGrant:
    from caseapp.access.services import break_glass

    grant = break_glass(case, actor=advisor, reason="other", note="Caller rang the wrong line")
    for name, value in overrides.items():
        setattr(grant, name, value)
    db.session.commit()
    return grant


def test_admins_see_every_break_glass_use_filter_them_and_mark_them_reviewed(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    admin = login_as(Role.ADMIN)
    advisor = factories.make_user(role=Role.ADVISOR, full_name="Pat Glass")
    factories.make_shift(advisor)
    plain = _grant(advisor, _colleagues_case())
    flagged = _grant(advisor, _colleagues_case(), flags=["unusual_hours"], is_flagged=True)

    everything = client.get("/admin/access/").get_data(as_text=True)
    only_flagged = client.get("/admin/access/?flagged=1").get_data(as_text=True)
    reviewed = client.post(
        f"/admin/access/{plain.id}/review", data={"csrf_token": _csrf(client), "next": "/admin/access/?unreviewed=1"}
    )
    unreviewed = client.get("/admin/access/?unreviewed=1").get_data(as_text=True)

    assert everything.count("<td>Pat Glass</td>") == 2
    assert "Caller rang the wrong line" in everything
    assert f"#{flagged.case_id}" in only_flagged
    assert f"#{plain.case_id}" not in only_flagged
    assert "At an unusual hour" in only_flagged
    assert reviewed.status_code == 302
    assert reviewed.headers["Location"] == "/admin/access/?unreviewed=1"
    assert f"#{plain.case_id}<" not in unreviewed
    assert f"#{flagged.case_id}<" in unreviewed
    db.session.refresh(plain)
    assert plain.reviewed_by_id == admin.id
    [event] = audit_events("case.break_glass_reviewed", actor_id=admin.id)
    assert event.detail == {"grant_id": plain.id}
    listed = audit_events("case.break_glass_listed", actor_id=admin.id)
    assert listed[0].detail == {"ids": [flagged.case_id, plain.case_id]}


def test_the_review_page_is_for_admins_only(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as(Role.MANAGER)

    assert client.get("/admin/access/").status_code == 403


def test_a_refused_change_to_a_callback_of_a_case_not_theirs_does_not_show_the_callback(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as(Role.ADVISOR)
    case = _colleagues_case(name="Hidden Caller")
    callback = factories.make_callback(case, actor=case.assigned_advisor, assignee_id=case.assigned_advisor_id)
    db.session.commit()

    refused = client.post(f"/callbacks/{callback.id}/cancel", data={"csrf_token": _csrf(client), "cancel_reason": "x"})

    assert refused.status_code == 403
    assert "Hidden Caller" not in refused.get_data(as_text=True)
    assert "is not one of yours" in refused.get_data(as_text=True)


def test_admins_see_the_records_advisors_read_while_not_on_shift(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    on_shift, off_shift = factories.make_user(full_name="Sam Onshift"), factories.make_user(full_name="Kit Offshift")
    factories.make_shift(on_shift)
    shift_ended = factories.make_shift(off_shift)
    shift_ended.ended_at = shift_ended.started_at
    seen_on, seen_off = factories.make_case(), factories.make_case()
    for reader, case in ((on_shift, seen_on), (off_shift, seen_off)):
        db.session.add(
            AuditEvent(
                occurred_at=now_utc(),  # not the database's now(): that is when the test's transaction began
                actor_id=reader.id,
                action="case.viewed",
                entity_type="case",
                entity_id=str(case.id),
            )
        )
    db.session.commit()
    admin = login_as(Role.ADMIN)

    page = client.get("/admin/access/off-shift").get_data(as_text=True)

    assert "Kit Offshift" in page
    assert f"/cases/{seen_off.id}" in page
    assert "Sam Onshift" not in page
    assert audit_events("audit.viewed", actor_id=admin.id)[-1].detail["view"] == "reads_off_shift"
