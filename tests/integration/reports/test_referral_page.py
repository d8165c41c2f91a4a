"""The referrals and neutrality page (/reports/referrals): the figures, charts and CSV links, the empty period, bad
dates, and who may see it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask.testing import FlaskClient

from caseapp.auth.models import Role
from tests.integration.reports.referral_support import Written, expected_neutrality, expected_outcomes
from tests.integration.reports.test_referral_reports import _june, _ranked_offers


def test_the_referrals_page_shows_the_neutrality_figures_charts_and_csv_links(
    client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    written = Written()
    _ranked_offers(written)
    login_as(Role.MANAGER)

    response = client.get("/reports/referrals?from=2026-07-01&to=2026-07-31")

    html = response.get_data(as_text=True)
    expected = expected_neutrality(written, date(2026, 7, 1), date(2026, 7, 31))
    first = expected["ranks"]["1"]
    assert response.status_code == 200
    assert "<h1>Referrals and neutrality</h1>" in html
    assert "Do our offers follow the callers' needs?" in html
    assert (
        f'<tr><th scope="row">Rank 1 (best fit)</th><td>{first["suggested"]}</td><td>{first["offered"]}</td>'
        f"<td>100.0%</td><td>{first['admitted']}</td>" in html
    )
    offered, commercial = expected["not_suggested"]
    assert f"{offered} services were offered although the matcher did not suggest them; {commercial} of them" in html
    total, disclosed = expected["disclosure"]
    assert f"{disclosed} of {total} offers of a service with a commercial link had the link disclosed" in html
    assert 'aria-labelledby="chart-neutrality-ranks-title chart-neutrality-ranks-desc"' in html
    assert 'aria-labelledby="chart-neutrality-commercial-title chart-neutrality-commercial-desc"' in html
    for by in ("rank", "service", "commercial"):
        assert f"/api/v1/reports/neutrality.csv?from=2026-07-01&amp;to=2026-08-01&amp;by={by}" in html
    for by in ("service", "pathway", "admission"):
        assert f"/api/v1/reports/referrals.csv?from=2026-07-01&amp;to=2026-08-01&amp;by={by}" in html
    assert "8 admissions are left out: no call is logged on their cases." in html  # the offers' cases have no call
    assert 'style="' not in html


def test_the_referrals_page_shows_conversion_by_pathway_and_declines_by_reason(
    client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    written = Written()
    _june(written)
    login_as(Role.ADMIN)

    html = client.get("/reports/referrals?from=2026-06-02&to=2026-06-04").get_data(as_text=True)

    totals = expected_outcomes(written, date(2026, 6, 2), date(2026, 6, 4))["totals"]
    assert f'<tr><th scope="row">All referrals</th><td>{totals["offered"]}</td><td>{totals["sent"]}</td>' in html
    assert f'<tr><th scope="row">Criteria not met</th><td>{totals["declined_criteria_not_met"]}</td></tr>' in html
    assert '<tr><th scope="row">Alpha Rehab</th>' in html


def test_the_referrals_page_says_when_the_period_is_empty_and_explains_bad_dates(
    client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as(Role.MANAGER)

    empty = client.get("/reports/referrals?from=2026-01-05&to=2026-01-06").get_data(as_text=True)
    bad = client.get("/reports/referrals?from=2026-09-03&to=2026-09-01")

    assert "No services were suggested or offered in this period." in empty
    assert "No referrals were offered in this period." in empty
    assert "Nobody was admitted in this period." in empty
    assert "chart-neutrality-ranks" not in empty
    assert bad.status_code == 200
    assert "To (last day): The last day must not be before the first." in bad.get_data(as_text=True)


def test_the_referrals_page_is_not_for_advisors(client: FlaskClient, login_as: Callable[..., Any]) -> None:
    login_as(Role.ADVISOR)

    assert client.get("/reports/referrals").status_code == 403


def test_the_dashboard_links_to_the_referrals_page(client: FlaskClient, login_as: Callable[..., Any]) -> None:
    login_as(Role.MANAGER)

    html = client.get("/reports/?from=2026-06-02&to=2026-06-04").get_data(as_text=True)

    assert 'href="/reports/referrals?from=2026-06-02&amp;to=2026-06-04"' in html
