"""Case queries: the open case of a caller, references, list filters, search."""

from __future__ import annotations

from typing import Any

from caseapp.cases import queries
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason, RiskLevel
from tests import factories


def test_find_open_case_for_caller_ignores_closed_cases_and_prefers_the_newest(db_session: Any) -> None:
    caller = factories.make_caller()
    factories.make_case(caller, status=CaseStatus.CLOSED, close_reason=CloseReason.DUPLICATE)
    older = factories.make_case(caller)
    newer = factories.make_case(caller, status=CaseStatus.REFERRED)

    assert queries.find_open_case_for_caller(caller.id) is newer
    newer.status, newer.close_reason = CaseStatus.CLOSED, CloseReason.OTHER
    db.session.flush()
    assert queries.find_open_case_for_caller(caller.id) is older


def test_find_case_by_reference_tolerates_case_and_spaces_but_checks_the_year(db_session: Any) -> None:
    case = factories.make_case()
    year = case.reference_year

    assert queries.find_case_by_reference(case.reference.lower()) is case
    assert queries.find_case_by_reference(f" CA - {year} - {case.id} ") is case
    assert queries.find_case_by_reference(f"CA-{year - 1}-{case.id:06d}") is None
    assert queries.find_case_by_reference("CB-2026-000001") is None
    assert queries.find_case_by_reference("not a reference") is None


def test_select_cases_filters_open_status_risk_and_advisor(db_session: Any) -> None:
    advisor = factories.make_user()
    open_high = factories.make_case(assigned_advisor_id=advisor.id, risk_level=RiskLevel.HIGH)
    closed = factories.make_case(
        assigned_advisor_id=advisor.id, status=CaseStatus.CLOSED, close_reason=CloseReason.OTHER
    )

    def ids(**filters: Any) -> set[int]:
        return {c.id for c in db.session.scalars(queries.select_cases(advisor_id=advisor.id, **filters))}

    assert ids() == {open_high.id, closed.id}
    assert ids(open_only=True) == {open_high.id}
    assert ids(statuses=[CaseStatus.CLOSED]) == {closed.id}
    assert ids(risk_levels=[RiskLevel.HIGH, RiskLevel.LOW]) == {open_high.id}


def test_select_case_search_matches_reference_phone_and_name_part_literally(db_session: Any) -> None:
    by_name = factories.make_case(factories.make_caller(name="Ann O'Hara"))
    by_phone = factories.make_case(factories.make_caller(phone="07400 123457"))
    factories.make_case(factories.make_caller(name="Ann_Other 100%"))

    def ids(text: str, e164: str | None = None) -> list[int]:
        return [c.id for c in db.session.scalars(queries.select_case_search(text, e164)).unique()]

    assert ids(by_name.reference) == [by_name.id]
    assert ids("07400123457", "+447400123457") == [by_phone.id]
    assert ids("o'hara") == [by_name.id]
    assert ids("%") != ids("Ann")  # % and _ are text, not wildcards
    assert len(ids("_")) == 1
