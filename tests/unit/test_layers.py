"""Who may import whom: the outbox (caseapp/reminders) knows nothing of callbacks, so what a callback does when it
falls due has one home (caseapp/callbacks/due.py) and the outbox can carry any message."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CASEAPP = Path(__file__).resolve().parents[2] / "caseapp"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it (functions included), as dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("path", sorted((CASEAPP / "reminders").rglob("*.py")), ids=lambda p: p.name)
def test_the_outbox_imports_nothing_from_callbacks(path: Path) -> None:
    callbacks = {name for name in imported_modules(path) if name.startswith("caseapp.callbacks")}
    assert callbacks == set(), f"{path.name} imports {sorted(callbacks)}"


def test_the_import_scan_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from caseapp import callbacks\n    import caseapp.callbacks.due\n")
    assert {"caseapp.callbacks", "caseapp.callbacks.due"} <= imported_modules(module)
