"""Property: for any offers (services suggested at ranks 1..n and offered or not, services offered without being
suggested, some admitted, with and without commercial links, at times either side of the October 2026 clock
change), the neutrality report's figures equal those counted again in plain Python from the rows written.

Each example runs in its own rolled-back transaction (rolled_back_session)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from caseapp.directory.models import CommercialRelationship
from caseapp.referrals.models import ReferralStatus
from caseapp.reports.neutrality import neutrality_report
from caseapp.reports.params import Period
from tests.conftest import rolled_back_session
from tests.hypothesis_profiles import examples
from tests.integration.reports.referral_support import Written, expected_neutrality, utc

SERVICES = 6
#: from 00:00 UTC on 24 October 2026, over three days (the clocks go back at 01:00 UTC on the 25th)
START = utc(2026, 10, 24)
DAY = date(2026, 10, 25)

links = st.lists(st.sampled_from(list(CommercialRelationship)), min_size=1, max_size=SERVICES)
offers = st.lists(
    st.fixed_dictionaries(
        {
            "minute": st.integers(0, 3 * 24 * 60 - 1),
            # (service index, offered, admitted) in rank order
            "suggested": st.lists(
                st.tuples(st.integers(0, SERVICES - 1), st.booleans(), st.booleans()),
                max_size=7,
                unique_by=lambda t: t[0],
            ),
            "unsuggested": st.lists(
                st.tuples(st.integers(0, SERVICES - 1), st.booleans()), max_size=2, unique_by=lambda t: t[0]
            ),
        }
    ),
    max_size=6,
)


def _write(written: Written, kinds: list[CommercialRelationship], plan: list[dict[str, Any]]) -> None:
    services = [written.service(kind) for kind in kinds]
    for spec in plan:
        chosen: dict[int, tuple[int | None, bool, bool]] = {}
        for rank, (index, offered, admitted) in enumerate(spec["suggested"], start=1):
            chosen.setdefault(index % len(services), (rank, offered, admitted))
        for index, admitted in spec["unsuggested"]:
            chosen.setdefault(index % len(services), (None, True, admitted))
        if not chosen:
            continue
        items = [(services[i], rank, offered) for i, (rank, offered, _) in chosen.items()]
        offer = written.offer(START + timedelta(minutes=spec["minute"]), items)
        for i, (_, offered, admitted) in chosen.items():
            if offered and admitted:
                written.refer(ReferralStatus.ADMITTED, offer=offer, item=written.item(offer, services[i]))


@examples(15)
@given(links, offers)
def test_neutrality_figures_equal_an_independent_count(
    app: Flask, kinds: list[CommercialRelationship], plan: list[dict[str, Any]]
) -> None:
    with rolled_back_session(app):
        written = Written()
        _write(written, kinds, plan)

        report = neutrality_report(Period.of_days(DAY, DAY))

        expected = expected_neutrality(written, DAY, DAY)
        for row in report["ranks"]:
            want = expected["ranks"][row["rank"]]
            for name in ("suggested", "offered", "admitted", "suggested_commercial", "offered_commercial"):
                assert row[name] == want.get(name, 0), (row["rank"], name)
        found = {row["service_id"]: {name: row[name] for name in expected["services"].get(row["service_id"], {})}
                 for row in report["services"]}  # fmt: skip
        assert found == expected["services"]
        lines = {line["measure"]: (line["total"], line["commercial"], line["share"]) for line in report["commercial"]}
        assert lines == expected["shares"]
        disclosure = report["disclosure"]
        assert (disclosure["commercial_offers"], disclosure["disclosed"]) == expected["disclosure"]
        assert (report["not_suggested"]["offered"], report["not_suggested"]["commercial"]) == expected["not_suggested"]
