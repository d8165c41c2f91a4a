"""The referral workflow table itself: every status has a row and is reachable from a suggestion, only admitted,
declined and withdrawn are final, every live referral can be withdrawn, and the case moves it names are ones the case
workflow allows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from caseapp.cases.services import TRANSITIONS as CASE_TRANSITIONS
from caseapp.reference import CaseStatus
from caseapp.referrals.models import ReferralStatus as S
from caseapp.referrals.workflow import CASE_STATUS_AFTER, FINAL, LIVE, TRANSITIONS, allowed_from


def test_referral_transitions_have_a_row_for_every_status_and_reach_each_from_suggested() -> None:
    reachable, frontier = {S.SUGGESTED}, [S.SUGGESTED]
    while frontier:
        for following in set(TRANSITIONS[frontier.pop()]) - reachable:
            reachable.add(following)
            frontier.append(following)

    assert set(TRANSITIONS) == set(S)
    assert reachable == set(S)


def test_referral_transitions_end_only_in_admitted_declined_or_withdrawn() -> None:
    assert {S.ADMITTED, S.DECLINED, S.WITHDRAWN} == FINAL
    assert all(S.WITHDRAWN in TRANSITIONS[status] for status in S if status not in FINAL)
    assert all(status not in TRANSITIONS[status] for status in S)
    assert TRANSITIONS[S.DID_NOT_ATTEND] == (S.SENT, S.WITHDRAWN)  # a re-send, decided and documented
    assert LIVE == {S.SENT, S.WAITLISTED, S.ACCEPTED}


def test_the_case_moves_a_referral_makes_are_allowed_by_the_case_workflow() -> None:
    assert CASE_STATUS_AFTER == {S.SENT: CaseStatus.REFERRED, S.ADMITTED: CaseStatus.ADMITTED}
    assert CaseStatus.REFERRED in CASE_TRANSITIONS[CaseStatus.ASSESSED]
    assert CaseStatus.ADMITTED in CASE_TRANSITIONS[CaseStatus.REFERRED]
    assert CaseStatus.ASSESSED in CASE_TRANSITIONS[CaseStatus.REFERRED]


@given(st.lists(st.integers(0, 10), max_size=30))
def test_a_walk_along_allowed_from_ends_final_or_with_somewhere_to_go(choices: list[int]) -> None:
    status, admitted = S.SUGGESTED, 0
    for choice in choices:
        onward = allowed_from(status)
        if not onward:
            assert status in FINAL
            break
        status = onward[choice % len(onward)]
        admitted += status is S.ADMITTED
    assert admitted <= 1
    assert (status in FINAL) == (not allowed_from(status))
