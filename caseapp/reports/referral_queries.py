"""The referral and neutrality reports' aggregations: GROUP BY in the database, a fixed number of statements however
many offers and referrals there are (two for the referrals report, three for the neutrality report).

When things happened:
- a referral belongs to the period by when it was offered: its offer's `created_at`, or, for a referral made outside
  an offer, its own `created_at`;
- an admission belongs to the period by the referral's `admitted_at`;
- an offer (with its suggested and offered services) belongs to the period by its `created_at`.

A referral "reached" a status when that status, or one that can only come after it, is its current status or the
`to_status` of any event in its history (REACHED below): a referral now admitted reached sent and accepted even if
those steps were never recorded on their own.

Percentiles use the nearest-rank method (as the callbacks report does): the p-th percentile of n values sorted
ascending is the value at position ceil(p * n), so the median of 4 values is the 2nd and the 90th percentile of 10
values is the 9th. Written with ROW_NUMBER() so the same statement runs on SQLite.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from caseapp.calls.models import Call
from caseapp.directory.models import CommercialRelationship, TreatmentService
from caseapp.extensions import db
from caseapp.referrals.models import (
    DeclineReason,
    Referral,
    ReferralEvent,
    ReferralOffer,
    ReferralOfferItem,
    ReferralStatus,
)
from caseapp.reports.params import Period

S = ReferralStatus
#: each step counted, and the statuses that show a referral got at least that far
REACHED: dict[str, tuple[ReferralStatus, ...]] = {
    "offered": (S.OFFERED, S.SENT, S.ACCEPTED, S.DECLINED, S.WAITLISTED, S.ADMITTED, S.DID_NOT_ATTEND),
    "sent": (S.SENT, S.ACCEPTED, S.DECLINED, S.WAITLISTED, S.ADMITTED, S.DID_NOT_ATTEND),
    "accepted": (S.ACCEPTED, S.ADMITTED, S.DID_NOT_ATTEND),
    "declined": (S.DECLINED,),
    "waitlisted": (S.WAITLISTED,),
    "admitted": (S.ADMITTED,),
    "did_not_attend": (S.DID_NOT_ATTEND,),
    "withdrawn": (S.WITHDRAWN,),
}
#: what referrals without an offer (so without a pathway or funding route) are grouped under
NO_OFFER = "none"
#: rank groups of the neutrality report, in order
RANK_GROUPS = ("1", "2", "3", "4", "5+", "not_suggested")
#: the admission-times line counting admissions on cases with no call logged
UNTIMED = "no_first_call"
#: the most undisclosed commercial offers listed by id (the count is always complete)
MAX_EXCEPTIONS = 200


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _seconds_between(later: Any, earlier: Any) -> sa.ColumnElement[Any]:
    if _dialect() == "sqlite":
        return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0
    return sa.extract("epoch", later - earlier)


def _count(*conditions: Any) -> sa.ColumnElement[int]:
    return sa.func.count().filter(sa.and_(*conditions))


def _in(column: Any, period: Period) -> tuple[sa.ColumnElement[bool], ...]:
    return column >= period.start, column < period.end


# --- the referrals report ----------------------------------------------------------------------------------------


def _referral_rows(period: Period) -> sa.Subquery:
    """One row per referral offered in the period: its service, pathway, current status, decline reason and a flag
    per step (REACHED)."""
    history = (
        sa.select(
            ReferralEvent.referral_id,
            *(
                sa.func.max(sa.case((ReferralEvent.to_status.in_(statuses), 1), else_=0)).label(step)
                for step, statuses in REACHED.items()
            ),
        )
        .group_by(ReferralEvent.referral_id)
        .subquery("history")
    )
    latest_decline = (
        sa.select(ReferralEvent.decline_reason)
        .where(ReferralEvent.referral_id == Referral.id, ReferralEvent.to_status == S.DECLINED)
        .order_by(ReferralEvent.at.desc(), ReferralEvent.id.desc())
        .limit(1)
        .correlate(Referral)
        .scalar_subquery()
    )
    offered_at = sa.func.coalesce(ReferralOffer.created_at, Referral.created_at)

    def reached(step: str) -> sa.ColumnElement[bool]:
        ever = sa.or_(Referral.status.in_(REACHED[step]), sa.func.coalesce(getattr(history.c, step), 0) == 1)
        return sa.or_(ever, Referral.admitted_at.is_not(None)) if step == "admitted" else ever

    return (
        sa.select(
            Referral.service_id,
            TreatmentService.name.label("service_name"),
            TreatmentService.commercial_relationship,
            sa.func.coalesce(ReferralOffer.pathway, NO_OFFER).label("pathway"),
            Referral.status,
            sa.func.coalesce(Referral.decline_reason, latest_decline).label("decline_reason"),
            *(reached(step).label(step) for step in REACHED),
        )
        .join(TreatmentService, TreatmentService.id == Referral.service_id)
        .outerjoin(ReferralOfferItem, ReferralOfferItem.id == Referral.offer_item_id)
        .outerjoin(ReferralOffer, ReferralOffer.id == ReferralOfferItem.offer_id)
        .outerjoin(history, history.c.referral_id == Referral.id)
        .where(*_in(offered_at, period))
        .subquery("offered_referrals")
    )


def referral_outcomes(period: Period) -> list[sa.Row[Any]]:
    """Referrals offered in the period counted three ways in one statement (`level`): per service (with its name
    and current commercial link), per pathway, and all together. Columns: referrals; each step of REACHED;
    declined_<reason> per DeclineReason; now_<status> per ReferralStatus (the current status)."""
    rows = _referral_rows(period)
    counts = [
        sa.func.count().label("referrals"),
        *(_count(getattr(rows.c, step)).label(step) for step in REACHED),
        *(
            _count(rows.c.declined, rows.c.decline_reason == reason).label(f"declined_{reason.value}")
            for reason in DeclineReason
        ),
        *(_count(rows.c.status == status).label(f"now_{status.value}") for status in ReferralStatus),
    ]
    no_int = sa.cast(sa.null(), sa.Integer)
    no_text = sa.cast(sa.null(), sa.String)
    by_service = sa.select(
        sa.literal("service").label("level"),
        rows.c.service_id,
        rows.c.service_name,
        sa.cast(rows.c.commercial_relationship, sa.String).label("commercial_relationship"),
        no_text.label("pathway"),
        *counts,
    ).group_by(rows.c.service_id, rows.c.service_name, rows.c.commercial_relationship)
    by_pathway = sa.select(
        sa.literal("pathway"), no_int, no_text, no_text, sa.cast(rows.c.pathway, sa.String), *counts
    ).group_by(rows.c.pathway)
    overall = sa.select(sa.literal("all"), no_int, no_text, no_text, no_text, *counts)
    statement: sa.CompoundSelect = sa.union_all(by_service, by_pathway, overall)
    return list(db.session.execute(statement))


def admission_times(period: Period) -> list[sa.Row[Any]]:
    """Referrals admitted in the period (by `admitted_at`), from the case's first call (the earliest
    calls.started_at on the case) to admission, in seconds: count, median and 90th percentile (nearest rank) per
    pathway, per funding route (both the offer's; `none` without an offer) and all together (`level`). Admissions on
    a case with no call logged have no first call: they are left out, and counted on a line of their own (`level`
    UNTIMED)."""
    first_call = (
        sa.select(sa.func.min(Call.started_at))
        .where(Call.case_id == Referral.case_id)
        .correlate(Referral)
        .scalar_subquery()
    )
    admissions = (
        sa.select(
            sa.cast(sa.func.coalesce(ReferralOffer.pathway, NO_OFFER), sa.String).label("pathway"),
            sa.cast(sa.func.coalesce(ReferralOffer.funding_route, NO_OFFER), sa.String).label("funding_route"),
            first_call.label("first_call_at"),
            Referral.admitted_at,
        )
        .outerjoin(ReferralOfferItem, ReferralOfferItem.id == Referral.offer_item_id)
        .outerjoin(ReferralOffer, ReferralOffer.id == ReferralOfferItem.offer_id)
        .where(Referral.admitted_at.is_not(None), *_in(Referral.admitted_at, period))
        .subquery("admissions")
    )
    seconds = _seconds_between(admissions.c.admitted_at, admissions.c.first_call_at)
    timed = admissions.c.first_call_at.is_not(None)
    keyed = sa.union_all(
        *(
            sa.select(sa.literal(level).label("level"), key.label("key"), seconds.label("seconds")).where(timed)
            for level, key in (
                ("pathway", admissions.c.pathway),
                ("funding_route", admissions.c.funding_route),
                ("all", sa.literal("")),
            )
        ),
        sa.select(sa.literal(UNTIMED), sa.literal(""), seconds).where(sa.not_(timed)),
    ).subquery("keyed")
    ranked = sa.select(
        keyed.c.level,
        keyed.c.key,
        keyed.c.seconds,
        sa.func.row_number().over(partition_by=(keyed.c.level, keyed.c.key), order_by=keyed.c.seconds).label("n"),
        sa.func.count().over(partition_by=(keyed.c.level, keyed.c.key)).label("size"),
    ).subquery("ranked")
    statement = (
        sa.select(
            ranked.c.level,
            ranked.c.key,
            sa.func.count().label("admissions"),
            sa.func.max(sa.case((ranked.c.n == (ranked.c.size + 1) // 2, ranked.c.seconds))).label("median"),
            sa.func.max(sa.case((ranked.c.n == (ranked.c.size * 9 + 9) // 10, ranked.c.seconds))).label("p90"),
        )
        .group_by(ranked.c.level, ranked.c.key)
        .order_by(ranked.c.level, ranked.c.key)
    )
    return list(db.session.execute(statement))


# --- the neutrality report ---------------------------------------------------------------------------------------


def _offer_items(period: Period) -> sa.Subquery:
    """Every suggested or offered service of the offers made in the period, with: its rank (null: not suggested),
    whether it was offered, its commercial link as it was at the offer, the disclosure, whether the referral made
    from it was admitted (ever: `admitted_at` set), and whether it was among the offer's top-ranked suggestions,
    as many as the offer offered (`top_ranked`: what offering by rank alone would have offered)."""
    position = sa.func.row_number().over(
        partition_by=ReferralOfferItem.offer_id,
        order_by=(ReferralOfferItem.rank.is_(None), ReferralOfferItem.rank, ReferralOfferItem.id),
    )
    offered_here = sa.func.sum(sa.case((ReferralOfferItem.offered, 1), else_=0)).over(
        partition_by=ReferralOfferItem.offer_id
    )
    return (
        sa.select(
            ReferralOfferItem.id,
            ReferralOfferItem.offer_id,
            ReferralOfferItem.service_id,
            ReferralOfferItem.rank,
            ReferralOfferItem.offered,
            (ReferralOfferItem.commercial_relationship != CommercialRelationship.NONE).label("commercial"),
            sa.func.coalesce(ReferralOfferItem.disclosed, sa.false()).label("disclosed"),
            Referral.admitted_at.is_not(None).label("admitted"),
            sa.and_(ReferralOfferItem.rank.is_not(None), position <= offered_here).label("top_ranked"),
        )
        .join(ReferralOffer, ReferralOffer.id == ReferralOfferItem.offer_id)
        .outerjoin(Referral, Referral.offer_item_id == ReferralOfferItem.id)
        .where(*_in(ReferralOffer.created_at, period))
        .subquery("items")
    )


def counts_by_rank(period: Period) -> list[sa.Row[Any]]:
    """Per rank group (RANK_GROUPS) with any items: suggested, offered, admitted, each also for services with a
    commercial link at the offer, the disclosed ones among the commercial offers, and the top-ranked suggestions
    (all, and commercial)."""
    items = _offer_items(period)
    group = sa.case(
        (items.c.rank.is_(None), "not_suggested"),
        (items.c.rank >= 5, "5+"),
        else_=sa.cast(items.c.rank, sa.String),
    ).label("rank_group")
    suggested = items.c.rank.is_not(None)
    commercial = items.c.commercial
    statement = sa.select(
        group,
        _count(suggested).label("suggested"),
        _count(items.c.offered).label("offered"),
        _count(items.c.admitted).label("admitted"),
        _count(suggested, commercial).label("suggested_commercial"),
        _count(items.c.offered, commercial).label("offered_commercial"),
        _count(items.c.admitted, commercial).label("admitted_commercial"),
        _count(items.c.offered, commercial, items.c.disclosed).label("offered_commercial_disclosed"),
        _count(items.c.top_ranked).label("top_ranked"),
        _count(items.c.top_ranked, commercial).label("top_ranked_commercial"),
    ).group_by(group)
    return list(db.session.execute(statement))


def counts_by_service(period: Period) -> list[sa.Row[Any]]:
    """Per service suggested or offered in the period: its name and current commercial link; times suggested, the
    mean and median (nearest rank) of its ranks when suggested; times offered (and of those, offered without being
    suggested), admitted; offered while it had a commercial link."""
    items = _offer_items(period)
    ranked = sa.select(
        items,
        sa.func.row_number()
        .over(partition_by=(items.c.service_id, items.c.rank.is_(None)), order_by=items.c.rank)
        .label("n"),
        sa.func.count(items.c.rank).over(partition_by=items.c.service_id).label("size"),
    ).subquery("ranked")
    suggested = ranked.c.rank.is_not(None)
    statement = (
        sa.select(
            ranked.c.service_id,
            TreatmentService.name.label("service_name"),
            TreatmentService.commercial_relationship,
            _count(suggested).label("suggested"),
            sa.func.avg(ranked.c.rank).label("mean_rank"),
            sa.func.max(sa.case((sa.and_(suggested, ranked.c.n == (ranked.c.size + 1) // 2), ranked.c.rank))).label(
                "median_rank"
            ),
            _count(ranked.c.offered).label("offered"),
            _count(ranked.c.offered, ranked.c.rank.is_(None)).label("offered_not_suggested"),
            _count(ranked.c.admitted).label("admitted"),
            _count(ranked.c.offered, ranked.c.commercial).label("offered_commercial"),
        )
        .join(TreatmentService, TreatmentService.id == ranked.c.service_id)
        .group_by(ranked.c.service_id, TreatmentService.name, TreatmentService.commercial_relationship)
        .order_by(TreatmentService.name, ranked.c.service_id)
    )
    return list(db.session.execute(statement))


def undisclosed_commercial_offers(period: Period) -> list[sa.Row[Any]]:
    """Services offered in the period while they had a commercial link, without the disclosure recorded (the
    database refuses these, so this should stay empty): offer, case, service and item ids, and the offer's time."""
    statement = (
        sa.select(
            ReferralOffer.id.label("offer_id"),
            ReferralOffer.case_id,
            ReferralOfferItem.service_id,
            ReferralOfferItem.id.label("item_id"),
            ReferralOffer.created_at.label("offered_at"),
        )
        .join(ReferralOffer, ReferralOffer.id == ReferralOfferItem.offer_id)
        .where(
            *_in(ReferralOffer.created_at, period),
            ReferralOfferItem.offered,
            ReferralOfferItem.commercial_relationship != CommercialRelationship.NONE,
            sa.func.coalesce(ReferralOfferItem.disclosed, sa.false()).is_(sa.false()),
        )
        .order_by(ReferralOffer.created_at, ReferralOfferItem.id)
        .limit(MAX_EXCEPTIONS)
    )
    return list(db.session.execute(statement))
