"""JSON API for shifts: clock on, clock off, and who is on shift."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.api import api_blueprint, operation, page_of
from caseapp.auth.access import require_role
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.shifts import queries, services
from caseapp.shifts.models import Shift
from caseapp.shifts.schemas import EndShiftQuery, MyShiftSchema, OnShiftSchema, ShiftSchema

api_bp = api_blueprint("shifts", "/shifts")


@operation(api_bp, "/start", "POST", summary="Clock on (409 when already on shift)", response=ShiftSchema, status=201)
def start() -> Shift:
    shift = services.start_shift(actor=current_user)
    db.session.commit()
    return shift


@operation(
    api_bp,
    "/end",
    "POST",
    summary="Clock off (managers: ?user_id= ends someone else's forgotten shift)",
    query=EndShiftQuery,
    response=ShiftSchema,
)
def end(query: dict[str, Any]) -> Shift:
    shift = services.end_shift(actor=current_user, user_id=query["user_id"])
    db.session.commit()
    return shift


@operation(api_bp, "/me", summary="Whether you are on shift", response=MyShiftSchema)
def mine() -> dict[str, Any]:
    shift = queries.find_open_shift(current_user.id)
    return {"on_shift": shift is not None, "shift": shift}


@operation(api_bp, "/current", summary="Who is on shift now (managers)", response=page_of(OnShiftSchema))
@require_role(Role.MANAGER)
def current() -> dict[str, Any]:
    return {"items": queries.open_shifts(), "next": None}
