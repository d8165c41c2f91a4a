"""The matcher: each hard filter, each reason, the order and its ties, no further action, and neutrality (a
service's commercial relationship never changes a score or the order)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from caseapp.directory.models import (
    CommercialRelationship,
    Funding,
    Gender,
    Rating,
    Region,
    Regulator,
    ServiceType,
    TreatmentService,
)
from caseapp.reference import FundingRoute, Pathway, Substance
from caseapp.referrals import matching
from caseapp.referrals.matching import BEDS_FRESH_DAYS, Criteria, Needs, criteria_for, match, ranking
from caseapp.timeutil import local_days_since

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
_ids = itertools.count(1)


def service(**overrides: Any) -> TreatmentService:
    """A transient directory entry (never added to a session): an active London medical detox treating heroin."""
    values: dict[str, Any] = {
        "id": next(_ids),
        "name": f"Service {overrides.get('id', '')}",
        "service_type": ServiceType.MEDICAL_DETOX,
        "is_active": True,
        "region": Region.LONDON,
        "regulator": Regulator.CQC,
        "rating": None,
        "substances": [Substance.HEROIN.value],
        "min_age": None,
        "max_age": None,
        "gender": Gender.ANY,
        "dual_diagnosis": False,
        "funding": [Funding.NHS.value],
        "typical_wait_days": None,
        "beds_available": None,
        "beds_confirmed_at": None,
        "commercial_relationship": CommercialRelationship.NONE,
        "commercial_detail": None,
    }
    values.update(overrides)
    return TreatmentService(**values)


def detox(**overrides: Any) -> Criteria:
    values: dict[str, Any] = {"pathway": Pathway.MEDICAL_DETOX, "substance": Substance.HEROIN}
    values.update(overrides)
    return Criteria(**values)


def names(result: matching.Result) -> list[str]:
    return [s.service.name for s in result.suggestions]


def reasons_of(one: TreatmentService, criteria: Criteria) -> tuple[str, ...]:
    [suggestion] = match(criteria, [one], NOW).suggestions
    return suggestion.reasons


def checks_of(one: TreatmentService, criteria: Criteria) -> tuple[str, ...]:
    [suggestion] = match(criteria, [one], NOW).suggestions
    return suggestion.checks


# --- hard filters ----------------------------------------------------------------------------------------------


def test_match_leaves_out_inactive_services() -> None:
    result = match(detox(), [service(name="Open"), service(name="Closed", is_active=False)], NOW)

    assert names(result) == ["Open"]


def test_match_keeps_only_the_types_of_the_pathway() -> None:
    everything = [service(name=t.value, service_type=t) for t in ServiceType]

    by_pathway = {p: sorted(names(match(detox(pathway=p), everything, NOW))) for p in Pathway}

    assert by_pathway[Pathway.MEDICAL_DETOX] == ["medical_detox"]
    assert by_pathway[Pathway.RESIDENTIAL_REHAB] == ["residential_rehab"]
    assert by_pathway[Pathway.OUTPATIENT] == ["community"]
    assert by_pathway[Pathway.DUAL_DIAGNOSIS] == ["dual_diagnosis"]
    assert by_pathway[Pathway.SIGNPOSTED] == ["community", "crisis", "harm_reduction", "mutual_aid"]
    assert by_pathway[Pathway.NO_FURTHER_ACTION] == []


def test_match_for_dual_diagnosis_also_takes_any_dual_diagnosis_capable_service() -> None:
    capable = service(name="Capable rehab", service_type=ServiceType.RESIDENTIAL_REHAB, dual_diagnosis=True)
    plain = service(name="Plain rehab", service_type=ServiceType.RESIDENTIAL_REHAB)

    assert names(match(detox(pathway=Pathway.DUAL_DIAGNOSIS), [capable, plain], NOW)) == ["Capable rehab"]


def test_match_for_no_further_action_suggests_nothing_and_says_so() -> None:
    result = match(detox(pathway=Pathway.NO_FURTHER_ACTION), [service()], NOW)

    assert result.suggestions == ()
    assert result.message == matching.NOTHING_FOR_NO_FURTHER_ACTION


def test_match_without_a_pathway_asks_for_one() -> None:
    result = match(detox(pathway=None), [service()], NOW)

    assert result.suggestions == ()
    assert result.message == matching.NO_PATHWAY


def test_match_applies_age_criteria_when_an_age_is_given() -> None:
    young = service(name="Young people", min_age=16, max_age=25)
    adults = service(name="Adults", min_age=18)

    assert names(match(detox(age=17), [young, adults], NOW)) == ["Young people"]
    assert sorted(names(match(detox(age=18), [young, adults], NOW))) == ["Adults", "Young people"]
    assert names(match(detox(age=26), [young, adults], NOW)) == ["Adults"]
    assert sorted(names(match(detox(age=None), [young, adults], NOW))) == ["Adults", "Young people"]


def test_match_applies_gender_criteria_when_given() -> None:
    women = service(name="Women", gender=Gender.WOMEN)
    men = service(name="Men", gender=Gender.MEN)
    anyone = service(name="Anyone")

    assert sorted(names(match(detox(gender=Gender.WOMEN), [women, men, anyone], NOW))) == ["Anyone", "Women"]
    assert sorted(names(match(detox(gender=None), [women, men, anyone], NOW))) == ["Anyone", "Men", "Women"]


def test_match_needs_the_funding_route_accepted_when_it_is_known() -> None:
    nhs = service(name="NHS", funding=[Funding.NHS.value])
    council = service(name="Council", funding=[Funding.LOCAL_AUTHORITY.value])
    private = service(name="Private", funding=[Funding.SELF_FUNDED.value, Funding.INSURANCE.value])
    unstated = service(name="Unstated", funding=[])
    every = [nhs, council, private, unstated]

    def found(route: FundingRoute) -> list[str]:
        return sorted(names(match(detox(funding_route=route), every, NOW)))

    assert found(FundingRoute.NHS_LOCAL_AUTHORITY) == ["Council", "NHS"]
    assert found(FundingRoute.SELF_FUNDED) == ["Private"]
    assert found(FundingRoute.PRIVATE_INSURANCE) == ["Private"]
    assert found(FundingRoute.UNKNOWN) == ["Council", "NHS", "Private", "Unstated"]


def test_match_needs_the_substance_treated_when_the_service_lists_substances() -> None:
    alcohol = service(name="Alcohol only", substances=[Substance.ALCOHOL.value])
    anything = service(name="Any substance", substances=[])

    assert names(match(detox(substance=Substance.HEROIN), [alcohol, anything], NOW)) == ["Any substance"]


def test_match_keeps_the_region_and_uk_wide_services_when_a_region_is_given() -> None:
    london = service(name="London")
    leeds = service(name="Leeds", region=Region.YORKSHIRE_HUMBER)
    national = service(name="National", region=Region.NATIONAL)

    assert sorted(names(match(detox(region=Region.LONDON), [london, leeds, national], NOW))) == ["London", "National"]
    assert len(match(detox(region=None), [london, leeds, national], NOW).suggestions) == 3


def test_match_available_only_needs_free_beds_confirmed_recently() -> None:
    fresh = service(name="Fresh", beds_available=2, beds_confirmed_at=NOW - timedelta(days=BEDS_FRESH_DAYS))
    stale = service(name="Stale", beds_available=2, beds_confirmed_at=NOW - timedelta(days=BEDS_FRESH_DAYS + 1))
    full = service(name="Full", beds_available=0, beds_confirmed_at=NOW)
    unknown = service(name="Unknown")

    assert names(match(detox(available_only=True), [fresh, stale, full, unknown], NOW)) == ["Fresh"]
    assert len(match(detox(available_only=False), [fresh, stale, full, unknown], NOW).suggestions) == 4


def test_bed_confirmations_count_london_calendar_days_across_the_march_clock_change() -> None:
    # confirmed 23:30 on Saturday 28 March 2026 (GMT); asked at 00:30 on Monday 30 March (BST): two days ago in
    # London, although only 24 hours (one UTC date) have passed
    confirmed = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    asked = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)
    one = service(beds_available=3, beds_confirmed_at=confirmed)

    [suggestion] = match(detox(), [one], asked).suggestions

    assert local_days_since(confirmed, asked) == 2
    assert "3 beds free, confirmed 2 days ago" in suggestion.reasons


def test_bed_confirmations_across_the_october_clock_change() -> None:
    # 00:30 BST on Sunday 25 October 2026 is 23:30 UTC on the 24th; asked 23:59 GMT the same Sunday: today
    confirmed = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    asked = datetime(2026, 10, 25, 23, 59, tzinfo=UTC)

    [suggestion] = match(detox(), [service(beds_available=1, beds_confirmed_at=confirmed)], asked).suggestions

    assert local_days_since(confirmed, asked) == 0
    assert "1 bed free, confirmed today" in suggestion.reasons


def test_near_misses_are_services_of_the_type_failing_one_filter() -> None:
    one_miss = service(name="Alcohol only", substances=[Substance.ALCOHOL.value])
    two_misses = service(name="Far and alcohol", substances=[Substance.ALCOHOL.value], region=Region.WALES)
    wrong_type = service(name="Rehab", service_type=ServiceType.RESIDENTIAL_REHAB)

    result = match(detox(region=Region.LONDON), [one_miss, two_misses, wrong_type], NOW)

    assert result.suggestions == ()
    assert [(m.service.name, m.missed) for m in result.near_misses] == [("Alcohol only", "Does not treat heroin")]


# --- reasons and scores ------------------------------------------------------------------------------------------


def test_reasons_name_the_substance_funding_region_dual_diagnosis_beds_and_wait() -> None:
    one = service(
        substances=[Substance.HEROIN.value, Substance.ALCOHOL.value],
        funding=[Funding.NHS.value],
        dual_diagnosis=True,
        beds_available=3,
        beds_confirmed_at=NOW - timedelta(days=2),
        typical_wait_days=7,
        rating=Rating.GOOD,
    )
    criteria = detox(
        other_substances=(Substance.ALCOHOL,),
        funding_route=FundingRoute.NHS_LOCAL_AUTHORITY,
        region=Region.LONDON,
        dual_diagnosis=True,
    )

    [suggestion] = match(criteria, [one], NOW).suggestions

    assert suggestion.reasons == (
        "Treats heroin",
        "Also treats alcohol",
        "Takes NHS funding",
        "In London",
        "Dual-diagnosis capable",
        "3 beds free, confirmed 2 days ago",
        "Typical wait 7 days",
        "Rated good by the Care Quality Commission",
    )
    assert suggestion.score == 2 + 1 + 2 + 2 + 2 + 2 + 1
    assert suggestion.checks == ()


def test_reasons_for_a_uk_wide_service_and_one_treating_any_substance() -> None:
    one = service(region=Region.NATIONAL, substances=[], funding=[Funding.SELF_FUNDED.value])

    reasons = reasons_of(one, detox(region=Region.LONDON, funding_route=FundingRoute.SELF_FUNDED))

    assert reasons == ("Treats any substance", "Takes self-funded places", "Takes callers UK-wide")


def test_checks_say_what_to_confirm() -> None:
    one = service(
        min_age=18,
        max_age=25,
        gender=Gender.WOMEN,
        beds_available=2,
        beds_confirmed_at=NOW - timedelta(days=10),
        rating=Rating.INADEQUATE,
    )

    checks = checks_of(one, detox(dual_diagnosis=True))

    assert checks == (
        "Funding route not known: check how the place would be paid for",
        "Not dual-diagnosis capable, and the caller has mental-health needs",
        "2 beds free when last confirmed, 10 days ago: check they still are",
        "Rated inadequate by its regulator",
        "Takes ages 18–25: check the caller's age",
        "Women only",
    )


# --- order -----------------------------------------------------------------------------------------------------


def test_order_is_score_then_shorter_wait_then_name() -> None:
    best = service(name="Zeta", substances=[Substance.HEROIN.value])  # +2 for treating heroin by name
    quick = service(name="Beta", substances=[], typical_wait_days=3)
    slow = service(name="Alpha", substances=[], typical_wait_days=10)
    unknown_wait = service(name="Aardvark", substances=[])
    same_wait_b = service(name="delta", substances=[], typical_wait_days=3)

    result = match(detox(), [unknown_wait, slow, quick, best, same_wait_b], NOW)

    assert names(result) == ["Zeta", "Beta", "delta", "Alpha", "Aardvark"]
    assert [s.rank for s in result.suggestions] == [1, 2, 3, 4, 5]


def test_order_of_identical_services_is_by_id() -> None:
    first, second = service(name="Same", id=501), service(name="Same", id=502)

    assert [s.service.id for s in match(detox(), [second, first], NOW).suggestions] == [501, 502]


def test_criteria_for_takes_the_assessment_unless_the_advisor_changed_it() -> None:
    needs = Needs(
        pathway=Pathway.RESIDENTIAL_REHAB,
        substance=Substance.HEROIN,
        substances=(Substance.HEROIN, Substance.ALCOHOL),
        funding_route=FundingRoute.SELF_FUNDED,
        dual_diagnosis=True,
    )

    kept = criteria_for(needs, region=Region.WALES)
    changed = criteria_for(needs, substance=Substance.ALCOHOL, pathway=Pathway.MEDICAL_DETOX, dual_diagnosis=False)

    assert (kept.pathway, kept.substance, kept.other_substances) == (
        Pathway.RESIDENTIAL_REHAB,
        Substance.HEROIN,
        (Substance.ALCOHOL,),
    )
    assert (kept.funding_route, kept.dual_diagnosis, kept.region) == (FundingRoute.SELF_FUNDED, True, Region.WALES)
    assert (changed.pathway, changed.substance, changed.other_substances) == (
        Pathway.MEDICAL_DETOX,
        Substance.ALCOHOL,
        (Substance.HEROIN,),
    )
    assert changed.dual_diagnosis is False


# --- neutrality ----------------------------------------------------------------------------------------------------

_relationships = st.sampled_from(list(CommercialRelationship))


@st.composite
def directories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Between 1 and 12 services' attributes, drawn from the values that matter to the matcher."""
    count = draw(st.integers(1, 12))
    rows = []
    for index in range(count):
        confirmed = draw(st.one_of(st.none(), st.integers(0, 20)))
        rows.append(
            {
                "id": index + 1,
                "name": draw(st.sampled_from(["Alder", "Birch", "Cedar", "Damson"])),
                "service_type": draw(st.sampled_from([ServiceType.MEDICAL_DETOX, ServiceType.DUAL_DIAGNOSIS])),
                "is_active": draw(st.booleans()),
                "region": draw(st.sampled_from([Region.LONDON, Region.NATIONAL, Region.WALES])),
                "regulator": draw(st.sampled_from([Regulator.CQC, Regulator.NONE])),
                "substances": draw(
                    st.lists(st.sampled_from(["heroin", "alcohol", "cocaine"]), max_size=3, unique=True)
                ),
                "funding": draw(st.lists(st.sampled_from([f.value for f in Funding]), max_size=4, unique=True)),
                "dual_diagnosis": draw(st.booleans()),
                "typical_wait_days": draw(st.one_of(st.none(), st.integers(0, 30))),
                "beds_available": None if confirmed is None else draw(st.integers(0, 5)),
                "beds_confirmed_at": None if confirmed is None else NOW - timedelta(days=confirmed),
                "rating": draw(st.sampled_from([None, Rating.GOOD, Rating.INADEQUATE])),
                "gender": draw(st.sampled_from(list(Gender))),
                "min_age": draw(st.sampled_from([None, 18])),
            }
        )
    return rows


