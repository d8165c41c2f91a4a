"""Rows for the referral and neutrality reports' tests, written straight to the tables (the services that record
offers and move referrals are tested on their own), and the reports' figures worked out again in plain Python from
what each test wrote."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from caseapp.auth.models import Role, User
from caseapp.cases.models import Case
from caseapp.directory.models import CommercialRelationship, TreatmentService
from caseapp.extensions import db
from caseapp.reference import FundingRoute, Pathway
from caseapp.referrals.models import (
    DeclineReason,
    Referral,
    ReferralEvent,
    ReferralOffer,
    ReferralOfferItem,
    ReferralStatus,
)
from tests import factories

LONDON = ZoneInfo("Europe/London")
S = ReferralStatus
NONE = CommercialRelationship.NONE


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class ItemRow:
    id: int
    offer_id: int
    service_id: int
    rank: int | None
    offered: bool
    commercial: bool
    disclosed: bool | None


@dataclass
class OfferRow:
    id: int
    case_id: int
    at: datetime
    pathway: str
    funding_route: str
    items: list[ItemRow] = field(default_factory=list)


@dataclass
class ReferralRow:
    id: int
    case_id: int
    service_id: int
    item_id: int | None
    offered_at: datetime
    status: ReferralStatus
    history: list[ReferralStatus]
    decline_reason: str | None
    admitted_at: datetime | None


@dataclass
class Written:
    """What a test wrote, as plain values."""

    advisor: User | None = None
    offers: list[OfferRow] = field(default_factory=list)
    referrals: list[ReferralRow] = field(default_factory=list)
    first_calls: dict[int, datetime] = field(default_factory=dict)
    services: dict[int, tuple[str, str]] = field(default_factory=dict)

    def _advisor(self) -> User:
        if self.advisor is None:
            self.advisor = factories.make_user(role=Role.ADVISOR)
        return self.advisor

    def service(self, commercial: CommercialRelationship = NONE, **overrides: Any) -> TreatmentService:
        row = factories.make_treatment_service(commercial_relationship=commercial, **overrides)
        self.services[row.id] = (row.name, commercial.value)
        return row

    def case(self, first_call_at: datetime | None = None) -> Case:
        """A case; with `first_call_at`, calls logged on it then and a day later (the earliest is the first)."""
        case = factories.make_case()
        if first_call_at is not None:
            for started in (first_call_at + timedelta(days=1), first_call_at):
                factories.make_call(case, started_at=started, ended_at=started + timedelta(minutes=10))
            self.first_calls[case.id] = first_call_at
        return case

    def offer(
        self,
        at: datetime,
        items: list[tuple[TreatmentService, int | None, bool]],
        *,
        case: Case | None = None,
        pathway: Pathway = Pathway.RESIDENTIAL_REHAB,
        funding: FundingRoute = FundingRoute.NHS_LOCAL_AUTHORITY,
        undisclosed: frozenset[int] = frozenset(),
    ) -> OfferRow:
        """An offer made `at`, with (service, rank or None, offered) items; the commercial link is the service's
        now, and disclosed for every commercial offer except the services in `undisclosed` (the database refuses
        those, so tests write them by dropping the check: see allow_undisclosed)."""
        case = case or self.case()
        offer = ReferralOffer(
            case_id=case.id,
            advisor_id=self._advisor().id,
            pathway=pathway,
            funding_route=funding,
            criteria={},
            reason="Matched on need",
            created_at=at,
        )
        db.session.add(offer)
        db.session.flush()
        row = OfferRow(offer.id, case.id, at, pathway.value, funding.value)
        for service, rank, offered in items:
            commercial = service.commercial_relationship is not NONE
            disclosed = (service.id not in undisclosed) if (offered and commercial) else None
            item = ReferralOfferItem(
                offer_id=offer.id,
                service_id=service.id,
                rank=rank,
                offered=offered,
                commercial_relationship=service.commercial_relationship,
                disclosed=disclosed,
            )
            db.session.add(item)
            db.session.flush()
            row.items.append(ItemRow(item.id, offer.id, service.id, rank, offered, commercial, disclosed))
        self.offers.append(row)
        return row

    def item(self, offer: OfferRow, service: TreatmentService) -> ItemRow:
        return next(i for i in offer.items if i.service_id == service.id)

    def refer(
        self,
        status: ReferralStatus,
        *,
        offer: OfferRow | None = None,
        item: ItemRow | None = None,
        case: Case | None = None,
        service: TreatmentService | None = None,
        history: tuple[ReferralStatus, ...] = (),
        reason: DeclineReason | None = None,
        admitted_at: datetime | None = None,
        created_at: datetime | None = None,
    ) -> ReferralRow:
        """A referral now in `status`, with events to each of `history` (then to `status`) an hour apart from the
        offer's time; from `item` of `offer`, or (case, service) outside an offer."""
        start = offer.at if offer is not None else (created_at or utc(2026, 6, 1, 12))
        case_id = offer.case_id if offer is not None else (case or self.case()).id
        service_id = item.service_id if item is not None else (service or self.service()).id
        extra: dict[str, Any] = {}
        if status is S.DECLINED:
            extra["decline_reason"] = reason or DeclineReason.NO_CAPACITY
        if admitted_at is not None or status is S.ADMITTED:
            extra["admitted_at"] = admitted_at or start + timedelta(days=10)
        referral = Referral(
            case_id=case_id,
            service_id=service_id,
            offer_item_id=item.id if item else None,
            status=status,
            status_changed_at=start + timedelta(hours=len(history) + 1),
            created_by_id=self._advisor().id,
            created_at=start,
            **extra,
        )
        db.session.add(referral)
        db.session.flush()
        previous: ReferralStatus | None = None
        for n, to in enumerate((*history, status)):
            event = ReferralEvent(
                referral_id=referral.id,
                from_status=previous,
                to_status=to,
                at=start + timedelta(hours=n),
                decline_reason=extra.get("decline_reason") if to is S.DECLINED else None,
            )
            db.session.add(event)
            previous = to
        db.session.flush()
        row = ReferralRow(
            referral.id,
            case_id,
            service_id,
            item.id if item else None,
            start,
            status,
            [*history, status],
            extra["decline_reason"].value if "decline_reason" in extra else None,
            extra.get("admitted_at"),
        )
        self.referrals.append(row)
        return row


