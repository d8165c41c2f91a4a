"""A caller's subject access export holds their screenings, and who recorded and read them."""

from __future__ import annotations

from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.sar.services import build_export
from caseapp.screenings.instruments import InstrumentCode
from caseapp.screenings.services import record_screening, record_view
from tests import factories


def test_the_export_holds_the_callers_screenings_and_their_access(db_session: object) -> None:
    advisor = factories.make_user(role=Role.ADVISOR)
    case = factories.make_case(actor=advisor)
    other = factories.make_case(actor=advisor)
    screening = record_screening(case, InstrumentCode.AUDIT_C, {"q1": 4, "q2": 4, "q3": 4}, actor=advisor)
    record_screening(other, InstrumentCode.AUDIT_C, {"q1": 0, "q2": 0, "q3": 0}, actor=advisor)
    record_view(screening, actor=advisor)
    db.session.commit()

    document = build_export(case.caller).document

    [row] = document["screenings"]
    assert row["id"] == screening.id
    assert row["answers"] == {"q1": 4, "q2": 4, "q3": 4}
    assert (row["score"], row["band"]) == (12, "positive")
    actions = [(a["action"], a["record_id"]) for a in document["access"] if a["record_type"] == "screening"]
    assert actions == [("screening.recorded", str(screening.id)), ("screening.viewed", str(screening.id))]