@st.composite
def criteria_sets(draw: st.DrawFn) -> Criteria:
    return Criteria(
        pathway=draw(st.sampled_from([Pathway.MEDICAL_DETOX, Pathway.DUAL_DIAGNOSIS])),
        substance=draw(st.sampled_from([None, Substance.HEROIN, Substance.ALCOHOL])),
        other_substances=draw(st.sampled_from([(), (Substance.COCAINE,)])),
        funding_route=draw(st.sampled_from(list(FundingRoute))),
        dual_diagnosis=draw(st.booleans()),
        region=draw(st.sampled_from([None, Region.LONDON])),
        age=draw(st.sampled_from([None, 17, 30])),
        gender=draw(st.sampled_from([None, Gender.WOMEN, Gender.MEN])),
        available_only=draw(st.booleans()),
    )


def _with_links(rows: list[dict[str, Any]], links: list[CommercialRelationship]) -> list[TreatmentService]:
    return [
        TreatmentService(
            **row,
            commercial_relationship=link,
            commercial_detail=None if link is CommercialRelationship.NONE else "10% of the first month's fee",
        )
        for row, link in zip(rows, links, strict=True)
    ]


@given(rows=directories(), criteria=criteria_sets(), data=st.data())
def test_commercial_relationships_never_change_the_ranking(
    rows: list[dict[str, Any]], criteria: Criteria, data: st.DataObject
) -> None:
    before = data.draw(st.lists(_relationships, min_size=len(rows), max_size=len(rows)))
    after = data.draw(st.lists(_relationships, min_size=len(rows), max_size=len(rows)))

    first = match(criteria, _with_links(rows, before), NOW)
    second = match(criteria, _with_links(rows, after), NOW)

    assert ranking(first) == ranking(second)
    assert [s.reasons for s in first.suggestions] == [s.reasons for s in second.suggestions]
    assert [(m.service.id, m.missed) for m in first.near_misses] == [
        (m.service.id, m.missed) for m in second.near_misses
    ]
