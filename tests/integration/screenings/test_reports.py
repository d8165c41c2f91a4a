"""The screening reports: complete screenings per instrument and band per Europe/London bucket (JSON and CSV), and
the suggested against the chosen pathway; managers only, with the period checked."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient

from caseapp.assessments.models import Assessment
from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import Pathway
from caseapp.screenings.instruments import AUDIT, AUDIT_C, DAST10, SADQ, Instrument
from caseapp.screenings.models import Screening
from caseapp.screenings.services import record_screening
from tests import factories
from tests.integration.api_support import Api, audit_events
from tests.unit.screenings.support import answers_scoring


def _at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _screened(case: Case, instrument: Instrument, total: int, at: datetime, actor: User) -> Screening:
    screening = record_screening(case, instrument.code, answers_scoring(instrument, total), actor=actor)
    screening.recorded_at = screening.completed_at = at
    db.session.commit()
    return screening


def _assessed(case: Case, pathway: Pathway, at: datetime, actor: User, **extra: Any) -> Assessment:
    # a reason, for the assessments that choose other than their screenings suggest (the form requires one then)
    assessment = factories.make_assessment(
        case, actor=actor, recommended_pathway=pathway.value, pathway_override_reason="Advisor's judgement"
    )
    assessment.created_at = at
    for name, value in extra.items():
        setattr(assessment, name, value)
    db.session.commit()
    return assessment


def _download(api: Api, path: str) -> Any:
    """The streamed CSV read in full, inside `with client` (which keeps the request context for the body)."""
    with api.client:
        response = api.get(path, check=False)
        response.get_data()
    return response


# --- screenings by instrument and band -----------------------------------------------------------------------------


def _october(advisor: User) -> None:
    """Screenings around the clocks going back (02:00 BST -> 01:00 GMT, at 01:00 UTC on Sunday 25 October 2026)."""
    case = factories.make_case(actor=advisor)
    _screened(case, SADQ, 31, _at(2026, 10, 24, 22, 59), advisor)  # Sat 24th 23:59 BST
    _screened(case, SADQ, 40, _at(2026, 10, 24, 23, 30), advisor)  # Sun 25th 00:30 BST (UTC says the 24th)
    _screened(case, SADQ, 10, _at(2026, 10, 25, 0, 30), advisor)  # Sun 25th 01:30 BST
    _screened(case, SADQ, 31, _at(2026, 10, 25, 23, 30), advisor)  # Sun 25th 23:30 GMT
    _screened(case, DAST10, 4, _at(2026, 10, 26, 9, 0), advisor)  # Mon 26th
    _screened(case, AUDIT, 8, _at(2026, 10, 27, 0, 0), advisor)  # Tue 27th 00:00 GMT: after the period
    _screened(case, SADQ, 31, _at(2026, 10, 23, 22, 59), advisor)  # Fri 23rd 23:59 BST: before it
    draft = record_screening(case, SADQ.code, {"q1": 3}, draft=True, actor=advisor)
    draft.recorded_at = _at(2026, 10, 25, 12, 0)  # a draft is not counted
    db.session.commit()


def test_screenings_are_counted_per_instrument_band_and_london_day_across_the_clock_change(
    api_as: Callable[..., Api],
) -> None:
    _october(factories.make_user(role=Role.ADVISOR))

    reply = api_as(Role.MANAGER).get("/api/v1/reports/screenings?from=2026-10-24&to=2026-10-27&bucket=day")

    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    assert body["timezone"] == "Europe/London"
    assert body["from"] == "2026-10-24T00:00:00+01:00"
    assert body["to"] == "2026-10-27T00:00:00+00:00"
    assert body["bucket"] == "day"
    assert body["rows"] == [
        {"start": "2026-10-24T00:00:00+01:00", "instrument": "sadq", "band": "severe", "count": 1},
        {"start": "2026-10-25T00:00:00+01:00", "instrument": "sadq", "band": "mild", "count": 1},
        {"start": "2026-10-25T00:00:00+01:00", "instrument": "sadq", "band": "severe", "count": 2},
        {"start": "2026-10-26T00:00:00+00:00", "instrument": "dast10", "band": "moderate", "count": 1},
    ]


def test_week_and_month_buckets_start_on_the_local_monday_and_the_first(api_as: Callable[..., Api]) -> None:
    _october(factories.make_user(role=Role.ADVISOR))
    manager = api_as(Role.MANAGER)

    weeks = manager.get("/api/v1/reports/screenings?from=2026-10-24&to=2026-10-27&bucket=week").get_json()
    months = manager.get("/api/v1/reports/screenings?from=2026-10-01&to=2026-11-01&bucket=month").get_json()

    # Saturday 24th and Sunday 25th are in the week of Monday 19th; Monday 26th starts the next
    assert weeks["rows"] == [
        {"start": "2026-10-19T00:00:00+01:00", "instrument": "sadq", "band": "mild", "count": 1},
        {"start": "2026-10-19T00:00:00+01:00", "instrument": "sadq", "band": "severe", "count": 3},
        {"start": "2026-10-26T00:00:00+00:00", "instrument": "dast10", "band": "moderate", "count": 1},
    ]
    assert months["rows"] == [
        {"start": "2026-10-01T00:00:00+01:00", "instrument": "audit", "band": "increasing_risk", "count": 1},
        {"start": "2026-10-01T00:00:00+01:00", "instrument": "dast10", "band": "moderate", "count": 1},
        {"start": "2026-10-01T00:00:00+01:00", "instrument": "sadq", "band": "mild", "count": 1},
        {"start": "2026-10-01T00:00:00+01:00", "instrument": "sadq", "band": "severe", "count": 4},
    ]


def test_the_screenings_csv_has_the_same_rows_and_is_audited(api_as: Callable[..., Api]) -> None:
    _october(factories.make_user(role=Role.ADVISOR))
    manager = api_as(Role.MANAGER)

    reply = _download(manager, "/api/v1/reports/screenings.csv?from=2026-10-24&to=2026-10-27&bucket=day")

    assert reply.status_code == 200
    assert reply.mimetype == "text/csv"
    assert 'filename="caseapp-screenings-2026-10-24-to-2026-10-26.csv"' in reply.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(reply.get_data(as_text=True))))
    assert rows == [
        ["start", "instrument", "band", "count"],
        ["2026-10-24T00:00:00+01:00", "sadq", "severe", "1"],
        ["2026-10-25T00:00:00+01:00", "sadq", "mild", "1"],
        ["2026-10-25T00:00:00+01:00", "sadq", "severe", "2"],
        ["2026-10-26T00:00:00+00:00", "dast10", "moderate", "1"],
    ]
    [event] = audit_events("report.exported", entity_id="screenings")
    assert event.detail["from"] == "2026-10-24T00:00:00+01:00"

    suppressed = _download(manager, "/api/v1/reports/screenings.csv?from=2026-10-24&to=2026-10-27&suppress=true")
    assert "<" in suppressed.get_data(as_text=True).splitlines()[1]


# --- suggested against chosen pathway ------------------------------------------------------------------------------


def test_the_pathways_matrix_matches_each_assessment_with_the_latest_suggestion_before_it(
    api_as: Callable[..., Api],
) -> None:
    advisor = factories.make_user(role=Role.ADVISOR)
    detox, outpatient, rehab = Pathway.MEDICAL_DETOX, Pathway.OUTPATIENT, Pathway.RESIDENTIAL_REHAB
    # followed: SADQ severe suggests medical detox, chosen
    a = factories.make_case(actor=advisor)
    _screened(a, SADQ, 35, _at(2026, 5, 2, 9, 0), advisor)
    _assessed(a, detox, _at(2026, 5, 2, 9, 30), advisor)
    # not followed: the SADQ before it suggested outpatient; the AUDIT after it does not count
    b = factories.make_case(actor=advisor)
    _screened(b, SADQ, 5, _at(2026, 5, 3, 9, 0), advisor)
    _assessed(b, detox, _at(2026, 5, 3, 10, 0), advisor)
    _screened(b, AUDIT, 2, _at(2026, 5, 3, 11, 0), advisor)
    # no screening at all
    c = factories.make_case(actor=advisor)
    _assessed(c, outpatient, _at(2026, 5, 4, 9, 0), advisor)
    # a positive AUDIT-C suggests nothing, so the SADQ before it is the latest suggestion
    d = factories.make_case(actor=advisor)
    _screened(d, SADQ, 20, _at(2026, 5, 5, 8, 0), advisor)
    _screened(d, AUDIT_C, 8, _at(2026, 5, 5, 8, 30), advisor)
    _assessed(d, rehab, _at(2026, 5, 5, 9, 0), advisor)
    # a corrected assessment counts once, as corrected
    f = factories.make_case(actor=advisor)
    _screened(f, SADQ, 31, _at(2026, 5, 6, 8, 0), advisor)
    first = _assessed(f, outpatient, _at(2026, 5, 6, 9, 0), advisor)
    _assessed(f, detox, _at(2026, 5, 6, 9, 5), advisor, supersedes_id=first.id, revision=2)
    # outside the period
    g = factories.make_case(actor=advisor)
    _screened(g, SADQ, 31, _at(2026, 4, 20, 8, 0), advisor)
    _assessed(g, detox, _at(2026, 4, 20, 9, 0), advisor)

    reply = api_as(Role.MANAGER).get("/api/v1/reports/pathways?from=2026-05-01&to=2026-05-08")

    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    assert body["pathways"] == [p.value for p in Pathway]
    expected = {(detox, detox): 2, (outpatient, detox): 1, ("none", outpatient): 1, (detox, rehab): 1}
    for row in body["rows"]:
        for chosen, count in row["counts"].items():
            assert count == expected.get((row["suggested"], chosen), 0), (row["suggested"], chosen)
    totals = {row["suggested"]: row["total"] for row in body["rows"]}
    assert totals == {p.value: 0 for p in Pathway} | {"medical_detox": 3, "outpatient": 1, "none": 1}
    assert (body["assessments"], body["with_suggestion"], body["followed"]) == (5, 4, 2)
    assert body["share_followed"] == 0.5


def test_with_no_assessments_the_share_is_null(api_as: Callable[..., Api]) -> None:
    body = api_as(Role.MANAGER).get("/api/v1/reports/pathways?from=2026-05-01&to=2026-05-08").get_json()
    assert (body["assessments"], body["with_suggestion"], body["share_followed"]) == (0, 0, None)


# --- access, periods and the page ------------------------------------------------------------------------------------


def test_the_reports_are_for_managers_only_and_check_their_period(api_as: Callable[..., Api]) -> None:
    advisor = api_as(Role.ADVISOR)
    for path in ("/api/v1/reports/screenings", "/api/v1/reports/screenings.csv", "/api/v1/reports/pathways"):
        assert advisor.get(path).status_code == 403, path
    manager = api_as(Role.MANAGER)
    for path in ("/api/v1/reports/screenings", "/api/v1/reports/screenings.csv", "/api/v1/reports/pathways"):
        assert _download(manager, path).status_code == 200, path
        bad = manager.get(f"{path}?from=2026-03-10&to=2026-03-01")
        assert bad.status_code == 422, path
        assert "to" in bad.get_json()["error"]["fields"]
    hourly = manager.get("/api/v1/reports/screenings?bucket=hour")
    assert hourly.status_code == 422
    assert "bucket" in hourly.get_json()["error"]["fields"]


def test_the_reports_page_shows_both_blocks(client: FlaskClient, login_as: Any) -> None:
    advisor = factories.make_user(role=Role.ADVISOR)
    case = factories.make_case(actor=advisor)
    _screened(case, SADQ, 35, _at(2026, 5, 2, 9, 0), advisor)
    _screened(case, SADQ, 36, _at(2026, 5, 2, 9, 10), advisor)
    _assessed(case, Pathway.MEDICAL_DETOX, _at(2026, 5, 2, 9, 30), advisor)
    login_as(Role.MANAGER)

    page = client.get("/reports/?from=2026-05-01&to=2026-05-03").get_data(as_text=True)

    assert "Screenings" in page
    assert f'<tr><th scope="row">{SADQ.name}</th><td>Severe dependence</td><td>2</td></tr>' in page
    assert "Followed: 1 of 1 (100%)" in page
    assert "/api/v1/reports/screenings.csv?" in page
