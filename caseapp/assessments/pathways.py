"""The pathways a case's complete screenings suggest, offered beside the assessment's pathway question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caseapp.errors import ValidationError
from caseapp.reference import Pathway
from caseapp.screenings import present
from caseapp.screenings import queries as screening_queries


@dataclass(frozen=True)
class PathwaySuggestion:
    pathway: Pathway
    reason: str
    screening_id: int
    instrument: str
    band: str

    def as_answer(self) -> dict[str, Any]:
        return {
            "pathway": self.pathway.value,
            "reason": self.reason,
            "screening_id": self.screening_id,
            "instrument": self.instrument,
            "band": self.band,
        }


def suggestions_for(case_id: int) -> list[PathwaySuggestion]:
    """One per instrument (its newest complete screening) whose band suggests a pathway; newest first."""
    out: list[PathwaySuggestion] = []
    for screening in screening_queries.latest_complete_per_instrument(case_id):
        suggestion = present.suggestion_of(screening)
        if suggestion is not None and screening.band is not None:
            out.append(
                PathwaySuggestion(
                    suggestion.pathway, suggestion.reason, screening.id, screening.instrument.value, screening.band
                )
            )
    return out


def check_choice(suggested: list[PathwaySuggestion], chosen: Pathway, reason: str | None) -> dict[str, Any]:
    """The answers that record the suggestion and the choice; a pathway none suggested needs a reason."""
    if not suggested:
        return {}
    followed = any(s.pathway == chosen for s in suggested)
    if not followed and not (reason or "").strip():
        names = " or ".join(dict.fromkeys(s.pathway.label for s in suggested))
        message = f"The screenings suggest {names}. Say why you chose a different pathway."
        raise ValidationError(message, fields={"pathway_override_reason": [message]})
    return {
        "suggested_pathway": suggested[0].pathway.value,
        "pathway_suggestions": [s.as_answer() for s in suggested],
        "pathway_followed": followed,
        "pathway_override_reason": None if followed else (reason or "").strip() or None,
    }
