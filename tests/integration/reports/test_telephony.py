"""The telephony report (/api/v1/reports/telephony, its CSV and the page): offered, answered (within 20 s), missed
and voicemail, logged, abandonment per London hour, and missed calls by how soon they were rung back, checked
against figures worked out again in Python from the rows each test writes."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.reference import CallbackStatus
from caseapp.reports.params import Period
from caseapp.reports.telephony import telephony_report
from caseapp.telephony.models import CallOutcome
from tests.integration.api_support import Api
from tests.integration.reports.telephony_support import Written, expected_callbacks, expected_hours, expected_totals
from tests.integration.reports.telephony_support import utc as at
from tests.statements import counted_queries

ANSWERED, MISSED, VOICEMAIL, RINGING = (
    CallOutcome.ANSWERED,
    CallOutcome.MISSED,
    CallOutcome.VOICEMAIL,
    CallOutcome.RINGING,
)
CALLBACK_LINES = ["within_1_hour", "within_4_hours", "later", "never", "waiting", "withheld", "no_callback"]


@pytest.fixture
def manager(api_as: Callable[..., Api]) -> Api:
    return api_as(Role.MANAGER)


def _report(api: Api, first: str, to: str) -> dict[str, Any]:
    response = api.get("/api/v1/reports/telephony", query_string={"from": first, "to": to})
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def _lines(report: dict[str, Any]) -> dict[str, int]:
    return {line["outcome"]: line["missed_calls"] for line in report["callbacks"] if line["missed_calls"]}


def _download(api: Api, **query: Any) -> tuple[Any, list[dict[str, str]]]:
    with api.client:  # keeps the request context for the streamed body (as in test_csv)
        response = api.get("/api/v1/reports/telephony.csv", query_string=query, check=False)
        text = response.get_data(as_text=True)
    assert response.status_code == 200, text
    return response, list(csv.DictReader(io.StringIO(text)))


def _mixed_week(written: Written) -> None:
    """A spread of calls over 2-4 June 2026 (BST), and one on 5 June outside the period asked for."""
    for hour in (8, 9, 9, 14):
        written.call(at(2026, 6, 2, hour, 5), ANSWERED, answered_after=timedelta(seconds=5 + hour))
    written.call(at(2026, 6, 2, 9, 30), ANSWERED, answered_after=timedelta(seconds=45), logged=True)
    written.call(at(2026, 6, 2, 22, 10), MISSED, callback=written.callback())
    written.call(at(2026, 6, 3, 9, 0), VOICEMAIL, callback=written.callback())
    written.call(at(2026, 6, 3, 9, 1), ANSWERED, logged=True)
    written.call(at(2026, 6, 3, 23, 30), MISSED, withheld=True)  # 00:30 BST on 4 June
    written.call(at(2026, 6, 4, 12, 0), RINGING)
    written.call(at(2026, 6, 5, 10, 0), MISSED, withheld=True)  # after the period


def test_report_counts_offered_answered_missed_and_logged_per_day_and_hour(manager: Api) -> None:
    written = Written()
    _mixed_week(written)

    report = _report(manager, "2026-06-02", "2026-06-05")

    first, last = date(2026, 6, 2), date(2026, 6, 4)
    totals = expected_totals(written, first, last)
    assert {name: report["totals"][name] for name in totals} == totals
    assert totals == {"offered": 10, "answered": 6, "answered_within_20s": 5, "logged": 2, "missed": 3, "voicemail": 1}
    assert report["totals"]["ringing"] == 1
    assert report["totals"]["answered_within_20s_share"] == round(5 / 6, 4)
    assert report["totals"]["logged_share"] == round(2 / 6, 4)
    assert report["totals"]["abandonment_rate"] == round(3 / 10, 4)
    assert [row["day"] for row in report["days"]] == ["2026-06-02", "2026-06-03", "2026-06-04"]
    for row in report["days"]:
        day = date.fromisoformat(row["day"])
        assert {name: row[name] for name in totals} == expected_totals(written, day, day)
    hours = expected_hours(written, first, last)
    assert [row["hour"] for row in report["hours"]] == list(range(24))
    assert {row["hour"]: (row["offered"], row["missed"]) for row in report["hours"]} == hours
    assert report["hours"][10]["offered"] == 5  # 09:xx UTC in June is 10:xx in London
    assert report["hours"][10]["abandonment_rate"] == 0.2
    assert report["hours"][3]["abandonment_rate"] is None  # nothing offered at 03:00
    assert _lines(report) == expected_callbacks(written, first, last) == {"waiting": 2, "withheld": 1}
    assert report["timezone"] == "Europe/London"
    assert report["from"] == "2026-06-02T00:00:00+01:00"
    assert report["answer_target_seconds"] == 20


def test_answered_within_20_seconds_includes_exactly_20_seconds(manager: Api) -> None:
    written = Written()
    for seconds in (0, 19.999, 20, 20.001, 21, 300):
        written.call(at(2026, 6, 10, 12), ANSWERED, answered_after=timedelta(seconds=seconds))

    report = _report(manager, "2026-06-10", "2026-06-11")

    expected = expected_totals(written, date(2026, 6, 10), date(2026, 6, 10))
    assert report["totals"]["answered_within_20s"] == expected["answered_within_20s"] == 3
    assert report["totals"]["answered_within_20s_share"] == 0.5


def test_missed_calls_bucket_by_time_to_first_attempt_at_the_1_and_4_hour_boundaries(manager: Api) -> None:
    written = Written()
    missed_at = at(2026, 7, 1, 10, 0, 30)  # offered at 10:00, given up on 30 s later
    waits = [
        timedelta(0),
        timedelta(hours=1),  # exactly an hour: within 1 hour
        timedelta(hours=1, seconds=1),
        timedelta(hours=4),  # exactly four hours: 1 to 4 hours
        timedelta(hours=4, seconds=1),
        timedelta(days=2),
    ]
    for wait in waits:
        callback = written.callback(CallbackStatus.COMPLETED)
        written.call(at(2026, 7, 1, 10), MISSED, callback=callback)
        written.attempt(callback, missed_at + wait)
        written.attempt(callback, missed_at + wait + timedelta(minutes=10))  # only the first counts
    written.call(at(2026, 7, 1, 11), VOICEMAIL, callback=written.callback(CallbackStatus.CANCELLED))  # never
    written.call(at(2026, 7, 1, 12), MISSED, callback=written.callback(CallbackStatus.SCHEDULED))  # waiting
    written.call(at(2026, 7, 1, 12), MISSED, callback=written.callback(CallbackStatus.NO_ANSWER))  # waiting
    written.call(at(2026, 7, 1, 13), MISSED, withheld=True)
    written.call(at(2026, 7, 1, 14), VOICEMAIL)  # a do-not-ring-back flag: no callback booked

    report = _report(manager, "2026-07-01", "2026-07-02")

    lines = _lines(report)
    assert lines == expected_callbacks(written, date(2026, 7, 1), date(2026, 7, 1))
    assert lines == {
        "within_1_hour": 2,
        "within_4_hours": 2,
        "later": 2,
        "never": 1,
        "waiting": 2,
        "withheld": 1,
        "no_callback": 1,
    }
    assert sum(lines.values()) == report["totals"]["missed"] == 11  # every missed call on one line
    assert [line["outcome"] for line in report["callbacks"]] == CALLBACK_LINES


def test_missed_calls_sharing_a_callback_are_each_measured_from_when_they_were_missed(manager: Api) -> None:
    written = Written()
    shared = written.callback(CallbackStatus.NO_ANSWER)
    written.call(at(2026, 8, 3, 9, 0), MISSED, callback=shared, missed_after=timedelta(0))  # waits 3h 30m
    written.call(at(2026, 8, 3, 11, 0), VOICEMAIL, callback=shared, missed_after=timedelta(0))  # waits 1h 30m
    written.call(at(2026, 8, 3, 12, 0), MISSED, callback=shared, missed_after=timedelta(0))  # waits 30m
    written.attempt(shared, at(2026, 8, 3, 12, 30))  # no answer; the callback stays open
    written.call(at(2026, 8, 3, 13, 0), MISSED, callback=shared, missed_after=timedelta(0))  # rang again: waiting
    closed = written.callback(CallbackStatus.COMPLETED)
    written.call(at(2026, 8, 3, 15, 0), MISSED, callback=closed, missed_after=timedelta(0))  # waits 6h
    written.attempt(closed, at(2026, 8, 3, 21, 0))
    written.call(at(2026, 8, 3, 21, 30), MISSED, callback=closed, missed_after=timedelta(0))  # after it: never

    report = _report(manager, "2026-08-03", "2026-08-04")

    lines = _lines(report)
    assert lines == expected_callbacks(written, date(2026, 8, 3), date(2026, 8, 3))
    assert lines == {"within_1_hour": 1, "within_4_hours": 2, "later": 1, "waiting": 1, "never": 1}


def test_calls_on_the_clock_change_days_fall_in_their_london_hours(manager: Api) -> None:
    written = Written()
    # 29 March 2026: 01:00 GMT becomes 02:00 BST, so there is no hour 1
    written.call(at(2026, 3, 29, 0, 30), MISSED)  # 00:30 GMT
    written.call(at(2026, 3, 29, 1, 30), ANSWERED)  # 02:30 BST
    written.call(at(2026, 3, 29, 22, 59), VOICEMAIL)  # 23:59 BST
    written.call(at(2026, 3, 28, 23, 59), ANSWERED)  # 23:59 GMT on the 28th, outside the day
    # 25 October 2026: 02:00 BST becomes 01:00 GMT, so 01:xx happens twice
    written.call(at(2026, 10, 25, 0, 15), MISSED)  # 01:15 BST
    written.call(at(2026, 10, 25, 1, 15), ANSWERED)  # 01:15 GMT
    written.call(at(2026, 10, 25, 1, 45), MISSED)  # 01:45 GMT
    written.call(at(2026, 10, 24, 23, 30), ANSWERED)  # 00:30 BST on the 25th
    written.call(at(2026, 10, 25, 23, 30), MISSED)  # 23:30 GMT

    spring = _report(manager, "2026-03-29", "2026-03-30")
    autumn = _report(manager, "2026-10-25", "2026-10-26")

    spring_hours = {row["hour"]: (row["offered"], row["missed"]) for row in spring["hours"]}
    assert spring_hours == expected_hours(written, date(2026, 3, 29), date(2026, 3, 29))
    assert (spring_hours[0], spring_hours[1], spring_hours[2], spring_hours[23]) == ((1, 1), (0, 0), (1, 0), (1, 1))
    assert spring["totals"]["offered"] == 3
    assert [row["day"] for row in spring["days"]] == ["2026-03-29"]
    autumn_hours = {row["hour"]: (row["offered"], row["missed"]) for row in autumn["hours"]}
    assert autumn_hours == expected_hours(written, date(2026, 10, 25), date(2026, 10, 25))
    assert (autumn_hours[0], autumn_hours[1], autumn_hours[23]) == ((1, 0), (3, 2), (1, 1))
    assert autumn["hours"][1]["abandonment_rate"] == round(2 / 3, 4)
    assert autumn["totals"]["offered"] == 5
    assert autumn["to"] == "2026-10-26T00:00:00+00:00"


def test_a_period_given_as_instants_counts_only_calls_offered_within_it(manager: Api) -> None:
    written = Written()
    for minute in (0, 29, 30, 59):
        written.call(at(2026, 6, 20, 12, minute), MISSED)

    response = manager.get(
        "/api/v1/reports/telephony",
        query_string={"from": "2026-06-20T13:29:00+01:00", "to": "2026-06-20T12:59:00Z"},
    )

    assert response.status_code == 200
    assert response.get_json()["totals"]["offered"] == 2  # 12:29 and 12:30; 12:59 is the exclusive end


def test_the_report_takes_three_statements_however_many_calls_and_callbacks(app: Any, db_session: Any) -> None:
    written = Written()
    period = Period.of_days(date(2026, 6, 1), date(2026, 6, 30))

    def statements() -> list[str]:
        with counted_queries() as seen:
            telephony_report(period)
        return seen

    written.call(at(2026, 6, 1, 12), MISSED, callback=written.callback())
    few = statements()
    for day in range(2, 20):
        callback = written.callback(CallbackStatus.COMPLETED)
        written.call(at(2026, 6, day, 12), MISSED, callback=callback)
        written.call(at(2026, 6, day, 13), ANSWERED, logged=True)
        written.attempt(callback, at(2026, 6, day, 14))
    many = statements()

    assert len(few) == len(many) == 3
    assert all("telephony_calls.local_date BETWEEN" in statement for statement in many)


def test_an_empty_period_has_every_day_and_hour_at_zero(manager: Api) -> None:
    Written().call(at(2026, 9, 1, 12), MISSED, withheld=True)  # outside the period

    report = _report(manager, "2026-09-02", "2026-09-04")

    assert report["totals"] == {
        "offered": 0,
        "answered": 0,
        "answered_within_20s": 0,
        "answered_within_20s_share": None,
        "logged": 0,
        "logged_share": None,
        "missed": 0,
        "voicemail": 0,
        "ringing": 0,
        "abandonment_rate": None,
    }
    assert len(report["days"]) == 2
    assert [row["offered"] for row in report["hours"]] == [0] * 24
    assert [line["missed_calls"] for line in report["callbacks"]] == [0] * 7


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-06-10", "to": "2026-06-09"}, "to"),
        ({"from": "2020-01-01", "to": "2026-06-09"}, "from"),
        ({"to": "2026-06-10T12:00:00"}, "to"),  # no offset
    ],
)
def test_bad_parameters_are_422_with_the_field(manager: Api, query: dict[str, str], field: str) -> None:
    response = manager.get("/api/v1/reports/telephony", query_string=query)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]


def test_csv_by_table_is_unknown_422(manager: Api) -> None:
    with manager.client:
        response = manager.get("/api/v1/reports/telephony.csv", query_string={"by": "week"}, check=False)

    assert response.status_code == 422
    assert "by" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("path", ["/api/v1/reports/telephony", "/api/v1/reports/telephony.csv"])
def test_advisors_may_not_see_the_telephony_report(api_as: Callable[..., Api], path: str) -> None:
    advisor = api_as(Role.ADVISOR)

    with advisor.client:
        response = advisor.get(path)
        response.get_data()

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_csv_exports_each_table_with_the_report_figures_and_is_audited(manager: Api) -> None:
    written = Written()
    _mixed_week(written)
    query = {"from": "2026-06-02", "to": "2026-06-05"}
    report = _report(manager, "2026-06-02", "2026-06-05")

    response, days = _download(manager, **query)
    _, hours = _download(manager, **query, by="hour")
    _, lines = _download(manager, **query, by="callback")

    assert response.mimetype == "text/csv"
    assert 'filename="caseapp-telephony-2026-06-02-to-2026-06-04.csv"' in response.headers["Content-Disposition"]
    assert [row["day"] for row in days] == ["2026-06-02", "2026-06-03", "2026-06-04"]
    expected_days = {d: expected_totals(written, date.fromisoformat(d), date.fromisoformat(d)) for d in ("2026-06-02",)}
    assert {name: int(days[0][name]) for name in expected_days["2026-06-02"]} == expected_days["2026-06-02"]
    assert sum(int(row["offered"]) for row in days) == report["totals"]["offered"] == 10
    assert days[0]["abandonment_rate"] == f"{report['days'][0]['abandonment_rate']:.4f}" == "0.1667"  # 1 of 6
    assert [int(row["hour"]) for row in hours] == list(range(24))
    expected_by_hour = expected_hours(written, date(2026, 6, 2), date(2026, 6, 4))
    assert {int(row["hour"]): (int(row["offered"]), int(row["missed"])) for row in hours} == expected_by_hour
    assert [row["outcome"] for row in lines] == CALLBACK_LINES
    assert {row["outcome"]: int(row["missed_calls"]) for row in lines if row["missed_calls"] != "0"} == {
        "waiting": 2,
        "withheld": 1,
    }
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "report.exported", AuditEvent.actor_id == manager.user_id)
    ).all()
    assert sorted(str(e.entity_id) for e in events) == ["telephony", "telephony-callbacks", "telephony-hours"]


def test_csv_for_sharing_suppresses_small_counts_and_what_they_make(manager: Api) -> None:
    written = Written()
    _mixed_week(written)

    _, days = _download(manager, **{"from": "2026-06-02", "to": "2026-06-05"}, suppress="true")

    first = days[0]  # 2 June: 6 offered, 5 answered, 1 missed, 1 logged
    assert first["offered"] == "6"
    assert first["answered"] == "5"
    assert first["missed"] == "<5"
    assert first["abandonment_rate"] == ""  # made from a suppressed count
    assert first["voicemail"] == "0"


def test_the_telephony_page_shows_the_figures_charts_and_csv_links(
    client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    written = Written()
    _mixed_week(written)
    login_as(Role.MANAGER)

    response = client.get("/reports/telephony?from=2026-06-02&to=2026-06-04")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Telephony</h1>" in html
    assert "<dt>Calls offered</dt><dd>10</dd>" in html
    assert "<dt>Answered within 20 seconds</dt><dd>5 <small>83.3% of answered</small></dd>" in html
    assert "<dt>Missed, voicemail included</dt><dd>3 <small>1 voicemail, 30.0% of offered</small></dd>" in html
    assert "<dt>Answered calls with a call log</dt><dd>2 <small>33.3% of answered</small></dd>" in html
    assert 'aria-labelledby="chart-telephony-hours-title chart-telephony-hours-desc"' in html
    assert 'aria-labelledby="chart-telephony-callbacks-title chart-telephony-callbacks-desc"' in html
    assert '<tr><th scope="row">Still waiting (callback open, not yet attempted)</th><td>2</td></tr>' in html
    assert '<tr><th scope="row">10:00</th><td>5</td><td>4</td><td>1</td><td>1</td><td>20.0%</td></tr>' in html
    assert "/api/v1/reports/telephony.csv?from=2026-06-02&amp;to=2026-06-05&amp;by=hour" in html
    assert 'style="' not in html


def test_the_telephony_page_says_when_nothing_was_offered_and_explains_bad_dates(
    client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as(Role.ADMIN)

    empty = client.get("/reports/telephony?from=2026-09-02&to=2026-09-03").get_data(as_text=True)
    bad = client.get("/reports/telephony?from=2026-09-03&to=2026-09-01")

    assert "The phone system offered no calls in this period." in empty
    assert "chart-telephony-hours" not in empty
    assert bad.status_code == 200
    assert "To (last day): The last day must not be before the first." in bad.get_data(as_text=True)


def test_the_telephony_page_is_not_for_advisors(client: FlaskClient, login_as: Callable[..., Any]) -> None:
    login_as(Role.ADVISOR)

    assert client.get("/reports/telephony").status_code == 403


def test_the_dashboard_shows_the_telephony_figures_beside_logged_calls(
    client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    written = Written()
    _mixed_week(written)
    login_as(Role.MANAGER)

    html = client.get("/reports/?from=2026-06-02&to=2026-06-04").get_data(as_text=True)

    assert "Calls the phone system offered" in html
    assert 'href="/reports/telephony?from=2026-06-02&amp;to=2026-06-04"' in html
    assert "<td>10</td><td>6</td>" in html
