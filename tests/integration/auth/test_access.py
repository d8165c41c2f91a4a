"""The role matrix: every protected page or action × every role (and anonymous) → allowed, 403 or sign-in.

Later features add their pages to PROTECTED as rows; the matrix tests them for every role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter

from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories
from tests.conftest import csrf_token_from, login


@dataclass(frozen=True)
class Protected:
    """One page or action: `path` may use {user_id} and {token_id} (a target user and their API token)."""

    path: str
    min_role: Role
    method: str = "GET"
    #: status for a role that is allowed (a POST that works redirects)
    allowed_status: int = 200
    data: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


PROTECTED = [
    Protected("/", Role.ADVISOR),
    Protected("/account", Role.ADVISOR),
    Protected("/admin/users/", Role.ADMIN),
    Protected("/admin/users/new", Role.ADMIN),
    Protected("/admin/users/{user_id}", Role.ADMIN),
    Protected("/admin/audit/", Role.ADMIN),
    Protected("/admin/users/{user_id}/deactivate", Role.ADMIN, "POST", 302),
    Protected("/admin/users/{user_id}/reactivate", Role.ADMIN, "POST", 302),
    Protected("/admin/users/{user_id}/password", Role.ADMIN, "POST", 302, {"password": "fresh-quiet-orchard-88"}),
    Protected("/admin/users/{user_id}/tokens/{token_id}/revoke", Role.ADMIN, "POST", 302),
    # the advisors' call loop
    Protected("/calls/new", Role.ADVISOR),
    Protected("/calls/lookup?phone=07911123456", Role.ADVISOR),
    Protected("/cases/mine", Role.ADVISOR),
    Protected("/cases/{case_id}", Role.ADVISOR),
    Protected("/cases/{case_id}/assessments/new", Role.ADVISOR),
    Protected("/cases/{case_id}/notes", Role.ADVISOR, "POST", 302, {"body": "Rang back, no answer"}),
    Protected("/search?q=CA-2026-000001", Role.ADVISOR),
    Protected("/notifications/", Role.ADVISOR),
    Protected("/cases/", Role.MANAGER),
    # callbacks and shifts
    Protected("/callbacks/", Role.ADVISOR),
    Protected("/cases/{case_id}/callbacks/new", Role.ADVISOR),
    Protected("/shifts/", Role.ADVISOR),
    Protected("/callbacks/all", Role.MANAGER),
    Protected("/reports/", Role.MANAGER),
]
WHO: list[Role | None] = [None, Role.ADVISOR, Role.MANAGER, Role.ADMIN]

#: endpoints anyone may use without signing in; everything else must refuse an anonymous request
PUBLIC_ENDPOINTS = {
    "static",
    "health.healthz",
    "health.readyz",
    "auth.login",
    "auth.logout",
    "api_docs.openapi_document",
}


def _request(client: FlaskClient, page: Protected, ids: dict[str, Any], csrf_page: str) -> Any:
    path = page.path.format(**ids)
    if page.method == "GET":
        return client.get(path)
    token = csrf_token_from(client.get(csrf_page).get_data(as_text=True))
    return client.open(path, method=page.method, data={**page.data, "csrf_token": token})


@pytest.mark.parametrize("who", WHO, ids=lambda who: who.value if who else "anonymous")
@pytest.mark.parametrize("page", PROTECTED, ids=str)
def test_protected_page_allows_only_roles_at_or_above_its_minimum(
    client: FlaskClient, page: Protected, who: Role | None
) -> None:
    target = factories.make_user(role=Role.ADVISOR)
    token, _ = factories.make_token(target)
    db.session.commit()
    case = factories.make_case()
    db.session.commit()
    ids = {"user_id": target.id, "token_id": token.id, "case_id": case.id}
    if who is not None:
        user = factories.make_user(role=who)
        db.session.commit()
        assert login(client, user.email).status_code == 302

    response = _request(client, page, ids, csrf_page="/login" if who is None else "/account")

    if who is None:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    elif who.includes(page.min_role):
        assert response.status_code == page.allowed_status, response.get_data(as_text=True)
    else:
        assert response.status_code == 403
        assert "You do not have access" in response.get_data(as_text=True)


def test_protected_page_answers_json_401_when_anonymous_api_client(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept": "application/json"})

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_forbidden_page_answers_json_403_when_api_client_lacks_the_role(client: FlaskClient, login_as: Any) -> None:
    login_as(Role.MANAGER)

    response = client.get("/admin/users/", headers={"Accept": "application/json"})

    assert response.status_code == 403
    assert response.get_json()["error"] == {
        "code": "forbidden",
        "message": "Your role does not allow this.",
        "fields": {},
    }


def test_every_endpoint_refuses_anonymous_requests_unless_listed_as_public(app: Flask, client: FlaskClient) -> None:
    """Least privilege by default: a new page or API endpoint without a login check fails here."""
    csrf = csrf_token_from(client.get("/login").get_data(as_text=True))
    let_through = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path = rule.rule
        for name, converter in rule._converters.items():
            path = re.sub(rf"<[^>]*\b{name}>", "1" if isinstance(converter, IntegerConverter) else "x", path)
        api = path.startswith("/api/")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            data = None if api or method == "GET" else {"csrf_token": csrf}
            response = client.open(path, method=method, data=data)
            refused = response.status_code == 401 if api else response.headers.get("Location", "").startswith("/login")
            if not refused:
                let_through.append(f"{method} {rule.rule} -> {response.status_code}")

    assert let_through == []
