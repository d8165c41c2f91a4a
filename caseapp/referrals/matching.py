"""Which directory services fit a case, in what order, and why: pure functions, no I/O.

The rules, kept small on purpose (the README repeats them):

1. A service is suggested only if it passes every hard filter: it is active; its type serves the pathway; the
   caller's age and gender are within its criteria (when given); it accepts the funding route (when known); it
   treats the substance (when it lists substances); it is in the region or takes callers UK-wide (when a region is
   given); and, with "available beds only", it has beds free confirmed in the last BEDS_FRESH_DAYS days.
2. Each service that passes scores points for fit, each with a plain-English reason:
   treats the substance by name +2, each other substance of the case +1, takes the funding route +2, in the region
   +2 (UK-wide +1), dual-diagnosis capable when the case needs it +2, beds free and confirmed recently +2, rated
   good or better by its regulator +1.
3. Order: score (highest first), then the shorter typical wait (unknown last), then the name, then the id.
   The rank is the position in that order, from 1.

The service's commercial relationship with the helpline is never read here: it cannot change a score or an order
(tests/unit/referrals/test_matching.py proves it with generated directories).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from caseapp.directory.models import Funding, Gender, Rating, Region, Regulator, ServiceType, TreatmentService
from caseapp.reference import FundingRoute, Pathway, Substance
from caseapp.timeutil import local_days_since

#: "available beds only" counts beds confirmed free at most this many days ago (Europe/London calendar days)
BEDS_FRESH_DAYS = 7

#: the service types each pathway is served by (dual diagnosis: also any dual-diagnosis capable service)
PATHWAY_TYPES: dict[Pathway, frozenset[ServiceType]] = {
    Pathway.MEDICAL_DETOX: frozenset({ServiceType.MEDICAL_DETOX}),
    Pathway.RESIDENTIAL_REHAB: frozenset({ServiceType.RESIDENTIAL_REHAB}),
    Pathway.OUTPATIENT: frozenset({ServiceType.COMMUNITY}),
    Pathway.DUAL_DIAGNOSIS: frozenset({ServiceType.DUAL_DIAGNOSIS}),
    Pathway.SIGNPOSTED: frozenset(
        {ServiceType.HARM_REDUCTION, ServiceType.MUTUAL_AID, ServiceType.CRISIS, ServiceType.COMMUNITY}
    ),
    Pathway.NO_FURTHER_ACTION: frozenset(),
}

#: the directory's funding codes a case's funding route is paid by (unknown: no filter)
FUNDING_ACCEPTED: dict[FundingRoute, frozenset[Funding]] = {
    FundingRoute.SELF_FUNDED: frozenset({Funding.SELF_FUNDED}),
    FundingRoute.PRIVATE_INSURANCE: frozenset({Funding.INSURANCE}),
    FundingRoute.NHS_LOCAL_AUTHORITY: frozenset({Funding.NHS, Funding.LOCAL_AUTHORITY}),
}

GOOD_RATINGS = frozenset({Rating.OUTSTANDING, Rating.GOOD, Rating.EXCELLENT, Rating.VERY_GOOD})
POOR_RATINGS = frozenset({Rating.INADEQUATE, Rating.WEAK, Rating.UNSATISFACTORY})

NOTHING_FOR_NO_FURTHER_ACTION = (
    "The pathway is no further action, so no services are suggested. Choose another pathway to see services."
)
NO_PATHWAY = "This case has no assessment yet: choose a pathway to see services."


@dataclass(frozen=True)
class Needs:
    """What the case's latest current assessment says the caller needs (None: no assessment)."""

    pathway: Pathway | None = None
    substance: Substance | None = None
    substances: tuple[Substance, ...] = ()
    funding_route: FundingRoute = FundingRoute.UNKNOWN
    dual_diagnosis: bool = False


@dataclass(frozen=True)
class Criteria:
    """The matcher's inputs after the advisor's form: the assessment's values unless the advisor changed them."""

    pathway: Pathway | None = None
    substance: Substance | None = None
    #: the case's other substances (from the assessment)
    other_substances: tuple[Substance, ...] = ()
    funding_route: FundingRoute = FundingRoute.UNKNOWN
    dual_diagnosis: bool = False
    region: Region | None = None
    age: int | None = None
    #: whom the caller is, as services state whom they take: women or men (None: not given)
    gender: Gender | None = None
    available_only: bool = False

    def as_codes(self) -> dict[str, object]:
        """What an offer stores of them (codes and numbers only)."""
        return {
            "pathway": _code(self.pathway),
            "substance": _code(self.substance),
            "other_substances": [s.value for s in self.other_substances],
            "funding_route": self.funding_route.value,
            "dual_diagnosis": self.dual_diagnosis,
            "region": _code(self.region),
            "age": self.age,
            "gender": _code(self.gender),
            "available_only": self.available_only,
        }


