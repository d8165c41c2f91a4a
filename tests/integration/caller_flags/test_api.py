"""The flags API and the settings API: shapes (checked against the OpenAPI document), 422s naming fields, 403s, the
reason hidden from those who may not read the caller, and the phone lookup's flags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from caseapp.auth.models import Role
from caseapp.callers.models import Caller
from caseapp.callers.phones import normalise_phone
from caseapp.extensions import db
from tests import factories
from tests.integration.api_support import Api, audit_events


def _caller(api: Api | None = None) -> Caller:
    """A caller with a case opened by the signed-in advisor (or, with `api`, by that client's user)."""
    caller = factories.make_caller()
    factories.make_case(caller, actor=api.account if api else None)
    db.session.commit()
    return caller


def _flag_body(**overrides: Any) -> dict[str, Any]:
    return {"kind": "abusive", "reason": "Threatened staff", "expires_in_hours": 48, **overrides}


def test_raise_on_a_caller_then_list_in_force_and_with_the_history(api: Api) -> None:
    caller = _caller(api)

    made = api.post(f"/api/v1/callers/{caller.id}/flags", json=_flag_body())
    ended = api.post(
        f"/api/v1/callers/{caller.id}/flags", json=_flag_body(kind="hoax", expires_in_days=3, expires_in_hours=None)
    )
    lifted = api.post(f"/api/v1/flags/{ended.get_json()['id']}/lift", json={"reason": "Mistaken"})

    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert (body["caller_id"], body["kind"], body["reason"], body["in_force"]) == (
        caller.id,
        "abusive",
        "Threatened staff",
        True,
    )
    assert lifted.status_code == 200, lifted.get_json()
    assert (lifted.get_json()["end_reason"], lifted.get_json()["end_note"]) == ("lifted", "Mistaken")
    in_force = api.get(f"/api/v1/callers/{caller.id}/flags").get_json()["items"]
    history = api.get(f"/api/v1/callers/{caller.id}/flags?include=ended").get_json()["items"]
    assert [item["id"] for item in in_force] == [body["id"]]
    assert {item["id"] for item in history} == {body["id"], ended.get_json()["id"]}
    assert audit_events("caller_flag.listed", entity_id=str(caller.id))


def test_bad_input_is_422_naming_each_field(api: Api) -> None:
    caller = _caller(api)

    bad = api.post(f"/api/v1/callers/{caller.id}/flags", json={"kind": "rude", "expires_in_hours": 1.5})
    short = api.post(f"/api/v1/callers/{caller.id}/flags", json=_flag_body(expires_in_hours=12))
    naive = api.post(
        f"/api/v1/callers/{caller.id}/flags", json=_flag_body(expires_in_hours=None, expires_at="2026-12-25T10:00:00")
    )
    unknown_include = api.get(f"/api/v1/callers/{caller.id}/flags?include=everything")

    assert bad.status_code == 422
    assert bad.get_json()["error"]["code"] == "validation_error"
    assert set(bad.get_json()["error"]["fields"]) == {"kind", "reason", "expires_in_hours"}
    assert short.status_code == 422
    assert set(short.get_json()["error"]["fields"]) == {"expires_in_hours"}
    assert naive.status_code == 422
    assert set(naive.get_json()["error"]["fields"]) == {"expires_at"}
    assert unknown_include.status_code == 422
    assert set(unknown_include.get_json()["error"]["fields"]) == {"include"}


def test_an_advisor_unrelated_to_the_caller_gets_403_to_raise_and_to_list(api: Api, api_as: Callable[..., Api]) -> None:
    caller = _caller(api)
    stranger = api_as(Role.ADVISOR)

    raised = stranger.post(f"/api/v1/callers/{caller.id}/flags", json=_flag_body())
    listed = stranger.get(f"/api/v1/callers/{caller.id}/flags")

    assert raised.status_code == 403
    assert listed.status_code == 403
    assert raised.get_json()["error"]["code"] in {"forbidden", "break_glass_required"}


def test_lifting_is_for_the_raiser_or_a_manager(api: Api, api_as: Callable[..., Api]) -> None:
    caller = _caller(api)
    flag_id = api.post(f"/api/v1/callers/{caller.id}/flags", json=_flag_body()).get_json()["id"]
    colleague, manager = api_as(Role.ADVISOR), api_as(Role.MANAGER)

    refused = colleague.post(f"/api/v1/flags/{flag_id}/lift", json={"reason": "Not mine"})
    no_reason = manager.post(f"/api/v1/flags/{flag_id}/lift", json={})
    lifted = manager.post(f"/api/v1/flags/{flag_id}/lift", json={"reason": "Reviewed with the team"})
    again = api.post(f"/api/v1/flags/{flag_id}/lift", json={"reason": "Again"})
    missing = api.post("/api/v1/flags/999999/lift", json={"reason": "x"})

    assert refused.status_code == 403
    assert no_reason.status_code == 422
    assert set(no_reason.get_json()["error"]["fields"]) == {"reason"}
    assert lifted.status_code == 200
    assert lifted.get_json()["ended_by_id"] == manager.user_id
    assert again.status_code == 409
    assert missing.status_code == 404


def test_a_number_flag_by_an_advisor_on_shift_and_its_reason_hidden_from_one_who_may_not_read_the_caller(
    api: Api, api_as: Callable[..., Api]
) -> None:
    factories.make_shift(api.account)
    caller = _caller(api)
    off_shift = api_as(Role.ADVISOR)
    on_shift = api_as(Role.ADVISOR)
    factories.make_shift(on_shift.account)
    db.session.commit()
    hoax = factories.unique_phone()

    on_caller_number = api.post(
        "/api/v1/flags", json={**_flag_body(kind="do_not_ring_back"), "phone": caller.phone_e164}
    )
    refused = off_shift.post("/api/v1/flags", json={**_flag_body(kind="hoax"), "phone": hoax})
    nobody = on_shift.post("/api/v1/flags", json={**_flag_body(kind="hoax", reason="Prank"), "phone": hoax})
    bad_phone = on_shift.post("/api/v1/flags", json={**_flag_body(), "phone": "12"})

    assert on_caller_number.status_code == 201, on_caller_number.get_json()
    assert refused.status_code == 403
    assert nobody.status_code == 201
    assert nobody.get_json()["phone"] == normalise_phone(hoax)
    assert bad_phone.status_code == 422
    assert set(bad_phone.get_json()["error"]["fields"]) == {"phone"}
    # the caller's own advisor reads the reason; a colleague with no link to the caller sees the flag without it
    mine = api.get(f"/api/v1/flags?phone={caller.phone_e164}").get_json()["items"]
    theirs = on_shift.get(f"/api/v1/flags?phone={caller.phone_e164}").get_json()["items"]
    assert [(item["kind"], item["reason"], item["reason_hidden"]) for item in mine] == [
        ("do_not_ring_back", "Threatened staff", False)
    ]
    assert [(item["kind"], item["reason"], item["reason_hidden"]) for item in theirs] == [
        ("do_not_ring_back", None, True)
    ]
    prank = off_shift.get("/api/v1/flags", query_string={"phone": hoax}).get_json()["items"]
    assert [(item["reason"], item["caller_id"]) for item in prank] == [("Prank", None)]


def test_the_phone_lookup_returns_the_flags_with_the_reason_only_for_those_who_may_read_the_caller(
    api: Api, api_as: Callable[..., Api]
) -> None:
    caller = _caller(api)
    flag_id = api.post(f"/api/v1/callers/{caller.id}/flags", json=_flag_body()).get_json()["id"]
    colleague = api_as(Role.ADVISOR)

    mine = api.get("/api/v1/callers", query_string={"phone": caller.phone_e164}).get_json()
    theirs = colleague.get("/api/v1/callers", query_string={"phone": caller.phone_e164}).get_json()
    unknown = api.get("/api/v1/callers", query_string={"phone": factories.unique_phone()}).get_json()

    assert [(f["id"], f["kind"], f["reason"]) for f in mine["flags"]] == [(flag_id, "abusive", "Threatened staff")]
    assert [(f["id"], f["reason"], f["reason_hidden"]) for f in theirs["flags"]] == [(flag_id, None, True)]
    assert theirs["flags"][0]["expires_at"] == mine["flags"][0]["expires_at"]
    assert unknown["flags"] == []


def test_settings_are_for_admins_and_a_change_is_checked_and_audited(api: Api, api_as: Callable[..., Api]) -> None:
    admin = api_as(Role.ADMIN)

    refused = api.get("/api/v1/settings")
    refused_patch = api_as(Role.MANAGER).patch("/api/v1/settings", json={"flag_max_days": 10})
    shown = admin.get("/api/v1/settings")
    too_long = admin.patch("/api/v1/settings", json={"flag_max_days": 366})
    unknown = admin.patch("/api/v1/settings", json={"colour": 3})
    changed = admin.patch("/api/v1/settings", json={"flag_max_days": 30})

    assert refused.status_code == 403
    assert refused_patch.status_code == 403
    assert [(s["name"], s["value"], s["default"]) for s in shown.get_json()["items"]] == [("flag_max_days", 90, 90)]
    assert too_long.status_code == 422
    assert set(too_long.get_json()["error"]["fields"]) == {"flag_max_days"}
    assert unknown.status_code == 422
    assert changed.status_code == 200
    [setting] = changed.get_json()["items"]
    assert (setting["value"], setting["updated_by_id"]) == (30, admin.user_id)
    [event] = audit_events("setting.changed")
    assert event.detail == {"from": 90, "to": 30}
    longer = api.post(
        f"/api/v1/callers/{_caller(api).id}/flags", json=_flag_body(expires_in_days=31, expires_in_hours=None)
    )
    assert longer.status_code == 422
    assert "30 days" in longer.get_json()["error"]["fields"]["expires_in_days"][0]
