"""Who may see the reports: managers and admins; advisors get 403, anonymous callers 401 (API) or sign-in (page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from caseapp.auth.models import Role
from tests.integration.api_support import Api

API = [
    "/api/v1/reports/volume",
    "/api/v1/reports/volume?bucket=hour&by=substance",
    "/api/v1/reports/heatmap",
    "/api/v1/reports/breakdown?by=advisor",
    "/api/v1/reports/funnel",
    "/api/v1/reports/callbacks",
    "/api/v1/reports/today",
    "/api/v1/reports/telephony",
]
CSV = [
    "/api/v1/reports/volume.csv",
    "/api/v1/reports/heatmap.csv",
    "/api/v1/reports/breakdown.csv?by=channel",
    "/api/v1/reports/funnel.csv",
    "/api/v1/reports/callbacks.csv",
    "/api/v1/reports/telephony.csv?by=hour",
]


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("path", API + CSV)
def test_reports_api_is_for_managers_and_admins(api_as: Callable[..., Api], role: Role, path: str) -> None:
    api = api_as(role)

    with api.client:  # keeps the request context for a streamed CSV body (see test_csv._download)
        response = api.get(path)
        response.get_data()

    if role == Role.ADVISOR:
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    else:
        assert response.status_code == 200, response.get_data(as_text=True)[:300]


@pytest.mark.parametrize("path", API + CSV)
def test_reports_api_refuses_anonymous_callers(anonymous_api: Api, path: str) -> None:
    response = anonymous_api.get(path, check=False)

    assert response.status_code == 401


PAGES = ["/reports/", "/reports/telephony"]


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("page", PAGES)
def test_dashboard_page_is_for_managers_and_admins(
    client: FlaskClient, login_as: Callable[..., Any], role: Role, page: str
) -> None:
    login_as(role)

    response = client.get(page)

    assert response.status_code == (403 if role == Role.ADVISOR else 200)


@pytest.mark.parametrize("page", PAGES)
def test_dashboard_page_sends_anonymous_visitors_to_sign_in(client: FlaskClient, page: str) -> None:
    response = client.get(page)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(("role", "linked"), [(Role.ADVISOR, False), (Role.MANAGER, True), (Role.ADMIN, True)])
def test_navigation_links_the_reports_for_managers_only(
    client: FlaskClient, login_as: Callable[..., Any], role: Role, linked: bool
) -> None:
    login_as(role)

    assert ('href="/reports/"' in client.get("/").get_data(as_text=True)) is linked
