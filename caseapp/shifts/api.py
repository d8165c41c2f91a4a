"""JSON API for shifts: clock on, clock off (handing over every open callback held), and who is on shift."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.api import api_blueprint, operation, page_of
from caseapp.auth.access import require_role
from caseapp.auth.models import Role
from caseapp.callbacks import handover
from caseapp.callbacks.schemas import ClockOffResultSchema, ClockOffSchema
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
    summary="Clock off holding no open callbacks (else 409 handover_required: use /shifts/current/end); managers: "
    "?user_id= ends someone else's forgotten shift",
    query=EndShiftQuery,
    response=ShiftSchema,
)
def end(query: dict[str, Any]) -> Shift:
    user_id = query["user_id"]
    if user_id is None or user_id == current_user.id:
        shift = handover.clock_off(actor=current_user).shift
    else:
        shift = services.end_shift(actor=current_user, user_id=user_id)
    db.session.commit()
    return shift


@operation(
    api_bp,
    "/current/end",
    "POST",
    summary="Clock off, handing each open callback you hold to a colleague on shift or the pool (409 "
    "handover_required until every one has a destination)",
    body=ClockOffSchema,
    response=ClockOffResultSchema,
)
def end_current(body: dict[str, Any]) -> handover.ClockOff:
    requests = [handover.HandoverRequest(**item) for item in body["handovers"]]
    done = handover.clock_off(actor=current_user, handovers=requests, rest_to_pool=body["rest_to_pool"])
    db.session.commit()
    return done


@operation(api_bp, "/me", summary="Whether you are on shift", response=MyShiftSchema)
def mine() -> dict[str, Any]:
    shift = queries.find_open_shift(current_user.id)
    return {"on_shift": shift is not None, "shift": shift}


@operation(api_bp, "/current", summary="Who is on shift now (managers)", response=page_of(OnShiftSchema))
@require_role(Role.MANAGER)
def current() -> dict[str, Any]:
    return {"items": queries.open_shifts(), "next": None}
