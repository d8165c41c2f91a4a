"""The signed-in landing page."""

from __future__ import annotations

from flask import Blueprint, render_template

from caseapp.auth.access import guard_blueprint
from caseapp.auth.models import Role

bp = Blueprint("home", __name__)
guard_blueprint(bp, Role.ADVISOR)


@bp.get("/")
def index() -> str:
    return render_template("home.html")
