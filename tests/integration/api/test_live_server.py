"""What the API answers under gunicorn, as production runs it (tests/live.py), where the server itself refuses some
requests before the app sees them: their answers must be in the document too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from caseapp.auth.models import Role
from tests.integration.api_support import ResponseChecker
from tests.live import LiveStack, Proc


@pytest.fixture(scope="module")
def served(pg_server_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proc, str]]:
    stack = LiveStack.create(pg_server_url, redis_url, Path(tmp_path_factory.mktemp("live")), prefix="caseapp_live")
    try:
        _, token = stack.api_token(Role.MANAGER)
        yield stack.start_web(workers=1), token
    finally:
        stack.close()


def test_a_request_line_too_long_for_the_server_gets_the_documented_414(served: tuple[Proc, str]) -> None:
    web, token = served
    spec = requests.get(f"{web.url}/api/v1/openapi.json", timeout=30).json()
    path = "/api/v1/reports/breakdown"

    response = requests.get(
        f"{web.url}{path}",
        params={"by": "advisor", "substance": "x" * 5000},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )

    assert response.status_code == 414
    documented = spec["paths"][path]["get"]["responses"].get("414")
    assert documented is not None, "414 is not documented"
    media_type = response.headers["Content-Type"].split(";")[0]
    assert media_type in documented["content"]
    ResponseChecker(spec).validate(documented["content"][media_type]["schema"], response.text)
