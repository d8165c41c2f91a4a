"""A screening as the API and pages show it: its band's label, the suggestion's reason, what to ask next."""

from __future__ import annotations

from flask import current_app

from caseapp.api import Extended
from caseapp.screenings import instruments
from caseapp.screenings.clinician import SCALES
from caseapp.screenings.instruments import Band, Instrument
from caseapp.screenings.models import ClinicianScore, Screening, ScreeningStatus
from caseapp.screenings.scoring import bands_for
from caseapp.screenings.suggestions import RULES, Suggestion


def sds_cutoff_overrides() -> dict[str, int]:
    return instruments.parse_cutoffs(str(current_app.config.get("SCREENING_SDS_CUTOFFS") or ""))


def instrument_of(screening: Screening) -> Instrument:
    return instruments.INSTRUMENTS[screening.instrument]


def band_of(screening: Screening) -> Band | None:
    if screening.band is None:
        return None
    bands = bands_for(instrument_of(screening), screening.substance, sds_cutoff_overrides())
    return next((b for b in bands if b.code == screening.band), Band(screening.band, screening.band, 0, 0))


def suggestion_of(screening: Screening) -> Suggestion | None:
    if screening.suggested_pathway is None or screening.band is None:
        return None
    rule = RULES.get((screening.instrument, screening.band))
    return Suggestion(screening.suggested_pathway, rule.reason if rule else "")


def follow_up_of(screening: Screening) -> dict[str, object] | None:
    """A positive AUDIT-C offers the full AUDIT, with its first three answers carried over."""
    follow_up = instrument_of(screening).follow_up
    if screening.status != ScreeningStatus.COMPLETE or follow_up is None or screening.band not in follow_up[1]:
        return None
    return {"instrument": follow_up[0], "prefill": dict(screening.answers)}


def shown(screening: Screening) -> Extended:
    return Extended(
        screening,
        band_info=band_of(screening),
        suggestion=suggestion_of(screening),
        follow_up=follow_up_of(screening),
    )


def instrument_listing(instrument: Instrument) -> Extended:
    cutoffs = None
    if instrument.needs_substance:
        overrides = sds_cutoff_overrides()
        cutoffs = {s.value: c for s, c in instruments.SDS_CUTOFFS.items()} | overrides
        cutoffs["default"] = instruments.SDS_DEFAULT_CUTOFF
    return Extended(instrument, sds_cutoffs=cutoffs)


def clinician_band_of(record: ClinicianScore) -> Band:
    scale = SCALES[record.instrument]
    return next((b for b in scale.bands if b.code == record.band), Band(record.band, record.band, 0, 0))


def shown_clinician_score(record: ClinicianScore) -> Extended:
    return Extended(record, band_info=clinician_band_of(record), source=SCALES[record.instrument].source)