# --- the figures, worked out again -----------------------------------------------------------------------------------


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _within(moment: datetime, first: date, last: date) -> bool:
    return first <= _local_day(moment) <= last


#: statuses whose presence shows a step was reached (written out again, not imported)
_AFTER = {
    "offered": {"offered", "sent", "accepted", "declined", "waitlisted", "admitted", "did_not_attend"},
    "sent": {"sent", "accepted", "declined", "waitlisted", "admitted", "did_not_attend"},
    "accepted": {"accepted", "admitted", "did_not_attend"},
}


def reached(referral: ReferralRow, step: str) -> bool:
    seen = {s.value for s in referral.history} | {referral.status.value}
    if step == "admitted" and referral.admitted_at is not None:
        return True
    return bool(seen & _AFTER.get(step, {step}))


STEPS = ("offered", "sent", "accepted", "declined", "waitlisted", "admitted", "did_not_attend", "withdrawn")


def _tally(rows: list[ReferralRow]) -> dict[str, int]:
    out: dict[str, int] = {"referrals": len(rows)}
    for step in STEPS:
        out[step] = sum(1 for r in rows if reached(r, step))
    for reason in DeclineReason:
        out[f"declined_{reason.value}"] = sum(
            1 for r in rows if reached(r, "declined") and r.decline_reason == reason.value
        )
    for status in ReferralStatus:
        out[f"now_{status.value}"] = sum(1 for r in rows if r.status is status)
    return out


def _pathway_of(written: Written, referral: ReferralRow) -> str:
    for offer in written.offers:
        if any(i.id == referral.item_id for i in offer.items):
            return offer.pathway
    return "none"


def expected_outcomes(written: Written, first: date, last: date) -> dict[str, Any]:
    rows = [r for r in written.referrals if _within(r.offered_at, first, last)]
    by_service: dict[int, list[ReferralRow]] = defaultdict(list)
    by_pathway: dict[str, list[ReferralRow]] = defaultdict(list)
    for r in rows:
        by_service[r.service_id].append(r)
        by_pathway[_pathway_of(written, r)].append(r)
    return {
        "totals": _tally(rows),
        "services": {sid: _tally(group) for sid, group in by_service.items()},
        "pathways": {key: _tally(group) for key, group in by_pathway.items()},
    }


