"""The access policy as a matrix: every role × every relationship a person can have with a case × every action,
decided on real rows in PostgreSQL (caseapp/access/relationships.py reads calls, callbacks and grants), against the
table written out here (not read from the code, so a change to the rules fails a test)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseapp.access import services as access
from caseapp.access.policy import Action, CallbackAction, Relationship
from caseapp.auth.models import Role, User
from caseapp.callbacks.models import Callback
from caseapp.cases.models import Case
from caseapp.errors import Forbidden
from caseapp.extensions import db
from caseapp.reference import CallbackStatus, CaseStatus, CloseReason
from caseapp.timeutil import now_utc
from tests import factories

A = Action
WORK = {A.VIEW, A.CHANGE, A.FIND, A.LOG_CALL}
#: what an advisor may do, by relationship (managers and admins: everything, whatever the relationship)
ADVISOR = {
    Relationship.ASSIGNED: WORK,
    Relationship.CALLED: WORK,
    Relationship.CALLBACK: WORK,
    Relationship.POOL: WORK,
    Relationship.LOOKUP: {A.FIND, A.LOG_CALL},
    Relationship.GRANTED: WORK,
    Relationship.NONE: set(),
}


def _someone_elses_case() -> Case:
    return factories.make_case(factories.make_caller(consent_callback=True), actor=factories.make_user())


def _assigned(me: User) -> Case:
    return factories.make_case(actor=me)


def _called(me: User) -> Case:
    case = _someone_elses_case()
    factories.make_call(case, actor=me)
    return case


def _holds_callback(me: User) -> Case:
    case = _someone_elses_case()
    factories.make_callback(case, actor=case.assigned_advisor, assignee_id=me.id)
    return case


def _pool(me: User) -> Case:
    case = _someone_elses_case()
    factories.make_callback(case, actor=case.assigned_advisor, assignee_id=None)
    return case


def _granted(me: User) -> Case:
    case = _someone_elses_case()
    access.break_glass(case, actor=me, reason="covering", note="Covering Sam's cases today")
    return case


def _none(me: User) -> Case:
    return _someone_elses_case()


#: how to give `me` each relationship with a new case (a lookup is the same case found by its caller's number)
MAKERS: dict[Relationship, Callable[[User], Case]] = {
    Relationship.ASSIGNED: _assigned,
    Relationship.CALLED: _called,
    Relationship.CALLBACK: _holds_callback,
    Relationship.POOL: _pool,
    Relationship.LOOKUP: _none,
    Relationship.GRANTED: _granted,
    Relationship.NONE: _none,
}


@pytest.mark.parametrize("action", list(Action), ids=str)
@pytest.mark.parametrize("relationship", list(Relationship), ids=str)
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_the_policy_allows_what_the_table_says(
    db_session: object, role: Role, relationship: Relationship, action: Action
) -> None:
    me = factories.make_user(role=role)
    case = MAKERS[relationship](me)
    db.session.flush()
    expected = role != Role.ADVISOR or action in ADVISOR[relationship]

    allowed = access.can(case, me, action, found_by_lookup=relationship == Relationship.LOOKUP)

    assert allowed is expected
    if role == Role.ADVISOR and relationship != Relationship.LOOKUP:
        assert access.relationship(case, me) == relationship
        # the list rule (a WHERE on a query of cases) says what the one-case rule says
        findable = access.narrow_cases(sa.select(Case).where(Case.id == case.id), me)
        assert (db.session.scalar(findable) is not None) is (A.FIND in ADVISOR[relationship])


def test_a_closed_unassigned_case_is_not_in_the_pool(db_session: object) -> None:
    me = factories.make_user(role=Role.ADVISOR)
    case = _someone_elses_case()
    case.assigned_advisor_id, case.status = None, CaseStatus.CLOSED
    case.close_reason, case.closed_at = CloseReason.SIGNPOSTED, now_utc()
    db.session.flush()

    assert access.relationship(case, me) == Relationship.NONE


def test_a_grant_ends_after_the_configured_hours(app: object, db_session: object) -> None:
    me = factories.make_user(role=Role.ADVISOR)
    case = _granted(me)

    later = now_utc() + timedelta(hours=12, minutes=1)

    assert access.relationship(case, me, now=now_utc()) == Relationship.GRANTED
    assert access.relationship(case, me, now=later) == Relationship.NONE


# --- callbacks ----------------------------------------------------------------------------------------------------

C = CallbackAction
#: holder → what an advisor may do to the callback (managers and admins: everything)
ADVISOR_CALLBACKS = {"me": {C.VIEW, C.ACT}, "pool": {C.VIEW, C.ACT, C.CLAIM}, "colleague": {C.VIEW}}


def _callback_held_by(holder: str, me: User) -> Callback:
    colleague = factories.make_user(role=Role.ADVISOR)
    case = factories.make_case(factories.make_caller(consent_callback=True), actor=me)  # the case is mine
    assignee = {"me": me.id, "pool": None, "colleague": colleague.id}[holder]
    return factories.make_callback(case, actor=me, assignee_id=assignee)


@pytest.mark.parametrize("action", list(CallbackAction), ids=str)
@pytest.mark.parametrize("holder", list(ADVISOR_CALLBACKS))
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_the_callback_policy_allows_what_the_table_says(
    db_session: object, role: Role, holder: str, action: CallbackAction
) -> None:
    me = factories.make_user(role=role)
    callback = _callback_held_by(holder, me)
    expected = role != Role.ADVISOR or action in ADVISOR_CALLBACKS[holder]

    try:
        access.require_callback(callback, me, action)
        allowed = True
    except Forbidden:
        allowed = False

    assert allowed is expected


def test_viewing_a_colleagues_callback_also_needs_the_case(db_session: object) -> None:
    me, colleague = factories.make_user(role=Role.ADVISOR), factories.make_user(role=Role.ADVISOR)
    case = factories.make_case(factories.make_caller(consent_callback=True), actor=colleague)
    callback = factories.make_callback(case, actor=colleague, assignee_id=colleague.id)
    assert callback.status == CallbackStatus.SCHEDULED

    with pytest.raises(access.BreakGlassRequired):
        access.require_callback(callback, me, CallbackAction.VIEW)
