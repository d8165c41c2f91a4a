"""The dashboard page: charts (server-side SVG with a title and description), a table under each, the date picker
and filters, CSV links; nothing inline that the Content-Security-Policy would block."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import time_machine
from flask.testing import FlaskClient

from tests.conftest import login
from tests.integration.reports.conftest import NOW, Seeded


@pytest.fixture
def manager_client(seeded: Seeded) -> Iterator[FlaskClient]:
    client = seeded.app.test_client()
    with time_machine.travel(NOW, tick=False):
        assert login(client, seeded.manager.email).status_code == 302
        yield client


def test_dashboard_draws_every_chart_with_its_table(manager_client: FlaskClient) -> None:
    response = manager_client.get("/reports/?from=2026-10-24&to=2026-10-26")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    charts = re.findall(r'<svg role="img" aria-labelledby="([\w-]+)-title \1-desc"', html)
    assert len(charts) == 10  # volume, heatmap, five breakdowns, advisors, funnel, callbacks
    assert all(f'<title id="{c}-title">' in html and f'<desc id="{c}-desc">' in html for c in charts)
    assert html.count("<table") >= len(charts)
    assert html.count('class="series-0"') > 3  # bars drawn
    assert 'class="previous"' in html  # the previous period's line
    assert 'type="date" name="from" value="2026-10-24"' in html
    assert 'type="date" name="to" value="2026-10-26"' in html
    assert "/api/v1/reports/volume.csv?from=2026-10-24&amp;to=2026-10-27" in html
    assert "suppress=true" in html
    assert 'style="' not in html
    assert "<script" not in html.split("</head>", 1)[1]  # no inline script in the body
    assert "Calls so far today" in html


def test_dashboard_splits_and_filters(manager_client: FlaskClient) -> None:
    response = manager_client.get("/reports/?from=2026-10-25&to=2026-10-25&bucket=hour&by=substance&channel=phone")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Calls per hour, by substance" in html
    assert '<option value="phone" selected>' in html
    assert html.count('<tr><th scope="row">') > 25  # 25 hours in the volume table, then the other tables
    assert "GMT" in html
    assert "BST" in html  # 25 October: the clocks go back


def test_dashboard_explains_choices_it_cannot_use(manager_client: FlaskClient) -> None:
    response = manager_client.get("/reports/?from=2026-10-26&to=2026-10-20&bucket=fortnight")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'class="error-summary"' in html
    assert "The last day must not be before the first." in html or "bucket" in html