def _code(value: object) -> str | None:
    return None if value is None else str(value)


def criteria_for(
    needs: Needs,
    *,
    pathway: Pathway | None = None,
    substance: Substance | None = None,
    funding_route: FundingRoute | None = None,
    dual_diagnosis: bool | None = None,
    region: Region | None = None,
    age: int | None = None,
    gender: Gender | None = None,
    available_only: bool = False,
) -> Criteria:
    """The criteria from the case's needs, with the advisor's changes (None: keep the assessment's value)."""
    chosen = substance or needs.substance
    return Criteria(
        pathway=pathway or needs.pathway,
        substance=chosen,
        other_substances=tuple(s for s in needs.substances if s != chosen),
        funding_route=funding_route or needs.funding_route,
        dual_diagnosis=needs.dual_diagnosis if dual_diagnosis is None else dual_diagnosis,
        region=region,
        age=age,
        gender=None if gender is Gender.ANY else gender,
        available_only=available_only,
    )


@dataclass(frozen=True)
class Suggestion:
    service: TreatmentService
    rank: int
    score: int
    #: why it matched, best reasons first
    reasons: tuple[str, ...]
    #: what to confirm with the caller or the service (a stale bed count, criteria not asked)
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class NearMiss:
    """A service of the pathway's type that failed exactly one filter, and which."""

    service: TreatmentService
    missed: str


@dataclass(frozen=True)
class Result:
    criteria: Criteria
    suggestions: tuple[Suggestion, ...]
    near_misses: tuple[NearMiss, ...] = ()
    #: why nothing is suggested, when that is the pathway's doing
    message: str | None = None

    def rank_of(self, service_id: int) -> int | None:
        return next((s.rank for s in self.suggestions if s.service.id == service_id), None)


@dataclass
class _Fit:
    score: int = 0
    reasons: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def add(self, points: int, reason: str) -> None:
        self.score += points
        self.reasons.append(reason)


def serves_pathway(service: TreatmentService, pathway: Pathway) -> bool:
    if pathway is Pathway.DUAL_DIAGNOSIS and service.dual_diagnosis:
        return True
    return service.service_type in PATHWAY_TYPES[pathway]


def _in_days(days: int) -> str:
    return "today" if days <= 0 else ("yesterday" if days == 1 else f"{days} days ago")


def _fresh_beds(service: TreatmentService, now: datetime) -> bool:
    confirmed = service.beds_confirmed_at
    return (
        bool(service.beds_available) and confirmed is not None and local_days_since(confirmed, now) <= BEDS_FRESH_DAYS
    )


def _misses(service: TreatmentService, criteria: Criteria, now: datetime) -> list[str]:
    """Every hard filter (after the type) the service fails, as the page says it."""
    missed = []
    age = criteria.age
    if age is not None and service.min_age is not None and age < service.min_age:
        missed.append(f"Takes people aged {service.min_age} and over")
    if age is not None and service.max_age is not None and age > service.max_age:
        missed.append(f"Takes people aged up to {service.max_age}")
    if criteria.gender is not None and service.gender not in (Gender.ANY, criteria.gender):
        missed.append(service.gender.label)
    accepted = FUNDING_ACCEPTED.get(criteria.funding_route)
    if accepted is not None and not accepted & set(service.funding or []):
        missed.append(_NOT_TAKEN[criteria.funding_route])
    if criteria.substance is not None and service.substances and criteria.substance not in service.substances:
        missed.append(f"Does not treat {criteria.substance.in_sentence}")
    region = criteria.region
    if region is not None and service.region not in (region, Region.NATIONAL):
        missed.append(f"Not in {region.label} ({service.region.label})")
    if criteria.available_only and not _fresh_beds(service, now):
        missed.append(f"No beds confirmed free in the last {BEDS_FRESH_DAYS} days")
    return missed


#: how a reason names what a service takes
_FUNDING_WORDS = {
    Funding.SELF_FUNDED: "self-funded places",
    Funding.INSURANCE: "private insurance",
    Funding.NHS: "NHS funding",
    Funding.LOCAL_AUTHORITY: "local authority funding",
}
#: how a near miss says what it does not take
_NOT_TAKEN = {
    FundingRoute.SELF_FUNDED: "Does not take self-funded places",
    FundingRoute.PRIVATE_INSURANCE: "Does not take private insurance",
    FundingRoute.NHS_LOCAL_AUTHORITY: "Does not take NHS or local authority funding",
}


def _funding_reason(route: FundingRoute, service: TreatmentService) -> str:
    taken = [f for f in Funding if f.value in (service.funding or []) and f in FUNDING_ACCEPTED[route]]
    return "Takes " + " and ".join(_FUNDING_WORDS[f] for f in taken)


