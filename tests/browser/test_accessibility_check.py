"""The accessibility check itself, in Chromium on pages the test serves: it fails on serious and critical
violations, naming the rule and the elements, passes a clean page, and records what it found."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.accessibility import ARTIFACT, check_accessibility, serve_axe
from tests.live import ROOT

ORIGIN = "http://a11y-check.invalid"
CLEAN = """<!doctype html><html lang="en-GB"><head><title>Clean</title></head>
<body><main><h1>A clean page</h1><label for="name">Name</label> <input id="name"></main></body></html>"""
BROKEN = """<!doctype html><html lang="en-GB"><head><title>Broken</title>
<style>.faint { color:#c8c8c8; background:#fff; }</style></head>
<body><main><h1>A broken page</h1>
<p class="faint" id="faint">Text too faint to read</p>
<input id="nameless">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" id="no-alt">
</main></body></html>"""


@pytest.fixture
def served(page: Any) -> Any:
    pages = {"/clean": CLEAN, "/broken": BROKEN}
    page.route(
        f"{ORIGIN}/*",
        lambda route: (
            route.fulfill(body=pages[route.request.url.removeprefix(ORIGIN)], content_type="text/html")
            if route.request.url.removeprefix(ORIGIN) in pages
            else route.fallback()
        ),
    )
    serve_axe(page, ORIGIN)
    return page


def test_check_accessibility_passes_a_clean_page_and_records_its_counts(served: Any) -> None:
    served.goto(f"{ORIGIN}/clean")
    results = check_accessibility(served, "check: a clean page")

    assert results["violations"] == []
    assert results["passes"] > 5
    last = (ROOT / "test-artifacts" / ARTIFACT).read_text().splitlines()[-1]
    assert "check: a clean page: violations critical 0, serious 0, moderate 0, minor 0; rules passed" in last


def test_check_accessibility_fails_on_serious_and_critical_violations_naming_them(served: Any) -> None:
    served.goto(f"{ORIGIN}/broken")
    with pytest.raises(AssertionError) as failure:
        check_accessibility(served, "check: a broken page")

    message = str(failure.value)
    assert "serious color-contrast: Elements must meet minimum color contrast ratio thresholds at #faint" in message
    assert "critical label: Form elements must have labels at #nameless" in message
    assert "critical image-alt: Images must have alternative text at #no-alt" in message
    last = (ROOT / "test-artifacts" / ARTIFACT).read_text().splitlines()[-1]
    assert "check: a broken page: violations critical 2, serious 1" in last
