"""GET /api/v1/audit (admins): the trail filtered by staff member, action, entity, case, caller and time, a page at a
time; /api/v1/audit.csv (and ?format=csv) streams it as formula-safe CSV; /api/v1/audit/chain shows the chain. Bad
filters get the error envelope, and reading or exporting is itself audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from caseapp.audit import chain
from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role, User
from caseapp.extensions import db
from tests import factories
from tests.integration.api_support import Api, audit_events

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _event(action: str, actor: User | None, at: datetime, **kwargs: Any) -> AuditEvent:
    if "entity_id" in kwargs:
        kwargs["entity_id"] = str(kwargs["entity_id"])
    event = AuditEvent(action=action, actor_id=actor.id if actor else None, detail=kwargs.pop("detail", {}), **kwargs)
    event.occurred_at = at
    db.session.add(event)
    db.session.flush()
    return event


@pytest.fixture
def admin_api(api_as: Callable[..., Api]) -> Api:
    return api_as(Role.ADMIN)


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


def _export(api: Api, path: str, query: dict[str, Any], **kwargs: Any) -> Any:
    """A streamed answer, read in full inside its request (as a browser reads it while the request lasts)."""
    return api.get(path, query_string=query, buffered=True, **kwargs)


def _csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_audit_api_is_for_admins_only(api_as: Callable[..., Api], anonymous_api: Api) -> None:
    for path in ("/api/v1/audit", "/api/v1/audit.csv", "/api/v1/audit/chain"):
        assert api_as(Role.MANAGER).get(path, check=False).status_code == 403
        assert anonymous_api.get(path, check=False).status_code == 401


def test_audit_api_filters_by_actor_action_entity_case_caller_and_time(admin_api: Api) -> None:
    avery, blake = factories.make_user(), factories.make_user()
    case = factories.make_case(actor=avery)
    other = factories.make_case(actor=avery)
    call = factories.make_call(case, actor=avery)
    db.session.commit()
    viewed = _event("case.viewed", avery, T0, entity_type="case", entity_id=case.id)
    on_call = _event("call.viewed", blake, T0 + timedelta(hours=1), entity_type="call", entity_id=call.id)
    elsewhere = _event("case.viewed", blake, T0 + timedelta(days=1), entity_type="case", entity_id=other.id)
    caller_seen = _event("caller.viewed", avery, T0 + timedelta(days=2), entity_type="caller", entity_id=case.caller_id)
    system = _event("reminder.sent", None, T0 + timedelta(days=3), entity_type="callback", entity_id=1)
    db.session.commit()
    ours = {viewed.id, on_call.id, elsewhere.id, caller_seen.id, system.id}

    def ids(**query: Any) -> set[int]:
        return set(_ids(admin_api.get("/api/v1/audit", query_string={**query, "limit": 200}))) & ours

    assert ids(actor=blake.id) == {on_call.id, elsewhere.id}
    assert ids(actor="system") == {system.id}
    assert ids(action="case.viewed") == {viewed.id, elsewhere.id}
    assert ids(action="call.") == {on_call.id}
    assert ids(entity=f"case:{other.id}") == {elsewhere.id}
    assert ids(entity="callback") == {system.id}
    assert ids(case=case.reference) == {viewed.id, on_call.id}
    assert ids(caller=case.caller_id) == {viewed.id, on_call.id, caller_seen.id}
    assert ids(**{"from": "2026-11-21", "to": "2026-11-23"}) == {elsewhere.id, caller_seen.id}
    assert ids(**{"from": (T0 + timedelta(minutes=30)).isoformat(), "to": (T0 + timedelta(hours=2)).isoformat()}) == {
        on_call.id
    }


def test_audit_api_pages_newest_first_with_a_cursor(admin_api: Api) -> None:
    actor = factories.make_user()
    db.session.commit()
    events = [_event("case.viewed", actor, T0 + timedelta(minutes=i)) for i in range(5)]
    db.session.commit()

    first = admin_api.get("/api/v1/audit", query_string={"actor": actor.id, "limit": 3})
    body = first.get_json()
    second = admin_api.get("/api/v1/audit", query_string={"actor": actor.id, "limit": 3, "cursor": body["next"]})

    newest_first = [e.id for e in reversed(events)]
    assert _ids(first) == newest_first[:3]
    assert _ids(second) == newest_first[3:]
    assert second.get_json()["next"] is None
    item = body["items"][0]
    assert item["actor_name"] == actor.full_name
    assert item["action_label"] == "Viewed a case"
    assert item["chain_seq"] is None  # not sealed yet


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"actor": "somebody"}, "actor"),
        ({"action": "case.exploded"}, "action"),
        ({"case": "CA-2026-999999"}, "case"),
        ({"case": "CA-²⁰²⁶-000001"}, "case"),
        ({"case": "CA-2026-99999999999999999999"}, "case"),
        ({"caller": "0"}, "caller"),
        ({"caller": "99999999999"}, "caller"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-11-20T10:00:00"}, "from"),  # no offset
        ({"from": "2026-11-21", "to": "2026-11-20"}, "to"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"format": "xlsx"}, "format"),
    ],
)
def test_audit_api_answers_a_bad_filter_with_the_error_envelope(
    admin_api: Api, query: dict[str, str], field: str
) -> None:
    for path in ("/api/v1/audit", "/api/v1/audit.csv"):
        if path.endswith(".csv") and field in ("limit", "cursor", "format"):
            continue
        response = _export(admin_api, path, query)

        assert response.status_code == 422, (path, response.get_data(as_text=True))
        error = response.get_json()["error"]
        assert error["code"] == "validation_error"
        assert field in error["fields"], error


def test_reading_the_trail_through_the_api_is_audited_with_the_filters_and_ids(admin_api: Api) -> None:
    actor = factories.make_user()
    db.session.commit()
    event = _event("case.viewed", actor, T0)
    db.session.commit()

    admin_api.get("/api/v1/audit", query_string={"actor": actor.id, "action": "case."})

    [viewed] = audit_events("audit.viewed", actor_id=admin_api.user_id)
    assert viewed.detail == {"actor_id": actor.id, "action": "case.", "via": "api", "ids": [event.id]}


def test_csv_export_streams_every_matching_event_and_is_audited(admin_api: Api) -> None:
    actor = factories.make_user(full_name="Casey Counsellor")
    case = factories.make_case(actor=actor)
    db.session.commit()
    first = _event("case.viewed", actor, T0, entity_type="case", entity_id=case.id, ip="192.0.2.1")
    second = _event("case.updated", actor, T0 + timedelta(hours=1), entity_type="case", entity_id=case.id)
    db.session.commit()

    response = _export(admin_api, "/api/v1/audit.csv", {"actor": actor.id, "from": "2026-11-20", "to": "2026-11-21"})

    rows = _csv_rows(response)
    assert [int(r["id"]) for r in rows] == [second.id, first.id]
    assert rows[1]["actor"] == "Casey Counsellor"
    assert rows[1]["action_label"] == "Viewed a case"
    assert rows[1]["case"] == case.reference
    assert rows[1]["occurred_at_utc"] == "2026-11-20T09:00:00+00:00"
    assert rows[1]["occurred_at_uk"] == "2026-11-20 09:00:00 GMT"
    assert rows[1]["ip"] == "192.0.2.1"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="caseapp-audit-from-2026-11-20-until-2026-11-21.csv"'
    )
    [exported] = audit_events("audit.exported", actor_id=admin_api.user_id)
    assert exported.detail["actor_id"] == actor.id
    assert exported.detail["from"] == "2026-11-20T00:00:00+00:00"


def test_format_csv_on_the_list_is_the_same_export(admin_api: Api) -> None:
    actor = factories.make_user()
    db.session.commit()
    event = _event("case.viewed", actor, T0)
    db.session.commit()

    rows = _csv_rows(_export(admin_api, "/api/v1/audit", {"actor": actor.id, "format": "csv"}, check=False))

    assert [int(r["id"]) for r in rows] == [event.id]
    assert len(audit_events("audit.exported", actor_id=admin_api.user_id)) == 1


def test_csv_export_reads_a_long_trail_in_batches(admin_api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from caseapp.audit import export

    monkeypatch.setattr(export, "BATCH", 4)
    actor = factories.make_user()
    db.session.commit()
    events = [_event("case.viewed", actor, T0 + timedelta(seconds=i % 3)) for i in range(10)]  # ties on time
    db.session.commit()

    rows = _csv_rows(_export(admin_api, "/api/v1/audit.csv", {"actor": actor.id}))

    assert sorted(int(r["id"]) for r in rows) == sorted(e.id for e in events)
    assert len(rows) == 10


def test_csv_cells_that_a_spreadsheet_would_run_as_a_formula_are_made_inert(admin_api: Api) -> None:
    actor = factories.make_user(full_name='=HYPERLINK("http://evil.example","x")')
    db.session.commit()
    _event("case.viewed", actor, T0, entity_type="case", entity_id="1", request_id="+cmd|' /C calc'!A0", ip="@SUM(1)")
    db.session.commit()

    [row] = _csv_rows(_export(admin_api, "/api/v1/audit.csv", {"actor": actor.id}))

    assert row["actor"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["request_id"] == "'+cmd|' /C calc'!A0"
    assert row["ip"] == "'@SUM(1)"
    assert row["actor_id"] == str(actor.id)  # numbers stay numbers


def test_chain_status_shows_the_head_and_the_unsealed_rows_and_is_audited(admin_api: Api) -> None:
    _event("case.viewed", None, T0)
    db.session.commit()
    chain.seal()
    db.session.commit()
    _event("case.viewed", None, T0)
    db.session.commit()
    head = chain.head()
    assert head is not None

    body = admin_api.get("/api/v1/audit/chain").get_json()

    assert body["head"]["seq"] == head.seq
    assert body["head"]["hash"] == head.hash
    assert body["unsealed"] >= 1
    assert len(audit_events("audit.chain_viewed", actor_id=admin_api.user_id)) == 1
