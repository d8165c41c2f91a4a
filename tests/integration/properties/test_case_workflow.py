"""The case workflow as a state machine driving update_case (and assessments) on PostgreSQL.

The model is the rule set: a status moves only along TRANSITIONS; closing needs a reason, and a reason goes only with
closing; reopening clears it; assignment is to an active member of staff or nobody; a stale version is a conflict.
After every step the database must agree with the model: a refused step (a domain error) changed nothing, a step that
changed something bumped the version by one and wrote one case.updated event saying what changed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from caseapp.auth.models import Role
from caseapp.cases.models import Case
from caseapp.cases.services import TRANSITIONS, update_case
from caseapp.errors import Conflict, ValidationError
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason, RiskLevel
from tests import factories
from tests.hypothesis_profiles import examples
from tests.integration.properties.machines import Refused, TransactionPerExample, audit_actions, replaying, run_machine

KEEP = "keep"  # the change leaves the field out
MISSING_USER_ID = 2_000_000_000


@dataclass(frozen=True)
class CaseState:
    status: CaseStatus
    close_reason: CloseReason | None
    assigned_advisor_id: int | None
    risk_level: RiskLevel | None
    version: int
    is_closed_at_set: bool


def stored(case_id: int) -> CaseState:
    row = db.session.execute(
        sa.select(
            Case.status, Case.close_reason, Case.assigned_advisor_id, Case.risk_level, Case.version, Case.closed_at
        ).where(Case.id == case_id)
    ).one()
    closed_at: datetime | None = row.closed_at
    return CaseState(
        row.status, row.close_reason, row.assigned_advisor_id, row.risk_level, row.version, bool(closed_at)
    )


@st.composite
def status_changes(draw: st.DrawFn) -> tuple[CaseStatus | None, CloseReason | None]:
    """A status (or none) and a close reason: mostly given when closing and left out otherwise, sometimes not."""
    status = draw(st.none() | st.sampled_from(list(CaseStatus)))
    with_reason = draw(st.integers(0, 4)) == 0
    if status == CaseStatus.CLOSED:
        with_reason = not with_reason
    return status, draw(st.sampled_from(list(CloseReason))) if with_reason else None


class CaseWorkflow(TransactionPerExample):
    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        self.actor = factories.make_user(role=Role.ADVISOR)
        self.staff = [factories.make_user(role=Role.ADVISOR).id, factories.make_user(role=Role.MANAGER).id]
        self.gone = factories.make_user(role=Role.ADVISOR, is_active=False).id
        self.case_id = factories.make_case(actor=self.actor).id
        self.model = stored(self.case_id)
        self.updates: list[dict[str, list[str | None]]] = []  # the detail of each case.updated event, in order
        self.statuses = [self.model.status]

    # --- the model's rules -------------------------------------------------------------------------------------

    def expected(self, changes: dict[str, Any]) -> tuple[CaseState, dict[str, list[str | None]]] | type[Exception]:
        """The state after the update and its audit detail, or the error it must be refused with."""
        model, detail = self.model, {}
        status, reason = changes.get("status"), changes.get("close_reason")
        closing = status == CaseStatus.CLOSED
        if reason is not None and not closing:
            return ValidationError  # a reason goes with closing
        if status is not None and status != model.status:
            if status not in TRANSITIONS[model.status]:
                return ValidationError
            if closing and reason is None:
                return ValidationError
            detail["status"] = [model.status.value, status.value]
            model = replace(model, status=status, close_reason=reason if closing else None, is_closed_at_set=closing)
        elif closing and reason is not None and reason != model.close_reason:
            detail["close_reason"] = [model.close_reason.value if model.close_reason else None, reason.value]
            model = replace(model, close_reason=reason)
        if "assigned_advisor_id" in changes and changes["assigned_advisor_id"] != model.assigned_advisor_id:
            advisor_id = changes["assigned_advisor_id"]
            if advisor_id is not None and advisor_id not in [self.actor.id, *self.staff]:
                return ValidationError
            detail["assigned_advisor_id"] = [_text(model.assigned_advisor_id), _text(advisor_id)]
            model = replace(model, assigned_advisor_id=advisor_id)
        risk = changes.get("risk_level")
        if risk is not None and risk != model.risk_level:
            detail["risk_level"] = [model.risk_level.value if model.risk_level else None, risk.value]
            model = replace(model, risk_level=risk)
        if detail:
            model = replace(model, version=model.version + 1)
        return model, detail

    # --- rules -------------------------------------------------------------------------------------------------

    @rule(
        change=status_changes(),
        assignee=st.sampled_from([KEEP, KEEP, None, "actor", "staff0", "staff1", "gone", "missing"]),
        risk_level=st.none() | st.sampled_from(list(RiskLevel)),
        version_lag=st.sampled_from([0, 0, 0, 0, 0, 0, 1, -1]),
    )
    def update(
        self,
        change: tuple[CaseStatus | None, CloseReason | None],
        assignee: str | None,
        risk_level: RiskLevel | None,
        version_lag: int,
    ) -> None:
        status, close_reason = change
        changes: dict[str, Any] = {"status": status, "close_reason": close_reason, "risk_level": risk_level}
        if assignee != KEEP:
            changes["assigned_advisor_id"] = self._user_id(assignee)
        expected = Conflict if version_lag else self.expected(changes)

        outcome = self.as_edge(
            lambda: update_case(
                db.session.get_one(Case, self.case_id),
                dict(changes),
                expected_version=self.model.version - version_lag,
                actor=self.actor,
            )
        )

        if isinstance(expected, type):
            assert isinstance(outcome, Refused), outcome
            assert type(outcome.error) is expected, outcome
            return
        assert not isinstance(outcome, Refused), outcome
        self.model, detail = expected
        if detail:
            self.updates.append(detail)

    @rule(risk_level=st.sampled_from(list(RiskLevel)))
    def record_assessment(self, risk_level: RiskLevel) -> None:
        """An assessment moves a new or assessing case on to assessed, and sets its risk."""
        case = db.session.get_one(Case, self.case_id)
        outcome = self.as_edge(lambda: factories.make_assessment(case, actor=self.actor, risk_level=risk_level.value))

        assert not isinstance(outcome, Refused), outcome
        moved = self.model.status in (CaseStatus.NEW, CaseStatus.ASSESSING)
        changed = moved or risk_level != self.model.risk_level
        self.model = replace(
            self.model,
            status=CaseStatus.ASSESSED if moved else self.model.status,
            risk_level=risk_level,
            version=self.model.version + changed,
        )

    # --- invariants --------------------------------------------------------------------------------------------

    @invariant()
    def database_agrees_with_the_model(self) -> None:
        assert stored(self.case_id) == self.model

    @invariant()
    def status_moves_only_along_transitions(self) -> None:
        status = stored(self.case_id).status
        if status != self.statuses[-1]:
            assert status in TRANSITIONS[self.statuses[-1]], (self.statuses[-1], status)
            self.statuses.append(status)

    @invariant()
    def closed_exactly_when_there_is_a_reason_and_a_time(self) -> None:
        state = stored(self.case_id)
        assert (state.status == CaseStatus.CLOSED) == (state.close_reason is not None) == state.is_closed_at_set

    @invariant()
    def every_change_is_audited_once_with_what_changed(self) -> None:
        updates = [detail for action, detail in audit_actions("case", self.case_id) if action == "case.updated"]
        assert updates == self.updates

    def _user_id(self, name: str | None) -> int | None:
        return {
            None: None,
            "actor": self.actor.id,
            "staff0": self.staff[0],
            "staff1": self.staff[1],
            "gone": self.gone,
            "missing": MISSING_USER_ID,
        }[name]


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def test_update_case_follows_the_workflow_and_audits_every_change(app: Flask) -> None:
    run_machine(lambda: CaseWorkflow(app), examples(20, stateful_step_count=20))


# --- examples the machine found (each failed before the fix named) ----------------------------------------------


def test_update_case_refuses_a_close_reason_with_a_status_other_than_closed(app: Flask) -> None:
    """It was dropped without a word (200, "Case updated.") when a status came with it."""
    with replaying(CaseWorkflow(app)) as state:
        state.update(
            change=(CaseStatus.NEW, CloseReason.TREATMENT_STARTED), assignee=KEEP, risk_level=None, version_lag=0
        )
        state.database_agrees_with_the_model()


def test_update_case_corrects_the_reason_of_a_closed_case(app: Flask) -> None:
    """status closed with another reason on a closed case was dropped without a word; now it changes the reason."""
    with replaying(CaseWorkflow(app)) as state:
        state.update(change=(CaseStatus.CLOSED, CloseReason.DUPLICATE), assignee=KEEP, risk_level=None, version_lag=0)
        state.update(change=(CaseStatus.CLOSED, CloseReason.OTHER), assignee=KEEP, risk_level=None, version_lag=0)
        state.database_agrees_with_the_model()
        state.every_change_is_audited_once_with_what_changed()
        assert stored(state.case_id).close_reason == CloseReason.OTHER


def test_update_case_bumps_the_version_once_when_assigning_with_other_changes(app: Flask) -> None:
    """Looking up the new assignee flushed the status change first: two UPDATEs, the version went up by two."""
    with replaying(CaseWorkflow(app)) as state:
        state.update(change=(CaseStatus.ASSESSING, None), assignee="staff0", risk_level=None, version_lag=0)
        state.database_agrees_with_the_model()