def nearest_rank(values: list[float], p: float) -> float:
    """The value at position ceil(p * n) of the sorted values (1-based)."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered))) - 1]


def expected_admission_times(written: Written, first: date, last: date) -> dict[tuple[str, str], tuple[int, Any, Any]]:
    """(level, key) -> (admissions, median days, p90 days), rounded as the report rounds."""
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in written.referrals:
        if r.admitted_at is None or not _within(r.admitted_at, first, last) or r.case_id not in written.first_calls:
            continue
        days = (r.admitted_at - written.first_calls[r.case_id]).total_seconds() / 86400
        offer = next((o for o in written.offers if any(i.id == r.item_id for i in o.items)), None)
        groups[("all", "")].append(days)
        groups[("pathway", offer.pathway if offer else "none")].append(days)
        groups[("funding_route", offer.funding_route if offer else "none")].append(days)
    return {
        key: (len(values), round(nearest_rank(values, 0.5), 2), round(nearest_rank(values, 0.9), 2))
        for key, values in groups.items()
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def expected_neutrality(written: Written, first: date, last: date) -> dict[str, Any]:
    offers = [o for o in written.offers if _within(o.at, first, last)]
    admitted_items = {r.item_id for r in written.referrals if r.item_id is not None and r.admitted_at is not None}

    def group(rank: int | None) -> str:
        return "not_suggested" if rank is None else ("5+" if rank >= 5 else str(rank))

    ranks: dict[str, Counter[str]] = {key: Counter() for key in ("1", "2", "3", "4", "5+", "not_suggested")}
    services: dict[int, dict[str, Any]] = {}
    top = Counter[str]()
    disclosure = Counter[str]()
    for offer in offers:
        k = sum(1 for i in offer.items if i.offered)
        suggested_in_order = sorted((i for i in offer.items if i.rank is not None), key=lambda i: (i.rank, i.id))
        for i in suggested_in_order[:k]:
            top["total"] += 1
            top["commercial"] += i.commercial
        for i in offer.items:
            counts = ranks[group(i.rank)]
            admitted = i.id in admitted_items
            counts["suggested"] += i.rank is not None
            counts["offered"] += i.offered
            counts["admitted"] += admitted
            counts["suggested_commercial"] += i.rank is not None and i.commercial
            counts["offered_commercial"] += i.offered and i.commercial
            counts["admitted_commercial"] += admitted and i.commercial
            if i.offered and i.commercial:
                disclosure["commercial"] += 1
                disclosure["disclosed"] += bool(i.disclosed)
            s = services.setdefault(
                i.service_id,
                {"ranks": [], "offered": 0, "offered_not_suggested": 0, "admitted": 0, "offered_commercial": 0},
            )
            if i.rank is not None:
                s["ranks"].append(i.rank)
            s["offered"] += i.offered
            s["offered_not_suggested"] += i.offered and i.rank is None
            s["admitted"] += admitted
            s["offered_commercial"] += i.offered and i.commercial
    total = {name: sum(c[name] for c in ranks.values()) for name in ("suggested", "offered", "admitted")}
    commercial = {name: sum(c[f"{name}_commercial"] for c in ranks.values()) for name in total}
    return {
        "ranks": {key: dict(c) for key, c in ranks.items()},
        "services": {
            sid: {
                "suggested": len(s["ranks"]),
                "mean_rank": round(sum(s["ranks"]) / len(s["ranks"]), 2) if s["ranks"] else None,
                "median_rank": nearest_rank(s["ranks"], 0.5) if s["ranks"] else None,
                **{name: s[name] for name in ("offered", "offered_not_suggested", "admitted", "offered_commercial")},
            }
            for sid, s in services.items()
        },
        "shares": {
            **{name: (total[name], commercial[name], _share(commercial[name], total[name])) for name in total},
            "expected_top_ranked": (top["total"], top["commercial"], _share(top["commercial"], top["total"])),
            "expected_rank_1": (
                ranks["1"]["suggested"],
                ranks["1"]["suggested_commercial"],
                _share(ranks["1"]["suggested_commercial"], ranks["1"]["suggested"]),
            ),
        },
        "disclosure": (disclosure["commercial"], disclosure["disclosed"]),
        "not_suggested": (ranks["not_suggested"]["offered"], ranks["not_suggested"]["offered_commercial"]),
    }
