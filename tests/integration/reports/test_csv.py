"""CSV exports: streamed, one per table, the same numbers as the JSON, counts only, small counts suppressed on
request (threshold from REPORT_SUPPRESS_BELOW), and every export audited."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.extensions import db
from tests.integration.api_support import Api
from tests.integration.reports import expected
from tests.integration.reports.conftest import Seeded
from tests.integration.reports.expected import CLOCK_CHANGE_DAYS

DAY = CLOCK_CHANGE_DAYS[1]
PERIOD = {"from": (DAY - timedelta(days=1)).isoformat(), "to": (DAY + timedelta(days=2)).isoformat()}


def _download(api: Api, path: str, **query: Any) -> Any:
    """The response, read in full. `with client` keeps the request context for the streamed body, as a server does
    (the suite's IsolatedClient otherwise runs each request in a context of its own that is gone by then)."""
    with api.client:
        response = api.get(f"/api/v1/reports/{path}", query_string={**PERIOD, **query}, check=False)
        response.streamed_body = response.is_streamed  # type: ignore[attr-defined] # before reading it
        response.get_data()
    return response


def _csv(api: Api, path: str, **query: Any) -> tuple[Any, list[dict[str, str]]]:
    response = _download(api, path, **query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _json(api: Api, path: str, **query: Any) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/api/v1/reports/{path}", query_string={**PERIOD, **query}).get_json()
    return body


def test_volume_csv_is_streamed_as_an_attachment_with_the_json_numbers(reports: Api) -> None:
    response, rows = _csv(reports, "volume.csv", bucket="hour", by="channel")

    assert response.streamed_body
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="caseapp-volume-2026-10-24-to-2026-10-26.csv"'
    )
    assert response.get_data(as_text=True).splitlines()[0] == "period,start,key,label,calls"
    body = _json(reports, "volume", bucket="hour", by="channel")
    current = [r for r in rows if r["period"] == "current"]
    assert [(r["start"], r["key"], int(r["calls"])) for r in current] == [
        (row["start"], row["key"], row["calls"]) for row in body["rows"]
    ]
    previous = [r for r in rows if r["period"] == "previous"]
    assert [(r["start"], int(r["calls"])) for r in previous] == [
        (x["start"], x["calls"]) for x in body["previous"]["rows"]
    ]
    assert {r["label"] for r in current} <= {"Phone", "Web chat", "Email", "SMS"}


def test_every_table_has_a_csv_with_the_json_numbers(reports: Api) -> None:
    _, heat = _csv(reports, "heatmap.csv")
    heat_json = _json(reports, "heatmap")["rows"]
    assert [(int(r["weekday"]), int(r["hour"]), int(r["calls"])) for r in heat] == [
        (c["weekday"], c["hour"], c["calls"]) for c in heat_json
    ]
    assert heat[0]["weekday_name"] == "Monday"

    for by in ("substance", "pathway", "risk", "channel", "advisor", "relationship", "direction"):
        _, rows = _csv(reports, "breakdown.csv", by=by)
        want = _json(reports, "breakdown", by=by)["rows"]
        assert [(r["key"] or None, int(r["calls"]), int(r["talk_seconds"])) for r in rows] == [
            (None if w["key"] is None else str(w["key"]), w["calls"], w["talk_seconds"]) for w in want
        ], by

    _, funnel = _csv(reports, "funnel.csv")
    steps = _json(reports, "funnel")["steps"]
    assert [(r["step"], int(r["cases"])) for r in funnel] == [(s["step"], s["cases"]) for s in steps]
    assert float(funnel[1]["conversion"]) == pytest.approx(steps[1]["conversion"])

    callbacks = _json(reports, "callbacks")
    _, by_day = _csv(reports, "callbacks.csv")
    assert [(r["key"], int(r["booked"]), int(r["completed_late"])) for r in by_day] == [
        (d["key"], d["booked"], d["completed_late"]) for d in callbacks["by_day"]
    ]
    _, by_advisor = _csv(reports, "callbacks.csv", by="advisor")
    assert [int(r["booked"]) for r in by_advisor] == [a["booked"] for a in callbacks["by_advisor"]]


def test_exports_hold_counts_and_codes_only(reports: Api) -> None:
    texts = [
        _download(reports, path, **query).get_data(as_text=True)
        for path, query in [
            ("breakdown.csv", {"by": "advisor"}),
            ("callbacks.csv", {"by": "advisor"}),
            ("volume.csv", {"by": "advisor"}),
        ]
    ]

    assert all("Seed Advisor" not in text and "@" not in text and "+44" not in text for text in texts)
    assert "Advisor " in texts[0]


def _cells(rows: list[dict[str, str]], column: str) -> list[str]:
    return [row[column] for row in rows]


def _hour_with_few_calls(seeded: Seeded) -> dict[str, str]:
    """An hour of the seeded data in which some advisor took from one to four calls."""
    start = expected.midnight(DAY)
    for hour in range(25):
        begin, end = start + timedelta(hours=hour), start + timedelta(hours=hour + 1)
        taken = Counter(c.advisor_id for c in expected.in_period(seeded.calls, begin, end))
        if any(0 < n < 5 for n in taken.values()):
            return {"from": begin.isoformat(), "to": end.isoformat()}
    raise AssertionError("no hour with a small count")


def test_suppression_hides_counts_below_five_and_what_is_worked_out_from_them(reports: Api, seeded: Seeded) -> None:
    hour = _hour_with_few_calls(seeded)
    _, plain = _csv(reports, "breakdown.csv", by="advisor", **hour)
    _, shared = _csv(reports, "breakdown.csv", by="advisor", suppress="true", **hour)

    small = [i for i, row in enumerate(plain) if 0 < int(row["calls"]) < 5]
    assert small, "the seeded data should have advisors with fewer than five calls in the period"
    for i, (before, after) in enumerate(zip(plain, shared, strict=True)):
        if i in small:
            assert after["calls"] == "<5"
            assert after["talk_seconds"] == ""
        else:
            assert after["calls"] == before["calls"]
            assert after["talk_seconds"] == before["talk_seconds"]
        for column in ("calls", "assessments"):
            assert after[column] == "<5" or after[column] == "0" or int(after[column]) >= 5
    _, volume = _csv(reports, "volume.csv", bucket="hour", by="substance", suppress="true")
    assert {c for c in _cells(volume, "calls") if not c.isdigit()} == {"<5"}
    assert all(int(c) == 0 or int(c) >= 5 for c in _cells(volume, "calls") if c.isdigit())


def test_suppression_threshold_comes_from_the_setting(
    reports: Api, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(seeded.app.config, "REPORT_SUPPRESS_BELOW", 10)

    _, rows = _csv(reports, "callbacks.csv", suppress="true")

    cells = [row[column] for row in rows for column in ("booked", "completed_on_time", "missed")]
    assert "<10" in cells
    assert all(c in ("0", "<10") or int(c) >= 10 for c in cells)
    for row in rows:
        if row["completed_late"] == "<10" or row["completed_on_time"] == "<10":
            assert row["on_time_rate"] == ""


def test_funnel_rates_are_withheld_with_the_counts_they_come_from(
    reports: Api, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, plain = _csv(reports, "funnel.csv")
    admitted = int(plain[-1]["cases"])
    monkeypatch.setitem(seeded.app.config, "REPORT_SUPPRESS_BELOW", admitted + 1)

    _, shared = _csv(reports, "funnel.csv", suppress="true")

    assert shared[-1]["cases"] == f"<{admitted + 1}"
    assert shared[-1]["conversion"] == shared[-1]["of_first_calls"] == ""
    assert shared[0]["cases"] == plain[0]["cases"]


def test_every_export_is_audited(reports: Api, seeded: Seeded) -> None:
    _csv(reports, "heatmap.csv", suppress="true")

    with seeded.app.app_context():
        action, actor, entity, detail = db.session.execute(
            sa.text(
                "SELECT action, actor_id, entity_id, detail FROM audit_events "
                "WHERE action = 'report.exported' ORDER BY id DESC LIMIT 1"
            )
        ).one()
    assert (action, actor, entity) == ("report.exported", seeded.manager.id, "heatmap")
    assert detail["suppress"] == 5
    assert detail["from"] == "2026-10-24T00:00:00+01:00"


def test_csv_refuses_bad_parameters_with_the_json_error(reports: Api) -> None:
    response = reports.get("/api/v1/reports/volume.csv", query_string={"bucket": "decade"}, check=False)

    assert response.status_code == 422
    assert "bucket" in response.get_json()["error"]["fields"]
