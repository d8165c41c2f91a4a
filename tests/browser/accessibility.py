"""axe-core in the page under test, served by the test from tests/browser/node_modules (npm ci --prefix
tests/browser; scripts/test does it) at a URL on the app's own origin, so the app's Content-Security-Policy
(`script-src 'self'`) stays as it is.

    serve_axe(page, live_url)              # once per page (tab)
    check_accessibility(page, "advisor: log a call")   # after each page the test visits

Each check appends the page's counts (violations by impact, rules passed) to test-artifacts/accessibility.txt and
fails on any violation of impact serious or critical, naming the rule, its help text and the first elements.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.live import record_figures

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
#: where the page loads axe from: a path on the app's origin that the app itself never serves
AXE_PATH = "/__axe/axe.min.js"
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = ("critical", "serious")
ARTIFACT = "accessibility.txt"


def serve_axe(page: Any, live_url: str) -> None:
    """Answer `live_url + AXE_PATH` in this tab with the installed axe-core, without the request leaving Chromium."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci --prefix tests/browser` (scripts/test does)")
    page.route(
        f"{live_url}{AXE_PATH}",
        lambda route: route.fulfill(path=str(AXE_JS), content_type="text/javascript; charset=utf-8"),
    )


def run_axe(page: Any) -> dict[str, Any]:
    """axe's results for the page as it is now: {"violations": [...], "passes": <rules passed>, "incomplete": <rules
    whose result axe leaves to a person, such as the contrast of text drawn over a chart>}."""
    origin = page.evaluate("location.origin")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(url=f"{origin}{AXE_PATH}")
    results: dict[str, Any] = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return {violations: r.violations.map((v) => ({
                        id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.map((n) => n.target.join(' '))})),
                    passes: r.passes.length, incomplete: r.incomplete.length};
        }"""
    )
    return results


def summary(name: str, results: dict[str, Any]) -> str:
    """One line: the page, its violations by impact (with the rules and how many elements), the rules passed."""
    by_impact: Counter[str] = Counter(v["impact"] for v in results["violations"])
    counts = ", ".join(f"{impact} {by_impact[impact]}" for impact in IMPACTS)
    rules = "; ".join(f"{v['impact']} {v['id']} x{len(v['targets'])}" for v in results["violations"])
    checked = f"rules passed {results['passes']}, to review by eye {results['incomplete']}"
    return f"{name}: violations {counts}; {checked}" + (f" [{rules}]" if rules else "")


def check_accessibility(page: Any, name: str) -> dict[str, Any]:
    """Run axe on the page, record its counts, and fail on a serious or critical violation."""
    results = run_axe(page)
    record_figures(summary(name, results), ARTIFACT)
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"{name} ({page.url}): " + "; ".join(
        f"{v['impact']} {v['id']}: {v['help']} at {', '.join(v['targets'][:3])}"
        + (f" and {len(v['targets']) - 3} more" if len(v["targets"]) > 3 else "")
        for v in blocking
    )
    return results
