"""Every audit action code written anywhere in caseapp/ has a label in caseapp/audit/actions.py."""

from __future__ import annotations

import ast
from pathlib import Path

from caseapp.audit import actions

CASEAPP = Path(__file__).resolve().parents[2] / "caseapp"
WRITERS = {"record_event", "record_listing", "_audit_listing"}
#: a feature's history helper that writes `<prefix><its first argument>` (callbacks/history.py: record("pooled", …))
PREFIXED_WRITERS = {("history", "record"): "callback."}


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _prefixed(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return PREFIXED_WRITERS.get((func.value.id, func.attr))
    return None


def _is_prefix_plus_action(value: ast.expr) -> bool:
    """f"callback.{action}": a helper's own call, whose callers the scan reads instead."""
    return (
        isinstance(value, ast.JoinedStr)
        and len(value.values) == 2
        and isinstance(value.values[0], ast.Constant)
        and isinstance(value.values[1], ast.FormattedValue)
        and isinstance(value.values[1].value, ast.Name)
        and value.values[1].value.id == "action"
    )


def _written_codes() -> dict[str, str]:
    """code → where it is written: the first argument of record_event()/record_listing(), an `action=` keyword
    given to them or to a feature's listing helper, the default of a helper's `action` parameter, and the first
    argument of a feature's history helper with its prefix (PREFIXED_WRITERS). A first
    argument that is neither a string nor a parameter named `action` fails the scan (it could hide a code)."""
    found: dict[str, str] = {}
    for path in sorted(CASEAPP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = str(path.relative_to(CASEAPP.parent))
        for node in ast.walk(tree):
            prefix = _prefixed(node) if isinstance(node, ast.Call) else None
            if isinstance(node, ast.Call) and prefix is not None:
                first = node.args[0] if node.args else None
                assert isinstance(first, ast.Constant), f"{where}:{node.lineno}"
                assert isinstance(first.value, str), f"{where}:{node.lineno}"
                found.setdefault(prefix + first.value, f"{where}:{node.lineno}")
            if isinstance(node, ast.Call) and _called_name(node) in WRITERS:
                candidates = [kw.value for kw in node.keywords if kw.arg == "action"]
                if _called_name(node) != "_audit_listing" and node.args:
                    candidates.append(node.args[0])
                for value in candidates:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.setdefault(value.value, f"{where}:{node.lineno}")
                    elif not _is_prefix_plus_action(value):
                        assert isinstance(value, ast.Name), f"{where}:{node.lineno}"
                        assert value.id == "action", f"{where}:{node.lineno}"
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args.args + node.args.kwonlyargs
                defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + list(node.args.defaults)
                defaults += list(node.args.kw_defaults)
                for arg, default in zip(args, defaults, strict=True):
                    if arg.arg == "action" and isinstance(default, ast.Constant) and isinstance(default.value, str):
                        found.setdefault(default.value, f"{where}:{node.lineno}")
    return found


def test_every_action_code_written_in_caseapp_has_a_label() -> None:
    written = _written_codes()

    assert len(written) >= 50  # the scan sees the codes (53 when this was written)
    missing = {code: where for code, where in written.items() if code not in actions.ACTIONS}
    assert missing == {}


def test_every_labelled_action_belongs_to_a_named_area_and_labels_are_distinct() -> None:
    assert {actions.area_of(code) for code in actions.ACTIONS} <= set(actions.AREAS)
    assert len(set(actions.ACTIONS.values())) == len(actions.ACTIONS)
    grouped = [code for _, _, members in actions.grouped() for code, _ in members]
    assert sorted(grouped) == sorted(actions.ACTIONS)


def test_an_unknown_code_is_shown_as_stored() -> None:
    assert actions.label("auth.login_succeeded") == "Signed in"
    assert actions.label("legacy.thing") == "legacy.thing"
