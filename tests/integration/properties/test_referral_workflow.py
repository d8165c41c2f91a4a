"""The referral workflow as a state machine driving change_status on PostgreSQL, over random sequences of changes.

The model is the rule set written out again here (not imported): which change may follow which, a decline needs a
reason (other: a note) and a reason goes only with a decline, offering a service with a commercial link needs the
disclosure, a time may not be before the previous step, a stale version is a conflict. After every step the database
must agree: the status only ever followed the table, the history holds one entry per change applied (plus the first),
sent_at is the first send, admitted_at the admission, one audit event per change, and the case moved with it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.directory.models import CommercialRelationship
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.reference import CaseStatus
from caseapp.referrals.history import start_referral
from caseapp.referrals.models import DeclineReason, Referral, ReferralEvent
from caseapp.referrals.models import ReferralStatus as S
from caseapp.referrals.workflow import InvalidTransition, change_status
from caseapp.timeutil import now_utc
from tests import factories
from tests.hypothesis_profiles import examples
from tests.integration.properties.machines import Refused, TransactionPerExample, audit_actions, replaying, run_machine

#: the table as the issue states it, with the re-send after a missed admission
ALLOWED = {
    S.SUGGESTED: {S.OFFERED, S.WITHDRAWN},
    S.OFFERED: {S.SENT, S.WITHDRAWN},
    S.SENT: {S.ACCEPTED, S.DECLINED, S.WAITLISTED, S.WITHDRAWN},
    S.WAITLISTED: {S.ACCEPTED, S.DECLINED, S.WITHDRAWN},
    S.ACCEPTED: {S.ADMITTED, S.DID_NOT_ATTEND, S.WITHDRAWN},
    S.DID_NOT_ATTEND: {S.SENT, S.WITHDRAWN},
    S.ADMITTED: set(),
    S.DECLINED: set(),
    S.WITHDRAWN: set(),
}


@dataclass(frozen=True)
class Model:
    status: S
    version: int
    changes: int
    sent_at: datetime | None
    admitted_at: datetime | None
    changed_at: datetime


class ReferralWorkflow(TransactionPerExample):
    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self.actor = factories.make_user(role=Role.ADVISOR)
        case = factories.make_case(actor=self.actor)
        factories.make_assessment(case, actor=self.actor)  # the case is assessed: a send refers it
        self.case_id = case.id
        service = factories.make_treatment_service(commercial_relationship=CommercialRelationship.COMMISSION)
        started = now_utc() - timedelta(days=10)
        referral = start_referral(
            case_id=case.id, service_id=service.id, status=S.SUGGESTED, actor=self.actor, at=started
        )
        self.referral_id = referral.id
        self.model = Model(S.SUGGESTED, referral.version, 0, None, None, started)
        self.path = [S.SUGGESTED]

    def expected(
        self, to: S, reason: DeclineReason | None, note: str | None, disclosed: bool | None, at: datetime | None
    ) -> type[Exception] | None:
        status = self.model.status
        if to not in ALLOWED[status]:
            return InvalidTransition
        if (to is S.DECLINED) != (reason is not None) or (reason is DeclineReason.OTHER and not note):
            return ValidationError
        if at is not None and at < self.model.changed_at:
            return ValidationError
        offering = status is S.SUGGESTED and to is S.OFFERED
        if (offering and disclosed is not True) or (not offering and disclosed is not None):
            return ValidationError
        return None

    @rule(
        to=st.sampled_from(list(S)),
        reason=st.none() | st.sampled_from(list(DeclineReason)),
        note=st.sampled_from([None, "", "Rang the service"]),
        disclosed=st.sampled_from([None, True, False]),
        hours_back=st.none() | st.integers(-1, 300),
        version_lag=st.sampled_from([0, 0, 0, 0, 0, 1]),
    )
    def change(
        self,
        to: S,
        reason: DeclineReason | None,
        note: str | None,
        disclosed: bool | None,
        hours_back: int | None,
        version_lag: int,
    ) -> None:
        at = None if hours_back is None else max(now_utc() - timedelta(hours=hours_back), self.model.changed_at)
        if hours_back == -1:
            at = self.model.changed_at - timedelta(minutes=1)  # before the previous step
        expected = Conflict if version_lag else self.expected(to, reason, note, disclosed, at)
        before = now_utc()

        outcome = self.as_edge(
            lambda: change_status(
                db.session.get_one(Referral, self.referral_id),
                to,
                self.actor,
                at=at,
                note=note,
                decline_reason=reason,
                disclosed=disclosed,
                version=self.model.version - version_lag,
            )
        )

        if expected is not None:
            assert isinstance(outcome, Refused), outcome
            assert type(outcome.error) is expected, outcome
            return
        assert not isinstance(outcome, Refused), outcome
        when = outcome.event.at
        assert when == at if at is not None else before <= when <= now_utc()
        self.model = replace(
            self.model,
            status=to,
            version=self.model.version + 1,
            changes=self.model.changes + 1,
            sent_at=self.model.sent_at or (when if to is S.SENT else None),
            admitted_at=when if to is S.ADMITTED else None,
            changed_at=when,
        )
        self.path.append(to)

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        referral = db.session.get_one(Referral, self.referral_id)
        db.session.refresh(referral)
        assert (referral.status, referral.version, referral.sent_at, referral.admitted_at) == (
            self.model.status,
            self.model.version,
            self.model.sent_at,
            self.model.admitted_at,
        )
        assert referral.status_changed_at == self.model.changed_at

    def events(self) -> list[ReferralEvent]:
        query = sa.select(ReferralEvent).where(ReferralEvent.referral_id == self.referral_id)
        return list(db.session.scalars(query.order_by(ReferralEvent.id)))

    @invariant()
    def status_only_follows_the_table(self) -> None:
        status = db.session.scalar(sa.select(Referral.status).where(Referral.id == self.referral_id))
        events = self.events()
        assert events[-1].to_status == status
        for event in events[1:]:
            assert event.from_status is not None
            assert event.to_status in ALLOWED[event.from_status], (event.from_status, event.to_status)

    @invariant()
    def history_has_one_entry_per_change_in_order(self) -> None:
        events = self.events()
        assert len(events) == 1 + self.model.changes
        assert [e.to_status for e in events] == self.path
        assert [e.from_status for e in events] == [None, *self.path[:-1]]
        assert all(a.at <= b.at for a, b in zip(events, events[1:], strict=False))
        changes = [a for a, _ in audit_actions("referral", self.referral_id) if a == "referral.status_changed"]
        assert len(changes) == self.model.changes

    @invariant()
    def the_case_follows_the_referral(self) -> None:
        case_status = db.session.scalar(sa.select(Case.status).where(Case.id == self.case_id))
        if self.model.status is S.ADMITTED:
            assert case_status is CaseStatus.ADMITTED
        elif self.model.status in (S.SENT, S.WAITLISTED, S.ACCEPTED):
            assert case_status is CaseStatus.REFERRED
        else:
            assert case_status is CaseStatus.ASSESSED


def test_change_status_follows_the_table_and_keeps_the_history(app: Flask) -> None:
    run_machine(lambda: ReferralWorkflow(app), examples(20, stateful_step_count=25))


def test_change_status_through_a_missed_admission_and_a_re_send_keeps_the_first_sent_at(app: Flask) -> None:
    with replaying(ReferralWorkflow(app)) as state:
        for to, disclosed in ((S.OFFERED, True), (S.SENT, None), (S.ACCEPTED, None), (S.DID_NOT_ATTEND, None)):
            state.change(to=to, reason=None, note=None, disclosed=disclosed, hours_back=None, version_lag=0)
        first_sent = state.model.sent_at
        state.change(to=S.SENT, reason=None, note=None, disclosed=None, hours_back=None, version_lag=0)
        state.change(to=S.ACCEPTED, reason=None, note=None, disclosed=None, hours_back=None, version_lag=0)
        state.change(to=S.ADMITTED, reason=None, note=None, disclosed=None, hours_back=None, version_lag=0)
        state.database_agrees_with_the_model()
        state.status_only_follows_the_table()
        state.history_has_one_entry_per_change_in_order()
        state.the_case_follows_the_referral()
        assert state.model.status is S.ADMITTED
        assert state.model.changes == 7
        assert state.model.sent_at == first_sent
