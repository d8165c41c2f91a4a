"""The disclosure rule: a service with a commercial relationship with us is offered to a caller only once the
advisor has told them about it (ASA rulings of December 2024 and January 2025 on undisclosed commission)."""

from __future__ import annotations

from caseapp.directory.models import TreatmentService
from caseapp.errors import ValidationError


def disclosure_to_store(service: TreatmentService, disclosed: bool | None, *, field: str = "disclosed") -> bool | None:
    """What an offer of `service` records: None for a service with no commercial link, True once the link was
    disclosed; an offer of a linked service without the disclosure is refused (422 naming `field`)."""
    if not service.has_commercial_link:
        return None
    if disclosed is not True:
        message = (
            f"{service.name} has a commercial relationship with us ({service.commercial_relationship.in_sentence}): "
            "tell the caller before offering it, and record that you did."
        )
        raise ValidationError(message, fields={field: [message]})
    return True
