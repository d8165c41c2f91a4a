"""The harm-reduction report: responses recorded to each rule's prompts in a period, in total and per local day
(Europe/London)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from caseapp.harm_reduction import queries
from caseapp.harm_reduction.models import PromptResponse
from caseapp.harm_reduction.rules import BY_CODE, RULES
from caseapp.reports.params import Period
from caseapp.reports.services import iso_local, zone_name
from caseapp.timeutil import to_local


def harm_reduction_report(period: Period) -> dict[str, Any]:
    recorded = queries.responses_recorded(period.start, period.end)
    totals = Counter((code, response) for _at, code, response in recorded)
    per_day = Counter((to_local(at).date().isoformat(), code, response) for at, code, response in recorded)
    # every rule of the table, and any retired code still found in the period
    codes = [rule.code for rule in RULES] + sorted({code for code, _ in totals} - set(BY_CODE))
    rules = []
    for code in codes:
        counts = {response.value: totals[(code, response.value)] for response in PromptResponse}
        rule = BY_CODE.get(code)
        rules.append(
            {"rule_code": code, "title": rule.title if rule else code, **counts, "total": sum(counts.values())}
        )
    return {
        "timezone": zone_name(),
        "from": iso_local(period.start),
        "to": iso_local(period.end),
        "rules": rules,
        "days": [
            {"day": day, "rule_code": code, "response": response, "count": count}
            for (day, code, response), count in sorted(per_day.items())
        ],
    }
