"""Helpers for the browser tests: sign in, reach an element with Tab, measure boxes."""

from __future__ import annotations

from typing import Any

from caseapp.auth.models import Role
from caseapp.extensions import db
from tests import factories


def make_staff(live_app: Any, role: Role, full_name: str) -> str:
    """A committed user of `role` on the live app's database; returns their email."""
    with live_app.app_context():
        user = factories.make_user(role=role, full_name=full_name)
        db.session.commit()
        return user.email


def sign_in(page: Any, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", factories.DEFAULT_PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{live_url}/")


def tab_to(page: Any, predicate: str, limit: int = 80) -> None:
    """Press Tab until document.activeElement satisfies the JS expression `predicate` (given `el`)."""
    for _ in range(limit):
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!({predicate}); }})()"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {predicate} with Tab")


#: for each checkbox label in `root`: the box's and its text's bounding rectangles
CHOICE_BOXES = """(root) => [...document.querySelectorAll(root + ' label.choice')].map((label) => {
  const box = label.querySelector('input').getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(label);
  range.setStartAfter(label.querySelector('input'));
  const text = range.getBoundingClientRect();
  return {label: label.textContent.trim(), box: [box.left, box.right, box.top, box.bottom],
          text: [text.left, text.right, text.top, text.bottom]};
})"""