def _fit(service: TreatmentService, criteria: Criteria, now: datetime) -> _Fit:
    fit = _Fit()
    _substances(service, criteria, fit)
    if criteria.funding_route in FUNDING_ACCEPTED:
        fit.add(2, _funding_reason(criteria.funding_route, service))
    else:
        fit.checks.append("Funding route not known: check how the place would be paid for")
    if criteria.region is not None and service.region == criteria.region:
        fit.add(2, f"In {service.region.label}")
    elif criteria.region is not None:
        fit.add(1, "Takes callers UK-wide")
    if criteria.dual_diagnosis and (service.dual_diagnosis or service.service_type is ServiceType.DUAL_DIAGNOSIS):
        fit.add(2, "Dual-diagnosis capable")
    elif criteria.dual_diagnosis:
        fit.checks.append("Not dual-diagnosis capable, and the caller has mental-health needs")
    _beds(service, now, fit)
    if service.typical_wait_days is not None:
        fit.reasons.append(f"Typical wait {_days(service.typical_wait_days)}")
    if service.rating in GOOD_RATINGS:
        fit.add(1, f"Rated {service.rating.in_sentence}{_by_regulator(service.regulator)}")
    elif service.rating in POOR_RATINGS:
        fit.checks.append(f"Rated {service.rating.in_sentence} by its regulator")
    _unasked(service, criteria, fit)
    return fit


def _substances(service: TreatmentService, criteria: Criteria, fit: _Fit) -> None:
    listed = set(service.substances or [])
    if criteria.substance is not None and criteria.substance in listed:
        fit.add(2, f"Treats {criteria.substance.in_sentence}")
    elif criteria.substance is not None and not listed:
        fit.reasons.append("Treats any substance")
    for other in criteria.other_substances:
        if other in listed:
            fit.add(1, f"Also treats {other.in_sentence}")


def _by_regulator(regulator: Regulator | None) -> str:
    """ " by the Care Quality Commission" (the label without its country), or nothing when there is none."""
    if regulator is None or regulator is Regulator.NONE:
        return ""
    return f" by the {regulator.label.split(' (')[0]}"


def _days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def _beds(service: TreatmentService, now: datetime, fit: _Fit) -> None:
    confirmed = service.beds_confirmed_at
    if service.beds_available is None or confirmed is None:
        return
    when = _in_days(local_days_since(confirmed, now))
    beds = "1 bed" if service.beds_available == 1 else f"{service.beds_available} beds"
    if _fresh_beds(service, now):
        fit.add(2, f"{beds} free, confirmed {when}")
    elif service.beds_available:
        fit.checks.append(f"{beds} free when last confirmed, {when}: check they still are")
    else:
        fit.checks.append(f"No beds free when last confirmed, {when}")


def _unasked(service: TreatmentService, criteria: Criteria, fit: _Fit) -> None:
    """A service's criteria the advisor has not given the caller's details for."""
    if criteria.age is None and (service.min_age is not None or service.max_age is not None):
        low, high = service.min_age, service.max_age
        ages = f"{low}–{high}" if low is not None and high is not None else (f"{low}+" if low else f"up to {high}")
        fit.checks.append(f"Takes ages {ages}: check the caller's age")
    if criteria.gender is None and service.gender is not Gender.ANY:
        fit.checks.append(f"{service.gender.label}")


def _order(item: tuple[TreatmentService, _Fit]) -> tuple[int, int, int, str, int]:
    """Score (highest first), shorter typical wait (unknown last), name, id."""
    service, fit = item
    wait = service.typical_wait_days
    return (-fit.score, wait is None, wait or 0, service.name.casefold(), service.id)


def match(criteria: Criteria, services: Iterable[TreatmentService], now: datetime) -> Result:
    """The ranked suggestions for `criteria` among `services`, and the near misses of the pathway's types."""
    if criteria.pathway is None:
        return Result(criteria, (), (), NO_PATHWAY)
    if criteria.pathway is Pathway.NO_FURTHER_ACTION:
        return Result(criteria, (), (), NOTHING_FOR_NO_FURTHER_ACTION)
    fits: list[tuple[TreatmentService, _Fit]] = []
    near: list[NearMiss] = []
    for service in services:
        if not service.is_active or not serves_pathway(service, criteria.pathway):
            continue
        missed = _misses(service, criteria, now)
        if not missed:
            fits.append((service, _fit(service, criteria, now)))
        elif len(missed) == 1:
            near.append(NearMiss(service, missed[0]))
    ranked = sorted(fits, key=_order)
    suggestions = tuple(
        Suggestion(service, rank, fit.score, tuple(fit.reasons), tuple(fit.checks))
        for rank, (service, fit) in enumerate(ranked, start=1)
    )
    near.sort(key=lambda miss: (miss.service.name.casefold(), miss.service.id))
    return Result(criteria, suggestions, tuple(near))


def ranking(result: Result) -> Sequence[tuple[int, int, int]]:
    """(rank, service id, score) of each suggestion: what neutrality is about."""
    return [(s.rank, s.service.id, s.score) for s in result.suggestions]
