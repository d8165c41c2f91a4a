"""The case workflow table itself: every status is reachable, every open case can be closed, closed only reopens."""

from __future__ import annotations

from caseapp.cases.services import TRANSITIONS
from caseapp.reference import CaseStatus


def test_case_transitions_reach_every_status_from_new() -> None:
    reachable, frontier = {CaseStatus.NEW}, [CaseStatus.NEW]
    while frontier:
        for following in TRANSITIONS[frontier.pop()] - reachable:
            reachable.add(following)
            frontier.append(following)

    assert reachable == set(CaseStatus)


def test_case_transitions_let_every_open_case_close_and_a_closed_one_only_reopen() -> None:
    assert all(CaseStatus.CLOSED in TRANSITIONS[status] for status in CaseStatus if status != CaseStatus.CLOSED)
    assert TRANSITIONS[CaseStatus.CLOSED] == {CaseStatus.ASSESSING}
    assert all(status not in TRANSITIONS[status] for status in CaseStatus)  # staying put is not a transition
