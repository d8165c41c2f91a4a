"""The neutrality report: whether the services offered to callers follow the rank the matcher gave them, and how
much goes to services with a commercial link with the helpline, for the offers made in a period.

Every figure counts items of those offers (a service suggested and/or offered in one offer), with the commercial
link as it was when the offer was made:

- by rank (1, 2, 3, 4, 5 or lower, not suggested): suggested (items with that rank), offered (of those), admitted
  (of those, the referral made from the item was admitted, whenever);
- by service: times suggested, mean and median (nearest rank) of its ranks when suggested, offered (and of those,
  offered without being suggested), admitted, and its commercial link in the directory today;
- commercial share: of the suggestions, the offers and the admissions, the share with a commercial link, beside two
  expectations if offers followed rank alone: the share among the rank-1 suggestions, and the share among each
  offer's top-ranked suggestions, as many as the offer offered (an offer of 2 services expects ranks 1 and 2);
- disclosure: of the commercial offers, how many had the link disclosed (must be all), with any exceptions listed;
- not suggested: services offered although the matcher did not suggest them, and the share with a commercial link.
"""

from __future__ import annotations

from typing import Any

from caseapp.reports import referral_queries as queries
from caseapp.reports.formatting import CsvTable
from caseapp.reports.params import Period
from caseapp.reports.services import iso_local, zone_name
from caseapp.reports.telephony import share

RANK_LABELS = {
    "1": "Rank 1 (best fit)",
    "2": "Rank 2",
    "3": "Rank 3",
    "4": "Rank 4",
    "5+": "Rank 5 or lower",
    "not_suggested": "Not suggested",
}
RANK_COUNTS = ("suggested", "offered", "admitted", "suggested_commercial", "offered_commercial", "admitted_commercial")
#: the commercial-share lines: key -> (label, total count, commercial count) summed over the rank groups
SHARE_LINES = (
    ("suggested", "Suggestions", "suggested", "suggested_commercial"),
    ("offered", "Offers", "offered", "offered_commercial"),
    ("admitted", "Admissions", "admitted", "admitted_commercial"),
    (
        "expected_top_ranked",
        "Expected by rank: each offer's top-ranked suggestions",
        "top_ranked",
        "top_ranked_commercial",
    ),
)
TABLES = ("rank", "service", "commercial")


def _rank_rows(found: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for key in queries.RANK_GROUPS:
        row = found.get(key)
        counts = {name: int(getattr(row, name)) if row else 0 for name in RANK_COUNTS}
        rows.append(
            {
                "rank": key,
                "label": RANK_LABELS[key],
                **counts,
                "offered_of_suggested": share(counts["offered"], counts["suggested"])
                if key != "not_suggested"
                else None,
                "admitted_of_offered": share(counts["admitted"], counts["offered"]),
            }
        )
    return rows


def _sum(found: dict[str, Any], name: str) -> int:
    return sum(int(getattr(row, name)) for row in found.values())


def _commercial(found: dict[str, Any]) -> list[dict[str, Any]]:
    lines = []
    for key, label, total, commercial in SHARE_LINES:
        whole, part = _sum(found, total), _sum(found, commercial)
        lines.append({"measure": key, "label": label, "total": whole, "commercial": part, "share": share(part, whole)})
    first = found.get("1")
    whole = int(first.suggested) if first else 0
    part = int(first.suggested_commercial) if first else 0
    lines.append(
        {
            "measure": "expected_rank_1",
            "label": "Expected by rank: rank-1 suggestions",
            "total": whole,
            "commercial": part,
            "share": share(part, whole),
        }
    )
    return lines


def neutrality_report(period: Period) -> dict[str, Any]:
    """Three statements: the items by rank group, by service, and the undisclosed commercial offers."""
    found = {row.rank_group: row for row in queries.counts_by_rank(period)}
    services = [
        {
            "service_id": row.service_id,
            "service": row.service_name,
            "commercial_relationship": row.commercial_relationship.value,
            "suggested": int(row.suggested),
            "mean_rank": round(float(row.mean_rank), 2) if row.mean_rank is not None else None,
            "median_rank": int(row.median_rank) if row.median_rank is not None else None,
            "offered": int(row.offered),
            "offered_not_suggested": int(row.offered_not_suggested),
            "admitted": int(row.admitted),
            "offered_commercial": int(row.offered_commercial),
        }
        for row in queries.counts_by_service(period)
    ]
    exceptions = [
        {
            "offer_id": row.offer_id,
            "case_id": row.case_id,
            "service_id": row.service_id,
            "item_id": row.item_id,
            "offered_at": iso_local(row.offered_at),
        }
        for row in queries.undisclosed_commercial_offers(period)
    ]
    commercial_offers = _sum(found, "offered_commercial")
    disclosed = _sum(found, "offered_commercial_disclosed")
    unsuggested = found.get("not_suggested")
    unsuggested_offered = int(unsuggested.offered) if unsuggested else 0
    unsuggested_commercial = int(unsuggested.offered_commercial) if unsuggested else 0
    return {
        "timezone": zone_name(),
        "from": iso_local(period.start),
        "to": iso_local(period.end),
        "items": _sum(found, "suggested") + unsuggested_offered,
        "ranks": _rank_rows(found),
        "services": services,
        "commercial": _commercial(found),
        "disclosure": {
            "commercial_offers": commercial_offers,
            "disclosed": disclosed,
            "undisclosed": commercial_offers - disclosed,
            "rate": share(disclosed, commercial_offers),
            "exceptions": exceptions,
        },
        "not_suggested": {
            "offered": unsuggested_offered,
            "commercial": unsuggested_commercial,
            "commercial_share": share(unsuggested_commercial, unsuggested_offered),
        },
    }


def neutrality_table(report: dict[str, Any], by: str) -> CsvTable:
    """One table as CSV: per rank group (`rank`), per service (`service`), or the commercial-share lines with the
    disclosure (`commercial`)."""
    if by == "service":
        return CsvTable(
            name="neutrality-by-service",
            columns=[
                "service_id",
                "service",
                "commercial_relationship",
                "suggested",
                "mean_rank",
                "median_rank",
                "offered",
                "offered_not_suggested",
                "admitted",
                "offered_commercial",
            ],
            rows=report["services"],
            counts=("suggested", "offered", "offered_not_suggested", "admitted", "offered_commercial"),
            derived={"mean_rank": ("suggested",), "median_rank": ("suggested",)},
        )
    if by == "commercial":
        disclosure = report["disclosure"]
        rows = [
            *report["commercial"],
            {
                "measure": "disclosed",
                "label": "Commercial offers with the link disclosed",
                "total": disclosure["commercial_offers"],
                "commercial": disclosure["disclosed"],
                "share": disclosure["rate"],
            },
            {
                "measure": "not_suggested",
                "label": "Offers of services not suggested",
                "total": report["not_suggested"]["offered"],
                "commercial": report["not_suggested"]["commercial"],
                "share": report["not_suggested"]["commercial_share"],
            },
        ]
        return CsvTable(
            name="neutrality-commercial",
            columns=["measure", "label", "total", "commercial", "share"],
            rows=rows,
            counts=("total", "commercial"),
            derived={"share": ("total", "commercial")},
        )
    return CsvTable(
        name="neutrality-by-rank",
        columns=["rank", "label", *RANK_COUNTS, "offered_of_suggested", "admitted_of_offered"],
        rows=report["ranks"],
        counts=RANK_COUNTS,
        derived={"offered_of_suggested": ("offered", "suggested"), "admitted_of_offered": ("admitted", "offered")},
    )
