"""JSON API for screenings: the instruments, recording one on a case (or a draft, completed later), listing them."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import Extended, api_blueprint, operation, page_of
from caseapp.extensions import db
from caseapp.screenings import present, queries, services
from caseapp.screenings.instruments import INSTRUMENTS
from caseapp.screenings.schemas import (
    ClinicianScoreInputSchema,
    ClinicianScoreSchema,
    InstrumentListSchema,
    ScreeningInputSchema,
    ScreeningPatchSchema,
    ScreeningSchema,
)

api_bp = api_blueprint("screenings", "")


@operation(
    api_bp,
    "/screenings/instruments",
    summary="The screening instruments: items, their options with scores, and bands",
    response=InstrumentListSchema,
)
def instruments() -> dict[str, Any]:
    return {"items": [present.instrument_listing(i) for i in INSTRUMENTS.values()]}


@operation(
    api_bp,
    "/cases/<int:case_id>/screenings",
    "POST",
    summary="Record a screening on a case (scored, with a suggested pathway), or a draft of one",
    body=ScreeningInputSchema,
    response=ScreeningSchema,
    status=201,
)
def create(case_id: int, body: dict[str, Any]) -> Extended:
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    screening = services.record_screening(
        case,
        body["instrument"],
        body.get("answers") or {},
        substance=body["substance"],
        draft=body["draft"],
        actor=current_user,
    )
    db.session.commit()
    return present.shown(screening)


@operation(
    api_bp,
    "/screenings/<int:screening_id>",
    summary="One screening",
    response=ScreeningSchema,
)
def show(screening_id: int) -> Extended:
    screening = queries.get_screening(screening_id)
    access.get_case_for(screening.case_id, current_user)
    services.record_view(screening, actor=current_user)
    db.session.commit()
    return present.shown(screening)


@operation(
    api_bp,
    "/screenings/<int:screening_id>",
    "PATCH",
    summary="Add answers to a draft screening, or complete it",
    body=ScreeningPatchSchema,
    response=ScreeningSchema,
)
def update(screening_id: int, body: dict[str, Any]) -> Extended:
    screening = queries.get_screening(screening_id)
    access.get_case_for(screening.case_id, current_user, Action.CHANGE)
    screening = queries.lock_screening(screening_id)
    services.update_screening(
        screening, body.get("answers") or {}, substance=body["substance"], draft=body["draft"], actor=current_user
    )
    db.session.commit()
    return present.shown(screening)


@operation(
    api_bp,
    "/cases/<int:case_id>/screenings",
    summary="A case's screenings, newest first",
    response=page_of(ScreeningSchema),
)
def list_for_case(case_id: int) -> dict[str, Any]:
    case = access.get_case_for(case_id, current_user)
    items = queries.screenings_for_case(case.id)
    services.record_listed(case, items, actor=current_user)
    db.session.commit()
    return {"items": [present.shown(s) for s in items], "next": None}


@operation(
    api_bp,
    "/cases/<int:case_id>/clinician-scores",
    "POST",
    summary="Record a withdrawal-scale total a clinician reported (COWS, CIWA-Ar), banded by its published cut-offs",
    body=ClinicianScoreInputSchema,
    response=ClinicianScoreSchema,
    status=201,
)
def create_clinician_score(case_id: int, body: dict[str, Any]) -> Extended:
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    record = services.record_clinician_score(
        case,
        body["instrument"],
        body["score"],
        assessed_at=body["assessed_at"],
        clinician_name=body["clinician_name"].strip(),
        clinician_role=body["clinician_role"].strip(),
        actor=current_user,
    )
    db.session.commit()
    return present.shown_clinician_score(record)


@operation(
    api_bp,
    "/cases/<int:case_id>/clinician-scores",
    summary="A case's clinician-reported withdrawal scores, newest assessment first",
    response=page_of(ClinicianScoreSchema),
)
def list_clinician_scores(case_id: int) -> dict[str, Any]:
    case = access.get_case_for(case_id, current_user)
    items = queries.clinician_scores_for_case(case.id)
    services.record_clinician_scores_listed(case, items, actor=current_user)
    db.session.commit()
    return {"items": [present.shown_clinician_score(s) for s in items], "next": None}
