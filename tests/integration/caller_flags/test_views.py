"""The pages: flags on the case page (raise on the caller or the number they rang from, refused input back as
typed, lift), the repeat-caller banner on the log-a-call page, and the admins' settings page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import time_machine
from flask.testing import FlaskClient

from caseapp.auth.models import Role, User
from caseapp.caller_flags import queries, services
from caseapp.caller_flags.models import FlagEnd, FlagKind
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.settings import services as settings
from tests import factories
from tests.html import form_defaults
from tests.integration.page_support import check_error_summary


def _case() -> Case:
    case = factories.make_case()
    db.session.commit()
    return case


def _raise_form(client: FlaskClient, case: Case, **fields: str) -> dict[str, str]:
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    form = form_defaults(page, "raise-flag")
    for name, value in {
        "kind": "abusive",
        "reason": "Swore at the advisor",
        "duration": "2",
        "unit": "days",
        **fields,
    }.items():
        form[name] = value
    return dict(form)


def test_an_advisor_raises_a_flag_on_the_caller_and_sees_it_with_its_uk_expiry_and_time_left(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    with time_machine.travel(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), tick=False):
        advisor = login_as(Role.ADVISOR)
        case = _case()
        form = _raise_form(client, case)
        posted = client.post(f"/cases/{case.id}/flags", data=form)
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert posted.status_code == 302, posted.get_data(as_text=True)
    [flag] = queries.active_flags(case.caller_id, None, at=datetime(2026, 3, 29, tzinfo=UTC))
    assert (flag.kind, flag.reason, flag.raised_by_id) == (FlagKind.ABUSIVE, "Swore at the advisor", advisor.id)
    assert 'role="region" aria-label="Flags in force on this caller or number"' in page
    assert "Swore at the advisor" in page
    assert "Mon 30 Mar 2026 13:00 BST" in page  # 48 hours on, across the clocks going forward
    assert "2 days 0 h left" in page
    assert f"raised by {advisor.full_name} on 28 Mar 2026" in page
    assert "Lift the abusive flag early" in page


def test_a_flag_on_the_number_they_rang_from_is_on_the_number_alone(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    advisor = login_as(Role.ADVISOR)
    factories.make_shift(advisor)
    case = _case()

    posted = client.post(
        f"/cases/{case.id}/flags", data=_raise_form(client, case, target="number", kind="do_not_ring_back")
    )

    assert posted.status_code == 302
    [flag] = queries.active_flags(None, case.caller.phone_e164)
    assert (flag.caller_id, flag.kind) == (None, FlagKind.DO_NOT_RING_BACK)
    assert queries.ring_back_blocked(case.caller.phone_e164 or "") is True


def test_refused_input_comes_back_as_typed_in_plain_english(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as(Role.ADVISOR)
    case = _case()

    short = client.post(
        f"/cases/{case.id}/flags", data=_raise_form(client, case, duration="3", unit="hours", reason="Keep this text")
    )
    gap = client.post(
        f"/cases/{case.id}/flags",
        data=_raise_form(client, case, duration="", expires_date="2027-03-28", expires_time="01:30"),
    )

    assert short.status_code == 422
    html = short.get_data(as_text=True)
    check_error_summary(html)
    assert "A flag lasts at least 24 hours" in html
    assert "Keep this text" in html
    assert 'value="3"' in html
    assert gap.status_code == 422
    gap_html = gap.get_data(as_text=True)
    check_error_summary(gap_html)
    assert "does not exist in the UK: the clocks go forward" in gap_html
    assert 'value="2027-03-28"' in gap_html
    assert queries.active_flags(case.caller_id, case.caller.phone_e164) == []


def test_the_october_hour_asks_which_one_then_takes_the_choice(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    with time_machine.travel(datetime(2026, 10, 20, 12, 0, tzinfo=UTC), tick=False):
        login_as(Role.ADVISOR)
        case = _case()
        typed = _raise_form(client, case, duration="", expires_date="2026-10-25", expires_time="01:30")
        asked = client.post(f"/cases/{case.id}/flags", data=typed)
        chosen = client.post(f"/cases/{case.id}/flags", data={**typed, "fold": "1"})

    assert asked.status_code == 422
    assert "happens twice in the UK" in asked.get_data(as_text=True)
    assert "The second (GMT, after)" in asked.get_data(as_text=True)
    assert chosen.status_code == 302
    [flag] = queries.active_flags(case.caller_id, None, at=datetime(2026, 10, 21, tzinfo=UTC))
    assert flag.expires_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_the_raiser_lifts_a_flag_from_the_page_and_a_colleague_is_refused(
    client: FlaskClient, client_as: Callable[..., tuple[FlaskClient, User]], login_as: Callable[..., User]
) -> None:
    advisor = login_as(Role.ADVISOR)
    case = _case()
    flag = services.raise_on_caller(case.caller, kind=FlagKind.HOAX, reason="Prank", actor=advisor, expires_in_days=3)
    db.session.commit()
    colleague, other = client_as(Role.ADVISOR)
    theirs = factories.make_case(case.caller, actor=other)  # they work with the caller too, but did not raise it
    db.session.commit()
    their_page = colleague.get(f"/cases/{theirs.id}").get_data(as_text=True)
    token = form_defaults(their_page, "raise-flag")["csrf_token"]

    refused = colleague.post(f"/cases/{theirs.id}/flags/{flag.id}/lift", data={"reason": "x", "csrf_token": token})
    empty = client.post(
        f"/cases/{case.id}/flags/{flag.id}/lift",
        data={"reason": "", "flag_id": str(flag.id), "csrf_token": _raise_form(client, case)["csrf_token"]},
    )
    lifted = client.post(
        f"/cases/{case.id}/flags/{flag.id}/lift",
        data={"reason": "Was a misunderstanding", "csrf_token": _raise_form(client, case)["csrf_token"]},
    )

    assert refused.status_code == 403
    assert empty.status_code == 422
    assert f'id="lift-{flag.id}-reason-error"' in empty.get_data(as_text=True)
    assert lifted.status_code == 302
    db.session.expire_all()
    assert queries.get_flag(flag.id).end_reason is FlagEnd.LIFTED
    assert "No flags in force." in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_the_log_a_call_banner_shows_the_flags_on_the_caller_or_the_number(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    advisor = login_as(Role.ADVISOR)
    factories.make_shift(advisor)
    case = _case()
    services.raise_on_caller(case.caller, kind=FlagKind.ABUSIVE, reason="Shouts", actor=advisor, expires_in_days=2)
    hoax = factories.unique_phone()
    services.raise_on_number(hoax, kind=FlagKind.HOAX, reason="Prank calls", actor=advisor, expires_in_days=2)
    db.session.commit()

    known = client.get("/calls/lookup", query_string={"phone": case.caller.phone_e164}).get_data(as_text=True)
    new = client.get("/calls/lookup", query_string={"phone": hoax}).get_data(as_text=True)
    plain = client.get("/calls/lookup", query_string={"phone": factories.unique_phone()}).get_data(as_text=True)

    assert case.reference in known
    assert 'data-flag-kind="abusive"' in known
    assert "Shouts" in known
    assert "New caller" in new
    assert 'data-flag-kind="hoax"' in new
    assert "Prank calls" in new
    assert "(on this number)" in new
    assert "flag-banner" not in plain


def test_the_settings_page_is_for_admins_and_refused_values_come_back_as_typed(
    client: FlaskClient, login_as: Callable[..., User], client_as: Callable[..., tuple[FlaskClient, User]]
) -> None:
    manager_client, _ = client_as(Role.MANAGER)
    login_as(Role.ADMIN)
    page = client.get("/admin/settings/").get_data(as_text=True)
    token = form_defaults(page, "settings-form")["csrf_token"]

    refused = client.post("/admin/settings/", data={"flag_max_days": "400", "csrf_token": token})
    saved = client.post("/admin/settings/", data={"flag_max_days": "45", "csrf_token": token})

    assert manager_client.get("/admin/settings/").status_code == 403
    assert "Longest a caller flag may last" in page
    assert refused.status_code == 422
    assert 'value="400"' in refused.get_data(as_text=True)
    assert "from 1 to 365" in refused.get_data(as_text=True)
    assert saved.status_code == 302
    assert settings.flag_max_days() == 45
