"""The referrals report and the neutrality report (/api/v1/reports/referrals, /neutrality, their CSVs), checked
against figures worked out again in Python from the rows each test writes (referral_support)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role
from caseapp.directory.models import CommercialRelationship
from caseapp.extensions import db
from caseapp.reference import FundingRoute, Pathway
from caseapp.referrals.models import DeclineReason, ReferralStatus
from caseapp.reports.neutrality import neutrality_report
from caseapp.reports.params import Period
from caseapp.reports.referrals import referrals_report
from tests.integration.api_support import Api
from tests.integration.reports.referral_support import (
    Written,
    expected_admission_times,
    expected_neutrality,
    expected_outcomes,
    utc,
)
from tests.statements import counted_queries

S = ReferralStatus
COMMISSION, OWNERSHIP, NONE = (
    CommercialRelationship.COMMISSION,
    CommercialRelationship.OWNERSHIP,
    CommercialRelationship.NONE,
)


@pytest.fixture
def manager(api_as: Callable[..., Api]) -> Api:
    return api_as(Role.MANAGER)


def _get(api: Api, path: str, first: str, to: str) -> dict[str, Any]:
    response = api.get(path, query_string={"from": first, "to": to})
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def _download(api: Api, path: str, **query: Any) -> tuple[Any, list[dict[str, str]]]:
    with api.client:  # keeps the request context for the streamed body
        response = api.get(path, query_string=query, check=False)
        text = response.get_data(as_text=True)
    assert response.status_code == 200, text
    return response, list(csv.DictReader(io.StringIO(text)))


def _counts(row: dict[str, Any], like: dict[str, int]) -> dict[str, int]:
    return {name: row[name] for name in like}


def _june(written: Written) -> dict[str, Any]:
    """Offers over 2-4 June 2026 (BST) to three services, referrals in every status, and one offer on 5 June."""
    plain = written.service(name="Alpha Rehab")
    paid = written.service(COMMISSION, name="Beta Detox")
    owned = written.service(OWNERSHIP, name="Gamma House")
    first = written.offer(
        utc(2026, 6, 2, 9), [(plain, 1, True), (paid, 2, True), (owned, 3, False)], pathway=Pathway.RESIDENTIAL_REHAB
    )
    second = written.offer(
        utc(2026, 6, 3, 10),
        [(paid, 1, True), (plain, 2, False), (owned, None, True)],
        pathway=Pathway.MEDICAL_DETOX,
        funding=FundingRoute.SELF_FUNDED,
    )
    third = written.offer(utc(2026, 6, 4, 22, 30), [(owned, 1, True), (plain, 2, True)])  # 23:30 BST on the 4th
    late = written.offer(utc(2026, 6, 4, 23, 30), [(plain, 1, True)])  # 00:30 BST on 5 June: outside
    item = written.item
    written.refer(S.ADMITTED, offer=first, item=item(first, plain), history=(S.OFFERED, S.SENT, S.ACCEPTED))
    written.refer(S.DECLINED, offer=first, item=item(first, paid), history=(S.OFFERED, S.SENT),
                  reason=DeclineReason.CRITERIA_NOT_MET)  # fmt: skip
    written.refer(S.DID_NOT_ATTEND, offer=second, item=item(second, paid), history=(S.OFFERED, S.SENT, S.ACCEPTED))
    written.refer(S.ADMITTED, offer=second, item=item(second, owned), history=(S.OFFERED, S.SENT, S.WAITLISTED))
    written.refer(S.WITHDRAWN, offer=third, item=item(third, owned), history=(S.OFFERED, S.SENT))
    written.refer(S.DECLINED, offer=third, item=item(third, plain), history=(S.OFFERED, S.SENT),
                  reason=DeclineReason.NO_CAPACITY)  # fmt: skip
    written.refer(S.SENT, offer=late, item=item(late, plain), history=(S.OFFERED,))
    # outside an offer: counted by its own created_at, with no pathway
    written.refer(S.WAITLISTED, service=paid, created_at=utc(2026, 6, 3, 15), history=(S.SENT,))
    return {"plain": plain, "paid": paid, "owned": owned}


def test_referrals_report_counts_each_status_reached_per_service_pathway_and_overall(manager: Api) -> None:
    written = Written()
    services = _june(written)

    report = _get(manager, "/api/v1/reports/referrals", "2026-06-02", "2026-06-05")

    expected = expected_outcomes(written, date(2026, 6, 2), date(2026, 6, 4))
    assert _counts(report["totals"], expected["totals"]) == expected["totals"]
    assert {row["service_id"]: _counts(row, expected["totals"]) for row in report["services"]} == expected["services"]
    assert {row["pathway"]: _counts(row, expected["totals"]) for row in report["pathways"]} == expected["pathways"]
    totals = report["totals"]
    assert (totals["referrals"], totals["offered"], totals["sent"], totals["accepted"], totals["admitted"]) == (
        7,
        7,  # the referral outside an offer went straight to sent, which counts as offered too
        7,
        3,
        2,
    )
    assert (totals["declined_criteria_not_met"], totals["declined_no_capacity"], totals["did_not_attend"]) == (1, 1, 1)
    assert (totals["now_admitted"], totals["now_waitlisted"], totals["withdrawn"]) == (2, 1, 1)
    assert [row["service"] for row in report["services"]] == ["Alpha Rehab", "Beta Detox", "Gamma House"]
    beta = next(row for row in report["services"] if row["service_id"] == services["paid"].id)
    assert beta["commercial_relationship"] == "commission"
    assert [row["pathway"] for row in report["pathways"]] == ["medical_detox", "residential_rehab", "none"]


def test_conversion_is_each_step_as_a_share_of_the_one_before(manager: Api) -> None:
    written = Written()
    _june(written)

    report = _get(manager, "/api/v1/reports/referrals", "2026-06-02", "2026-06-05")

    expected = expected_outcomes(written, date(2026, 6, 2), date(2026, 6, 4))
    for row, counts in [(report["totals"], expected["totals"])] + [
        (row, expected["pathways"][row["pathway"]]) for row in report["pathways"]
    ]:
        for name, part, whole in (
            ("sent_of_offered", "sent", "offered"),
            ("accepted_of_sent", "accepted", "sent"),
            ("admitted_of_accepted", "admitted", "accepted"),
            ("admitted_of_offered", "admitted", "offered"),
        ):
            want = round(counts[part] / counts[whole], 4) if counts[whole] else None
            assert row[name] == want, (row.get("pathway"), name)
    assert report["totals"]["admitted_of_offered"] == round(2 / 7, 4)


def test_an_offer_at_half_past_midnight_bst_on_25_october_belongs_to_the_25th(manager: Api) -> None:
    written = Written()
    paid = written.service(COMMISSION)
    plain = written.service()
    early = written.offer(utc(2026, 10, 24, 23, 30), [(paid, 1, True)])  # 00:30 BST, Sunday 25 October
    written.offer(utc(2026, 10, 24, 22, 59), [(plain, 1, True)])  # 23:59 BST on the 24th
    written.offer(utc(2026, 10, 25, 23, 30), [(plain, 1, True), (paid, 2, False)])  # 23:30 GMT on the 25th
    written.offer(utc(2026, 10, 26, 0, 0), [(plain, 1, True)])  # midnight GMT: the 26th
    written.refer(S.SENT, offer=early, item=early.items[0], history=(S.OFFERED,))

    day = _get(manager, "/api/v1/reports/neutrality", "2026-10-25", "2026-10-26")
    before = _get(manager, "/api/v1/reports/neutrality", "2026-10-24", "2026-10-25")
    referrals = _get(manager, "/api/v1/reports/referrals", "2026-10-25", "2026-10-26")

    expected = expected_neutrality(written, date(2026, 10, 25), date(2026, 10, 25))
    ranks = {row["rank"]: row for row in day["ranks"]}
    assert {key: ranks[key]["offered"] for key in ranks} == {
        key: expected["ranks"][key].get("offered", 0) for key in ranks
    }
    assert (ranks["1"]["suggested"], ranks["1"]["offered"], ranks["2"]["suggested"]) == (2, 2, 1)
    assert day["from"] == "2026-10-25T00:00:00+01:00"
    assert day["to"] == "2026-10-26T00:00:00+00:00"
    assert {row["rank"]: row["suggested"] for row in before["ranks"]}["1"] == 1  # only 23:59 BST on the 24th
    assert referrals["totals"]["referrals"] == 1
    assert referrals["services"][0]["service_id"] == paid.id


def test_time_to_admission_has_nearest_rank_median_and_90th_percentile_for_odd_and_even_counts(
    manager: Api,
) -> None:
    written = Written()
    service = written.service()
    start = utc(2026, 5, 1, 9)
    # residential rehab, NHS: 5 admissions (odd); medical detox, self-funded: 4 (even)
    plan = [(Pathway.RESIDENTIAL_REHAB, FundingRoute.NHS_LOCAL_AUTHORITY, d) for d in (30, 3, 12, 7.5, 60)]
    plan += [(Pathway.MEDICAL_DETOX, FundingRoute.SELF_FUNDED, d) for d in (10, 2, 40, 20)]
    for pathway, funding, days in plan:
        case = written.case(first_call_at=start)
        offer = written.offer(utc(2026, 5, 2, 9), [(service, 1, True)], case=case, pathway=pathway, funding=funding)
        written.refer(S.ADMITTED, offer=offer, item=offer.items[0], admitted_at=start + timedelta(days=days),
                      history=(S.OFFERED, S.SENT, S.ACCEPTED))  # fmt: skip
    # admitted before the period, and admitted on a case with no call logged: both left out
    case = written.case(first_call_at=start)
    offer = written.offer(utc(2026, 5, 2, 9), [(service, 1, True)], case=case)
    written.refer(S.ADMITTED, offer=offer, item=offer.items[0], admitted_at=utc(2026, 5, 2, 12))
    offer = written.offer(utc(2026, 5, 2, 9), [(service, 1, True)])
    written.refer(S.ADMITTED, offer=offer, item=offer.items[0], admitted_at=utc(2026, 5, 20, 12))

    report = _get(manager, "/api/v1/reports/referrals", "2026-05-03", "2026-07-15")

    expected = expected_admission_times(written, date(2026, 5, 3), date(2026, 7, 14))
    times = report["admission_times"]
    found = {("all", ""): times["overall"]} | {("pathway", row["key"]): row for row in times["by_pathway"]}
    found |= {("funding_route", row["key"]): row for row in times["by_funding_route"]}
    assert {key: (row["admissions"], row["median_days"], row["p90_days"]) for key, row in found.items()} == expected
    assert (times["overall"]["admissions"], times["overall"]["median_days"], times["overall"]["p90_days"]) == (
        9,
        12.0,
        60.0,
    )
    rehab = found[("pathway", "residential_rehab")]
    detox = found[("pathway", "medical_detox")]
    assert (rehab["median_days"], rehab["p90_days"]) == (12.0, 60.0)  # 3, 7.5, 12, 30, 60: 3rd and 5th
    assert (detox["median_days"], detox["p90_days"]) == (10.0, 40.0)  # 2, 10, 20, 40: 2nd and 4th
    assert found[("funding_route", "self_funded")]["label"] == "Self-funded"
    assert times["without_first_call"] == 1


def _ranked_offers(written: Written) -> dict[str, Any]:
    """Offers in July 2026 with six suggestions each (ranks 1..6), services with and without commercial links, and
    services offered without being suggested."""
    plain = [written.service(name=f"Plain {n}") for n in range(4)]
    paid = [written.service(COMMISSION, name="Paid 0"), written.service(OWNERSHIP, name="Paid 1")]
    pool = [plain[0], paid[0], plain[1], plain[2], paid[1], plain[3]]
    rotations = [pool[n:] + pool[:n] for n in range(4)]
    offers = []
    for n, order in enumerate(rotations):
        offered = {0, 1} if n % 2 == 0 else {0, 4}
        items: list[tuple[Any, int | None, bool]] = [(svc, rank + 1, rank in offered) for rank, svc in enumerate(order)]
        offers.append(written.offer(utc(2026, 7, 1 + n, 11), items))
    extra = written.service(COMMISSION, name="Unsuggested Paid")
    other = written.service(name="Unsuggested Plain")
    top = [(svc, rank + 1, rank == 0) for rank, svc in enumerate(pool)]
    offers.append(written.offer(utc(2026, 7, 6, 11), [*top, (extra, None, True)]))
    offers.append(written.offer(utc(2026, 7, 7, 11), [*top, (other, None, True)]))
    for offer in offers:
        for item in offer.items:
            if item.offered and item.rank in (1, None):
                written.refer(S.ADMITTED, offer=offer, item=item, history=(S.OFFERED, S.SENT, S.ACCEPTED))
            elif item.offered:
                written.refer(S.DECLINED, offer=offer, item=item, history=(S.OFFERED, S.SENT),
                              reason=DeclineReason.FUNDING_NOT_AGREED)  # fmt: skip
    return {"offers": offers, "paid": paid, "plain": plain}


def test_neutrality_by_rank_service_and_commercial_share_match_an_independent_count(manager: Api) -> None:
    written = Written()
    _ranked_offers(written)
    written.offer(utc(2026, 8, 1, 11), [(written.service(COMMISSION), 1, True)])  # after the period

    report = _get(manager, "/api/v1/reports/neutrality", "2026-07-01", "2026-08-01")

    expected = expected_neutrality(written, date(2026, 7, 1), date(2026, 7, 31))
    assert [row["rank"] for row in report["ranks"]] == ["1", "2", "3", "4", "5+", "not_suggested"]
    for row in report["ranks"]:
        want = expected["ranks"][row["rank"]]
        for name in ("suggested", "offered", "admitted", "suggested_commercial", "offered_commercial"):
            assert row[name] == want.get(name, 0), (row["rank"], name)
    ranks = {row["rank"]: row for row in report["ranks"]}
    assert (ranks["1"]["suggested"], ranks["1"]["offered"], ranks["1"]["admitted"]) == (6, 6, 6)
    assert (ranks["5+"]["suggested"], ranks["not_suggested"]["suggested"], ranks["not_suggested"]["offered"]) == (
        12,
        0,
        2,
    )
    assert ranks["not_suggested"]["offered_of_suggested"] is None
    services = {row["service_id"]: row for row in report["services"]}
    assert set(services) == set(expected["services"])
    for sid, want in expected["services"].items():
        assert {name: services[sid][name] for name in want} == want, sid
    lines = {line["measure"]: (line["total"], line["commercial"], line["share"]) for line in report["commercial"]}
    assert lines == expected["shares"]
    assert report["disclosure"]["commercial_offers"] == expected["disclosure"][0] == report["disclosure"]["disclosed"]
    assert report["disclosure"]["rate"] == 1.0
    assert report["disclosure"]["exceptions"] == []
    assert (report["not_suggested"]["offered"], report["not_suggested"]["commercial"]) == expected["not_suggested"]
    assert report["not_suggested"]["commercial_share"] == 0.5


def test_neutrality_lists_commercial_offers_made_without_the_disclosure(manager: Api) -> None:
    # the database refuses such an offer; rows from before the rule, or written around it, must still show
    db.session.execute(
        sa.text("ALTER TABLE referral_offer_items DROP CONSTRAINT ck_referral_offer_items_commercial_link_disclosed")
    )
    written = Written()
    paid = written.service(COMMISSION)
    told = written.service(OWNERSHIP)
    offer = written.offer(utc(2026, 9, 2, 10), [(paid, 1, True), (told, 2, True)], undisclosed=frozenset({paid.id}))

    report = _get(manager, "/api/v1/reports/neutrality", "2026-09-01", "2026-09-30")

    disclosure = report["disclosure"]
    assert (disclosure["commercial_offers"], disclosure["disclosed"], disclosure["undisclosed"]) == (2, 1, 1)
    assert disclosure["rate"] == 0.5
    assert disclosure["exceptions"] == [
        {
            "offer_id": offer.id,
            "case_id": offer.case_id,
            "service_id": paid.id,
            "item_id": written.item(offer, paid).id,
            "offered_at": "2026-09-02T11:00:00+01:00",
        }
    ]


def test_the_reports_take_a_fixed_number_of_statements_however_many_offers(app: Any, db_session: Any) -> None:
    written = Written()
    period = Period.of_days(date(2026, 7, 1), date(2026, 7, 31))

    def statements(report: Callable[[Period], Any]) -> int:
        with counted_queries() as seen:
            report(period)
        return len(seen)

    service = written.service()
    offer = written.offer(utc(2026, 7, 1, 9), [(service, 1, True)])
    written.refer(S.ADMITTED, offer=offer, item=offer.items[0])
    few = statements(referrals_report), statements(neutrality_report)
    _ranked_offers(written)
    many = statements(referrals_report), statements(neutrality_report)

    assert few == many == (2, 3)


def test_an_empty_period_has_zero_counts_and_no_shares(manager: Api) -> None:
    written = Written()
    _june(written)  # all outside

    referrals = _get(manager, "/api/v1/reports/referrals", "2026-01-05", "2026-01-07")
    neutrality = _get(manager, "/api/v1/reports/neutrality", "2026-01-05", "2026-01-07")

    assert referrals["totals"]["referrals"] == 0
    assert referrals["totals"]["admitted_of_offered"] is None
    assert referrals["services"] == referrals["pathways"] == []
    assert referrals["admission_times"]["overall"] == {"admissions": 0, "median_days": None, "p90_days": None}
    assert referrals["admission_times"]["without_first_call"] == 0
    assert neutrality["items"] == 0
    assert [row["suggested"] + row["offered"] for row in neutrality["ranks"]] == [0] * 6
    assert all(line["share"] is None for line in neutrality["commercial"])
    assert neutrality["disclosure"]["rate"] is None


@pytest.mark.parametrize("path", ["/api/v1/reports/referrals", "/api/v1/reports/neutrality"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-06-10", "to": "2026-06-09"}, "to"),
        ({"from": "2020-01-01", "to": "2026-06-09"}, "from"),
        ({"to": "2026-06-10T12:00:00"}, "to"),
    ],
)
def test_bad_dates_are_422_with_the_field(manager: Api, path: str, query: dict[str, str], field: str) -> None:
    response = manager.get(path, query_string=query)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("path", ["/api/v1/reports/referrals.csv", "/api/v1/reports/neutrality.csv"])
def test_an_unknown_csv_table_is_422(manager: Api, path: str) -> None:
    with manager.client:
        response = manager.get(path, query_string={"by": "week"}, check=False)

    assert response.status_code == 422
    assert "by" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/referrals",
        "/api/v1/reports/referrals.csv",
        "/api/v1/reports/neutrality",
        "/api/v1/reports/neutrality.csv",
    ],
)
def test_advisors_may_not_see_the_referral_reports(api_as: Callable[..., Api], path: str) -> None:
    advisor = api_as(Role.ADVISOR)

    with advisor.client:
        response = advisor.get(path)
        response.get_data()

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_csv_exports_each_table_with_the_report_figures_and_are_audited(manager: Api) -> None:
    written = Written()
    _ranked_offers(written)
    query = {"from": "2026-07-01", "to": "2026-08-01"}
    expected = expected_neutrality(written, date(2026, 7, 1), date(2026, 7, 31))
    outcomes = expected_outcomes(written, date(2026, 7, 1), date(2026, 7, 31))

    response, ranks = _download(manager, "/api/v1/reports/neutrality.csv", **query)
    _, services = _download(manager, "/api/v1/reports/neutrality.csv", **query, by="service")
    _, shares = _download(manager, "/api/v1/reports/neutrality.csv", **query, by="commercial")
    _, by_service = _download(manager, "/api/v1/reports/referrals.csv", **query)
    _, conversion = _download(manager, "/api/v1/reports/referrals.csv", **query, by="pathway")
    _, times = _download(manager, "/api/v1/reports/referrals.csv", **query, by="admission")

    assert response.mimetype == "text/csv"
    assert (
        'filename="caseapp-neutrality-by-rank-2026-07-01-to-2026-07-31.csv"' in response.headers["Content-Disposition"]
    )
    assert {row["rank"]: int(row["offered"]) for row in ranks} == {
        key: counts.get("offered", 0) for key, counts in expected["ranks"].items()
    }
    assert {int(row["service_id"]): int(row["suggested"]) for row in services} == {
        sid: s["suggested"] for sid, s in expected["services"].items()
    }
    assert {row["measure"]: (int(row["total"]), int(row["commercial"])) for row in shares if row["share"]} == {
        measure: (total, part) for measure, (total, part, _) in expected["shares"].items()
    } | {"disclosed": (expected["disclosure"][0], expected["disclosure"][1]), "not_suggested": (2, 1)}
    assert {int(row["service_id"]): int(row["referrals"]) for row in by_service} == {
        sid: counts["referrals"] for sid, counts in outcomes["services"].items()
    }
    assert conversion[0]["pathway"] == "all"
    assert int(conversion[0]["admitted"]) == outcomes["totals"]["admitted"] == 8
    assert times[0]["group"] == "all"
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "report.exported", AuditEvent.actor_id == manager.user_id)
    ).all()
    assert sorted(str(e.entity_id) for e in events) == [
        "neutrality-by-rank",
        "neutrality-by-service",
        "neutrality-commercial",
        "referrals-admission-times",
        "referrals-by-service",
        "referrals-conversion",
    ]


def test_csv_for_sharing_suppresses_small_counts_and_the_figures_made_from_them(manager: Api) -> None:
    written = Written()
    _ranked_offers(written)  # rank 1: 6 suggested, 6 offered; rank 2: 2 offered of 6 suggested
    query = {"from": "2026-07-01", "to": "2026-08-01", "suppress": "true"}

    _, ranks = _download(manager, "/api/v1/reports/neutrality.csv", **query)
    _, services = _download(manager, "/api/v1/reports/neutrality.csv", **query, by="service")

    first, second = ranks[0], ranks[1]
    assert (first["suggested"], first["offered"], first["offered_of_suggested"]) == ("6", "6", "1.0000")
    assert (second["suggested"], second["offered"], second["offered_of_suggested"]) == ("6", "<5", "")
    assert second["admitted"] == "0"  # 0 stays 0
    unsuggested = next(row for row in services if row["service"] == "Unsuggested Paid")
    assert (unsuggested["suggested"], unsuggested["mean_rank"], unsuggested["offered"]) == ("0", "", "<5")
