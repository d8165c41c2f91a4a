"""The reports sent as plain JSON (orjson, no schema dump per request) are what the schema dump sent before: the same
values, keys sorted, compact."""

from __future__ import annotations

import json

import time_machine

from caseapp.reports import services
from caseapp.reports.schemas import TodaySchema
from tests.integration.reports.conftest import NOW, Seeded


def test_today_is_sent_as_its_schema_dump_with_sorted_keys(seeded: Seeded) -> None:
    with time_machine.travel(NOW, tick=False):
        response = seeded.api().get("/api/v1/reports/today")
        with seeded.app.app_context():
            want = TodaySchema().dump(services.today())

    assert response.get_json() == want
    assert response.get_data() == json.dumps(want, sort_keys=True, separators=(",", ":")).encode()
    assert response.mimetype == "application/json"
