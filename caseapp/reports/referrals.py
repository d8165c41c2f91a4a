"""The referrals report: referrals by service, conversion (offered → sent → accepted → admitted) and the time from a
case's first call to admission, for a period of Europe/London time.

Definitions (referral_queries says when each thing belongs to the period and what "reached" means):

- referrals: every referral of an offer made in the period (by the offer's time; outside an offer, by the referral's
  own time), whatever its status, so one still only suggested counts here but not as offered;
- offered, sent, accepted, declined, waitlisted, admitted, did_not_attend, withdrawn: how many of them reached that
  status (accepted includes those admitted or who did not attend, as the service had taken them);
- declined_<reason>: the declined ones by the reason recorded with the decline;
- now_<status>: how many are in each status today;
- conversion: sent of offered, accepted of sent, admitted of accepted, and admitted of offered (each a share of the
  step before, or of the offered for the last; null when there is nothing to divide by);
- time to admission: admissions in the period (by `admitted_at`), in days from the case's first call to admission,
  count, median and 90th percentile (nearest rank), per pathway, per funding route and overall; admissions on a case
  with no call logged are left out of these and counted apart (`without_first_call`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from caseapp.reference import FundingRoute, Pathway
from caseapp.referrals.models import DeclineReason, ReferralStatus
from caseapp.reports import referral_queries as queries
from caseapp.reports.formatting import CsvTable
from caseapp.reports.params import Period
from caseapp.reports.services import iso_local, zone_name
from caseapp.reports.telephony import share

STEPS = tuple(queries.REACHED)
DECLINED = tuple(f"declined_{reason.value}" for reason in DeclineReason)
NOW = tuple(f"now_{status.value}" for status in ReferralStatus)
COUNTS = ("referrals", *STEPS, *DECLINED, *NOW)
#: conversion rates: name -> (part, whole)
RATES = {
    "sent_of_offered": ("sent", "offered"),
    "accepted_of_sent": ("accepted", "sent"),
    "admitted_of_accepted": ("admitted", "accepted"),
    "admitted_of_offered": ("admitted", "offered"),
}
NO_OFFER_LABEL = "No offer recorded"
PATHWAY_LABELS = {p.value: p.label for p in Pathway} | {queries.NO_OFFER: NO_OFFER_LABEL}
FUNDING_LABELS = {f.value: f.label for f in FundingRoute} | {queries.NO_OFFER: NO_OFFER_LABEL}
DAY = 86400
TABLES = ("service", "pathway", "admission")


def _days(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / DAY, 2)


def _counts(row: Any) -> dict[str, Any]:
    counts: dict[str, Any] = {name: int(getattr(row, name)) for name in COUNTS}
    for name, (part, whole) in RATES.items():
        counts[name] = share(counts[part], counts[whole])
    return counts


def _empty() -> dict[str, Any]:
    counts: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    return counts | dict.fromkeys(RATES)


def _times(rows: list[Any], level: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    found = [row for row in rows if row.level == level]
    return [
        {
            "key": row.key,
            "label": labels.get(row.key, row.key),
            "admissions": int(row.admissions),
            "median_days": _days(row.median),
            "p90_days": _days(row.p90),
        }
        for row in sorted(found, key=lambda r: list(labels).index(r.key) if r.key in labels else len(labels))
    ]


def referrals_report(period: Period) -> dict[str, Any]:
    """Two statements: the referrals offered in the period by service, pathway and overall, and the admissions."""
    outcomes = queries.referral_outcomes(period)
    overall = next((row for row in outcomes if row.level == "all" and row.referrals), None)
    services = [
        {
            "service_id": row.service_id,
            "service": row.service_name,
            "commercial_relationship": row.commercial_relationship,
            **_counts(row),
        }
        for row in sorted(
            (row for row in outcomes if row.level == "service"), key=lambda r: (r.service_name, r.service_id)
        )
    ]
    order = list(PATHWAY_LABELS)
    pathways = [
        {"pathway": row.pathway, "label": PATHWAY_LABELS.get(row.pathway, row.pathway), **_counts(row)}
        for row in sorted(
            (row for row in outcomes if row.level == "pathway"),
            key=lambda r: order.index(r.pathway) if r.pathway in order else len(order),
        )
    ]
    times = queries.admission_times(period)
    everything = _times(times, "all", {"": "All admissions"})
    return {
        "timezone": zone_name(),
        "from": iso_local(period.start),
        "to": iso_local(period.end),
        "totals": _counts(overall) if overall is not None else _empty(),
        "services": services,
        "pathways": pathways,
        "admission_times": {
            "overall": everything[0] if everything else {"admissions": 0, "median_days": None, "p90_days": None},
            "without_first_call": sum(int(row.admissions) for row in times if row.level == queries.UNTIMED),
            "by_pathway": _times(times, "pathway", PATHWAY_LABELS),
            "by_funding_route": _times(times, "funding_route", FUNDING_LABELS),
        },
    }


_DERIVED: dict[str, Sequence[str]] = dict(RATES)


def referrals_table(report: dict[str, Any], by: str) -> CsvTable:
    """One table as CSV: per service (`service`), conversion overall and per pathway (`pathway`), or the time to
    admission overall, per pathway and per funding route (`admission`)."""
    if by == "admission":
        times = report["admission_times"]
        rows = [
            {"group": "all", "key": "", "label": "All admissions", **times["overall"]},
            *({"group": "pathway", **row} for row in times["by_pathway"]),
            *({"group": "funding_route", **row} for row in times["by_funding_route"]),
        ]
        return CsvTable(
            name="referrals-admission-times",
            columns=["group", "key", "label", "admissions", "median_days", "p90_days"],
            rows=rows,
            counts=("admissions",),
            derived={"median_days": ("admissions",), "p90_days": ("admissions",)},
        )
    if by == "pathway":
        rows = [{"pathway": "all", "label": "All referrals", **report["totals"]}, *report["pathways"]]
        return CsvTable(
            name="referrals-conversion",
            columns=["pathway", "label", *COUNTS, *RATES],
            rows=rows,
            counts=COUNTS,
            derived=_DERIVED,
        )
    return CsvTable(
        name="referrals-by-service",
        columns=["service_id", "service", "commercial_relationship", *COUNTS, *RATES],
        rows=report["services"],
        counts=COUNTS,
        derived=_DERIVED,
    )
