"""Recording screenings: answers checked against the instrument, scored into a band, the band's pathway suggested;
a draft keeps partial answers until it is completed. Every write and read is audited."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from caseapp.audit.services import record_event, record_listing
from caseapp.auth.models import User
from caseapp.cases.models import Case
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.reference import Substance
from caseapp.screenings import instruments, scoring, suggestions
from caseapp.screenings.clinician import SCALES, ClinicianScale
from caseapp.screenings.instruments import Instrument, InstrumentCode
from caseapp.screenings.models import ClinicianScore, Screening, ScreeningStatus
from caseapp.screenings.present import sds_cutoff_overrides
from caseapp.timeutil import now_utc

NOT_VALID = "Some answers are missing or not valid."
SUBSTANCE_NEEDED = "Choose the substance the SDS questions were about."
#: how far ahead of our clock a reported assessment time may be (the clinician's clock, typing to the minute)
CLOCK_SLACK = timedelta(minutes=5)


def record_screening(
    case: Case,
    code: InstrumentCode,
    answers: dict[str, Any],
    *,
    substance: Substance | None = None,
    draft: bool = False,
    actor: User,
) -> Screening:
    """A new screening on the case: complete (scored, its pathway suggested) or, with `draft`, partial answers."""
    instrument = instruments.INSTRUMENTS[code]
    kept = _checked(instrument, answers, substance, complete=not draft)
    screening = Screening(
        case_id=case.id,
        instrument=code,
        version=instrument.version,
        answers=kept,
        substance=substance if instrument.needs_substance else None,
        status=ScreeningStatus.DRAFT,
        recorded_by_id=actor.id,
        recorded_by=actor,
        recorded_at=now_utc(),
    )
    if not draft:
        _complete(screening, instrument)
    db.session.add(screening)
    db.session.flush()
    _audit("screening.recorded", screening, actor)
    return screening


def update_screening(
    screening: Screening,
    answers: dict[str, Any],
    *,
    substance: Substance | None = None,
    draft: bool = False,
    actor: User,
) -> Screening:
    """Add answers to a draft (`draft`), or complete it; a complete screening is a record and does not change."""
    if screening.status != ScreeningStatus.DRAFT:
        raise Conflict("This screening is complete and cannot be changed; record a new one.")
    instrument = instruments.INSTRUMENTS[screening.instrument]
    if instrument.version != screening.version:
        raise Conflict(f"This draft was started on an earlier version of {instrument.code.label}; record a new one.")
    merged = {**screening.answers, **answers}
    chosen = substance or screening.substance
    screening.answers = _checked(instrument, merged, chosen, complete=not draft)
    if instrument.needs_substance:
        screening.substance = chosen
    if not draft:
        _complete(screening, instrument)
    db.session.flush()
    _audit("screening.updated", screening, actor)
    return screening


def record_view(screening: Screening, *, actor: User) -> None:
    record_event("screening.viewed", actor_id=actor.id, entity_type="screening", entity_id=screening.id)


def record_listed(case: Case, items: list[Screening], *, actor: User) -> None:
    record_listing(
        "screening.listed", actor_id=actor.id, entity_type="case", entity_id=case.id, ids=[row.id for row in items]
    )


def _checked(
    instrument: Instrument, answers: dict[str, Any], substance: Substance | None, *, complete: bool
) -> dict[str, int]:
    errors = scoring.check_answers(instrument, answers, complete=complete)
    if instrument.needs_substance and substance is None and complete:
        errors["substance"] = [SUBSTANCE_NEEDED]
    if errors:
        raise ValidationError(NOT_VALID, fields=errors)
    return {item_id: value for item_id, value in answers.items() if value is not None}


def _complete(screening: Screening, instrument: Instrument) -> None:
    result = scoring.score(instrument, screening.answers, screening.substance, sds_cutoff_overrides())
    suggestion = suggestions.suggest(
        instrument.code, result.band.code, str(current_app.config.get("SCREENING_PATHWAY_OVERRIDES") or "")
    )
    screening.status = ScreeningStatus.COMPLETE
    screening.score = result.score
    screening.band = result.band.code
    screening.suggested_pathway = suggestion.pathway if suggestion else None
    screening.completed_at = now_utc()


def _audit(action: str, screening: Screening, actor: User) -> None:
    record_event(
        action,
        actor_id=actor.id,
        entity_type="screening",
        entity_id=screening.id,
        detail={
            "case_id": screening.case_id,
            "instrument": screening.instrument.value,
            "version": screening.version,
            "status": screening.status.value,
        },
    )


# --- clinician-reported withdrawal scales -----------------------------------------------------------------------------


def record_clinician_score(
    case: Case,
    scale: ClinicianScale,
    score: int,
    *,
    assessed_at: datetime,
    clinician_name: str,
    clinician_role: str,
    actor: User,
) -> ClinicianScore:
    """A total a clinician reported, banded by the scale's published cut-offs; a total out of the scale's range, or
    an assessment time in the future, is a ValidationError naming the field."""
    spec = SCALES[scale]
    now = now_utc()
    errors: dict[str, list[str]] = {}
    if not 0 <= score <= spec.max_score:
        errors["score"] = [f"A {spec.short} total is from 0 to {spec.max_score}."]
    if assessed_at > now + CLOCK_SLACK:
        errors["assessed_at"] = ["The assessment time cannot be in the future."]
    if errors:
        raise ValidationError("The score is not valid.", fields=errors)
    record = ClinicianScore(
        case_id=case.id,
        instrument=scale,
        score=score,
        band=spec.band_for(score).code,
        assessed_at=assessed_at,
        clinician_name=clinician_name,
        clinician_role=clinician_role,
        recorded_by_id=actor.id,
        recorded_by=actor,
        recorded_at=now,
    )
    db.session.add(record)
    db.session.flush()
    record_event(
        "screening.clinician_score_recorded",
        actor_id=actor.id,
        entity_type="clinician_score",
        entity_id=record.id,
        detail={"case_id": case.id, "instrument": scale.value, "band": record.band},
    )
    return record


def record_clinician_scores_listed(case: Case, items: list[ClinicianScore], *, actor: User) -> None:
    record_listing(
        "screening.clinician_scores_listed",
        actor_id=actor.id,
        entity_type="case",
        entity_id=case.id,
        ids=[row.id for row in items],
    )
