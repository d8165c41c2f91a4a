"""The callback workflow as a state machine driving the real services on PostgreSQL: booking, claiming, starting,
attempts, rescheduling, reassigning, cancelling, PATCH, and the workers' reminder scan and clocks run at later and
later times.

The model holds each callback's status, holder, due time, attempts and which of its clocks' messages went out, and
the rules of callbacks/workflow.py and callbacks/due.py:

    scheduled ──start──> in_progress ──attempt: answered──> completed
        │  ^                  │
        │  └──reschedule──────┴──attempt: no answer / voicemail / call back later──> no_answer
        │                          (N failed attempts, or a wrong number) ──> unreachable (+ case flagged)
        ├──cancel──> cancelled              (from any open status)
        └──not started MISSED_AFTER after due──> missed
    in_progress: no outcome STALLED_NUDGE after the start → the holder nudged; STALLED_ALERT after → managers told
    no_answer:   no new time RETRY_PROMPT after the attempt → the holder prompted; RETRY_POOL after → the pool;
                 RETRY_MISSED after → missed
    handover:    the holder hands it to a colleague on shift or the pool (callbacks/handover.py): offered, and the
                 receiver's at once; the receiver accepting it, or working it (claim, start, attempt, reschedule),
                 accepts it; anything else taking it elsewhere or closing it withdraws the offer; an offer to a
                 colleague not accepted HANDOVER_ACCEPT after it was made → back to the pool

Every step happens at the database's "now" (one transaction per example), and the workers run at whole minutes
after it; so a clock started by a step (a start, an attempt, a claim from the pool) is modelled as half a minute
after "now", and the real clock is checked to lie within that minute.

After every step: the database agrees with the model; a refused step (a domain error) changed nothing; a closed
callback never changes again; versions only go up, and only when the callback changed; the attempt counts are the
attempts table's; unsent reminders exist only for a scheduled callback's current due time and holder (so a callback
that closes, starts or moves has withdrawn them), nudges and prompts only for its current clock and holder; a
callback has at most one open handover offer, the model's, and it is held by the one it is offered to (the pool:
nobody); and each change wrote its audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from caseapp.audit.models import AuditEvent
from caseapp.auth.models import Role
from caseapp.callbacks import booking, due, handover, workflow
from caseapp.callbacks.models import (
    CLOSED_STATUSES,
    FAILED_OUTCOMES,
    OPEN_STATUSES,
    Callback,
    CallbackAttempt,
    CaseFlag,
    Handover,
)
from caseapp.cases import stale
from caseapp.cases.models import Case
from caseapp.errors import Conflict, Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.reference import AttemptOutcome, CallbackPriority, CallbackStatus, HandoverStatus
from caseapp.reminders.models import OutboxKind, OutboxMessage, OutboxStatus
from caseapp.reminders.queries import database_now
from tests import factories
from tests.hypothesis_profiles import examples
from tests.integration.properties.machines import Refused, TransactionPerExample, replaying, run_machine

S = CallbackStatus
#: the workflow drawn above, as (from, to) pairs; staying put is always allowed
ALLOWED = {
    (S.SCHEDULED, S.IN_PROGRESS),
    (S.SCHEDULED, S.NO_ANSWER),
    (S.SCHEDULED, S.COMPLETED),
    (S.SCHEDULED, S.UNREACHABLE),
    (S.SCHEDULED, S.CANCELLED),
    (S.SCHEDULED, S.MISSED),
    (S.IN_PROGRESS, S.SCHEDULED),
    (S.IN_PROGRESS, S.NO_ANSWER),
    (S.IN_PROGRESS, S.COMPLETED),
    (S.IN_PROGRESS, S.UNREACHABLE),
    (S.IN_PROGRESS, S.CANCELLED),
    (S.NO_ANSWER, S.SCHEDULED),
    (S.NO_ANSWER, S.IN_PROGRESS),
    (S.NO_ANSWER, S.COMPLETED),
    (S.NO_ANSWER, S.UNREACHABLE),
    (S.NO_ANSWER, S.CANCELLED),
    (S.NO_ANSWER, S.MISSED),
}
#: who acts: two advisors (the first on shift) and a manager on shift; "gone" is deactivated, "missing" never existed
PEOPLE = ("on_shift", "off_shift", "manager")
HOLDERS = (None, *PEOPLE, "gone", "missing")
MINUTES = st.integers(min_value=5, max_value=120)  # due times from now
#: a few minutes more or less than a moment the workers care about
SLACK = st.integers(min_value=-2, max_value=5).map(lambda minutes: timedelta(minutes=minutes))
WINDOWS = st.sampled_from([None, 0, 30, 720, 721])  # 721 is refused
#: whom a callback is handed to: a colleague on shift (whoever of the two on shift is not handing it over; first, as
#: Hypothesis tries it most), the pool, then anyone, including people who may not take it
HANDOVER_TO = st.sampled_from(["colleague", None, *HOLDERS[1:]])


@dataclass(frozen=True)
class Model:
    """What a callback should be."""

    status: CallbackStatus
    assignee_id: int | None
    due_at: datetime
    window_minutes: int | None
    priority: CallbackPriority
    attempts: tuple[AttemptOutcome, ...] = ()
    started: bool = False
    #: the due times with an escalation message not withdrawn (the scan escalates a due time once)
    escalated: frozenset[datetime] = frozenset()
    #: when the current state's clock started (see the module's docstring)
    clock_at: datetime | None = None
    #: the current clock's messages, sent and not withdrawn: stalled nudge and alert, the retry prompt
    nudged: bool = False
    alerted: bool = False
    prompted: bool = False
    #: an open handover offer: to whom (None = the pool), and when it was made
    offered: bool = False
    offer_to: int | None = None
    offer_at: datetime | None = None
    audit: tuple[str, ...] = ("callback.booked",)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def failed(self) -> int:
        return sum(outcome in FAILED_OUTCOMES for outcome in self.attempts)

    def logged(self, *actions: str, **changes: Any) -> Model:
        return replace(self, audit=self.audit + actions, **changes)

    def clock_restarted(self, at: datetime, *actions: str, **changes: Any) -> Model:
        """A new state (or holder of a "no answer"): a new clock, none of its messages sent yet."""
        return self.logged(*actions, clock_at=at, nudged=False, alerted=False, prompted=False, **changes)

    def changed_hands(self, *actions: str, **changes: Any) -> Model:
        """The holder's unsent nudges and prompts are withdrawn (the new holder gets their own)."""
        return self.logged(*actions, nudged=False, prompted=False, **changes)


@dataclass(frozen=True)
class Row:
    """What a callback is, in the database."""

    status: CallbackStatus
    assignee_id: int | None
    due_at: datetime
    window_minutes: int | None
    priority: CallbackPriority
    attempt_count: int
    failed_attempt_count: int
    started: bool
    closed_at: datetime | None
    clock_started_at: datetime
    version: int


@dataclass
class Seen:
    """What the invariants remember of a callback between steps."""

    row: Row
    statuses: list[CallbackStatus] = field(default_factory=list)


def read_rows(callback_ids: list[int]) -> dict[int, Row]:
    c = Callback
    query = sa.select(
        c.id,
        c.status,
        c.assignee_id,
        c.due_at,
        c.window_minutes,
        c.priority,
        c.attempt_count,
        c.failed_attempt_count,
        c.started_at,
        c.closed_at,
        c.clock_started_at,
        c.version,
    ).where(c.id.in_(callback_ids))
    return {
        row.id: Row(*row[1:8], row.started_at is not None, row.closed_at, row.clock_started_at, row.version)
        for row in db.session.execute(query)
    }


def read_row(callback_id: int) -> Row:
    return read_rows([callback_id])[callback_id]


@st.composite
def _pick(draw: st.DrawFn) -> tuple[bool, int]:
    return draw(st.integers(0, 4)) > 0, draw(st.integers(0, 1_000))


#: which callback a step acts on: mostly an open one, sometimes a closed one (which must refuse and stay as it is)
picks = _pick()
#: which of the callbacks a step prefers it acts on
INDEX = st.integers(0, 1_000)
has_callbacks = precondition(lambda self: bool(self.models))
has_open_callbacks = precondition(lambda self: any(model.is_open for model in self.models.values()))
has_offers = precondition(lambda self: any(model.offered for model in self.models.values()))


class CallbackWorkflow(TransactionPerExample):
    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        config = app.config
        self.max_failed = int(config["CALLBACK_MAX_FAILED_ATTEMPTS"])
        self.escalate_after = timedelta(seconds=int(config["ESCALATE_AFTER_SECONDS"]))
        self.missed_after = timedelta(seconds=int(config["MISSED_AFTER_SECONDS"]))
        self.reminder_lead = timedelta(seconds=int(config["REMINDER_LEAD_SECONDS"]))
        self.after_start = {
            stage: timedelta(seconds=int(config[setting]))
            for stage, setting in {
                "nudge": "STALLED_NUDGE_SECONDS",
                "alert": "STALLED_ALERT_SECONDS",
                "prompt": "RETRY_PROMPT_SECONDS",
                "pool": "RETRY_POOL_SECONDS",
                "missed": "RETRY_MISSED_SECONDS",
                "handover": "HANDOVER_ACCEPT_SECONDS",
            }.items()
        }
        self.pool_off_shift = bool(config["POOL_WHEN_OFF_SHIFT"])
        people = {
            "on_shift": factories.make_user(role=Role.ADVISOR),
            "off_shift": factories.make_user(role=Role.ADVISOR),
            "manager": factories.make_user(role=Role.MANAGER),
            "gone": factories.make_user(role=Role.ADVISOR, is_active=False),
        }
        factories.make_shift(people["on_shift"])
        factories.make_shift(people["manager"])
        self.people = people
        self.ids: dict[str | None, int | None] = {name: user.id for name, user in people.items()}
        self.ids.update({None: None, "missing": 2_000_000_000})
        self.active = {self.ids[name] for name in PEOPLE}
        self.on_shift = {self.ids["on_shift"], self.ids["manager"]}
        #: the database clock (PostgreSQL's now() is the transaction's start, the same for the whole example)
        self.now = database_now()
        #: when a clock started by a step started, as the model sees it (see the module's docstring)
        self.step_time = self.now + timedelta(seconds=30)
        #: the latest time the workers ran at: they only ever run later
        self.clock = self.now
        self.models: dict[int, Model] = {}
        self.seen: dict[int, Seen] = {}

    @initialize(voicemail=st.booleans())
    def open_case(self, voicemail: bool) -> None:
        """A case whose caller agreed to callbacks, and perhaps to voicemail."""
        self.case = factories.make_case(factories.make_caller(consent_callback=True, consent_voicemail=voicemail))
        self.voicemail = voicemail

    # --- helpers -----------------------------------------------------------------------------------------------

    def run(self, callback_id: int, step: Any, expected: Model | type[Exception], actor: str | None = None) -> None:
        """Run a service call on a callback as the edge does and hold the outcome against the model's."""
        callback = db.session.get_one(Callback, callback_id)
        user = self.people[actor] if actor else None
        outcome = self.as_edge(lambda: step(callback, user))
        if isinstance(expected, type):
            assert isinstance(outcome, Refused), f"expected {expected.__name__}, got {outcome!r}"
            assert isinstance(outcome.error, expected), outcome
            return
        assert not isinstance(outcome, Refused), outcome
        self.models[callback_id] = expected

    def not_theirs(self, model: Model, actor: str) -> bool:
        """An advisor acting on a colleague's callback: refused before anything else (caseapp/access/policy.py)."""
        user = self.people[actor]
        return user.role == Role.ADVISOR and model.assignee_id not in (None, user.id)

    def chosen(self, pick: tuple[bool, int]) -> int:
        prefer_open, index = pick
        ids = sorted(self.models)
        open_ids = [callback_id for callback_id in ids if self.models[callback_id].is_open]
        closed_ids = [callback_id for callback_id in ids if callback_id not in open_ids]
        candidates = open_ids if (prefer_open or not closed_ids) and open_ids else closed_ids
        return candidates[index % len(candidates)]

    def due(self, minutes: int) -> datetime:
        return self.now + timedelta(minutes=minutes)

    # --- booking -----------------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.models) < 6)
    @rule(minutes=MINUTES, holder=st.sampled_from(HOLDERS), actor=st.sampled_from(PEOPLE))
    def book(self, minutes: int, holder: str | None, actor: str) -> None:
        assignee_id, due_at = self.ids[holder], self.due(minutes)
        outcome = self.as_edge(
            lambda: (
                booking.book_callback(
                    self.case, due_at=due_at, actor=self.people[actor], assignee_id=assignee_id
                ).callback.id
            )
        )
        if assignee_id is not None and assignee_id not in self.active:
            assert isinstance(outcome, Refused), outcome
            assert isinstance(outcome.error, ValidationError)
            return
        assert isinstance(outcome, int), outcome
        self.models[outcome] = Model(
            S.SCHEDULED, assignee_id, due_at, None, CallbackPriority.NORMAL, clock_at=self.step_time
        )
        self.seen[outcome] = Seen(read_row(outcome), [S.SCHEDULED])

    # --- the advisor's actions ---------------------------------------------------------------------------------

    @has_open_callbacks
    @rule(pick=picks, actor=st.sampled_from(PEOPLE))
    def claim(self, pick: tuple[bool, int], actor: str) -> None:
        callback_id = self.chosen(pick)
        model, me = self.models[callback_id], self.ids[actor]
        if not model.is_open or model.assignee_id not in (None, me):
            expected: Model | type[Exception] = Conflict
        elif model.assignee_id == me:
            expected = model
        else:
            expected = self.claimed(model, actor)
        self.run(callback_id, lambda c, user: workflow.claim_callback(c.id, actor=user), expected, actor)

    def claimed(self, model: Model, actor: str) -> Model:
        """A pooled, open callback claimed by `actor`."""
        me = self.ids[actor]
        if model.status == S.NO_ANSWER:
            after = model.clock_restarted(self.step_time, "callback.claimed", assignee_id=me)
        else:
            after = model.logged("callback.claimed", assignee_id=me)
        return self.settled(after, actor, worked=True)

    def settled(self, after: Model, actor: str, *, worked: bool) -> Model:
        """callbacks/offers.settle after `actor` acted (`after`: the callback as the action left it)."""
        if not after.offered:
            return after
        me = self.ids[actor]
        if worked and after.assignee_id == me and after.offer_to in (None, me):
            return after.logged("callback.handover_accepted", offered=False)
        if not after.is_open or after.assignee_id != after.offer_to:
            return after.logged("callback.handover_withdrawn", offered=False)
        return after

    @staticmethod
    def withdrawn(model: Model) -> Model:
        """An offer the clocks close as withdrawn (pooled or missed)."""
        return model.logged("callback.handover_withdrawn", offered=False) if model.offered else model

    @has_open_callbacks
    @rule(pick=picks, actor=st.sampled_from(PEOPLE))
    def start(self, pick: tuple[bool, int], actor: str) -> None:
        callback_id = self.chosen(pick)
        model = self.models[callback_id]
        self.run(
            callback_id,
            lambda c, user: workflow.start_callback(c.id, actor=user),
            Forbidden if self.not_theirs(model, actor) else self.started(model, actor),
            actor,
        )

    def started(self, model: Model, actor: str) -> Model | type[Exception]:
        if not model.is_open:
            return Conflict
        if model.status == S.IN_PROGRESS:
            return model
        after = model.clock_restarted(
            self.step_time,
            "callback.started",
            status=S.IN_PROGRESS,
            started=True,
            assignee_id=self.ids[actor],
            escalated=frozenset(),
        )
        return self.settled(after, actor, worked=True)

    @has_open_callbacks
    @rule(
        pick=picks,
        actor=st.sampled_from(PEOPLE),
        outcome=st.sampled_from(list(AttemptOutcome)),
        next_minutes=st.none() | MINUTES | st.just(-10),
    )
    def record_attempt(
        self, pick: tuple[bool, int], actor: str, outcome: AttemptOutcome, next_minutes: int | None
    ) -> None:
        callback_id = self.chosen(pick)
        model = self.models[callback_id]
        next_due = None if next_minutes is None else self.due(next_minutes)
        expected = Forbidden if self.not_theirs(model, actor) else self.attempted(model, actor, outcome, next_due)
        self.run(
            callback_id,
            lambda c, user: workflow.record_attempt(c.id, outcome=outcome, actor=user, next_due_at=next_due),
            expected,
            actor,
        )

    def attempted(
        self, model: Model, actor: str, outcome: AttemptOutcome, next_due: datetime | None
    ) -> Model | type[Exception]:
        if not model.is_open:
            return Conflict
        if outcome == AttemptOutcome.VOICEMAIL_LEFT and not self.voicemail:
            return ValidationError
        if outcome == AttemptOutcome.ANSWERED and next_due is not None:
            return ValidationError
        after = model.clock_restarted(
            self.step_time,
            "callback.attempt_recorded",
            attempts=(*model.attempts, outcome),
            started=True,
            assignee_id=model.assignee_id if model.assignee_id is not None else self.ids[actor],
            escalated=frozenset(),
        )
        if outcome == AttemptOutcome.ANSWERED:
            return self.settled(replace(after, status=S.COMPLETED), actor, worked=True)
        if outcome == AttemptOutcome.WRONG_NUMBER or after.failed >= self.max_failed:
            return self.settled(replace(after, status=S.UNREACHABLE), actor, worked=True)
        after = self.settled(replace(after, status=S.NO_ANSWER), actor, worked=True)
        if next_due is None:
            return after
        return self.rescheduled(after, next_due, None, actor)

    @has_open_callbacks
    @rule(pick=picks, actor=st.sampled_from(PEOPLE), minutes=MINUTES | st.just(-10), window=WINDOWS)
    def reschedule(self, pick: tuple[bool, int], actor: str, minutes: int, window: int | None) -> None:
        callback_id = self.chosen(pick)
        due_at, model = self.due(minutes), self.models[callback_id]
        self.run(
            callback_id,
            lambda c, user: workflow.reschedule_callback(c.id, due_at, actor=user, window_minutes=window),
            Forbidden if self.not_theirs(model, actor) else self.rescheduled(model, due_at, window, actor),
            actor,
        )

    def rescheduled(self, model: Model, due_at: datetime, window: int | None, actor: str) -> Model | type[Exception]:
        if not model.is_open:
            return Conflict
        if window is not None and not 0 <= window <= 720:
            return ValidationError
        if due_at <= self.now:
            return ValidationError
        if (due_at, window, model.status) == (model.due_at, model.window_minutes, S.SCHEDULED):
            return model
        after = model.clock_restarted(
            self.step_time,
            "callback.rescheduled",
            status=S.SCHEDULED,
            due_at=due_at,
            window_minutes=window,
            started=False,
            escalated=frozenset(),
        )
        return self.settled(after, actor, worked=True)

    @has_open_callbacks
    @rule(pick=picks, actor=st.sampled_from(PEOPLE), holder=st.sampled_from(HOLDERS))
    def reassign(self, pick: tuple[bool, int], actor: str, holder: str | None) -> None:
        callback_id = self.chosen(pick)
        model, assignee_id = self.models[callback_id], self.ids[holder]
        if self.not_theirs(model, actor):
            expected: Model | type[Exception] = Forbidden
        elif not model.is_open:
            expected = Conflict
        elif assignee_id == model.assignee_id:
            expected = model
        elif assignee_id is not None and assignee_id not in self.active:
            expected = ValidationError
        else:
            expected = self.settled(
                model.changed_hands("callback.reassigned", assignee_id=assignee_id), actor, worked=False
            )
        self.run(
            callback_id, lambda c, user: workflow.reassign_callback(c.id, assignee_id, actor=user), expected, actor
        )

    @has_open_callbacks
    @rule(pick=picks, actor=st.sampled_from(PEOPLE))
    def cancel(self, pick: tuple[bool, int], actor: str) -> None:
        callback_id = self.chosen(pick)
        model = self.models[callback_id]
        self.run(
            callback_id,
            lambda c, user: workflow.cancel_callback(c.id, actor=user, reason="caller is in treatment"),
            Forbidden if self.not_theirs(model, actor) else self.cancelled(model, actor),
            actor,
        )

    def cancelled(self, model: Model, actor: str) -> Model | type[Exception]:
        if not model.is_open:
            return Conflict
        return self.settled(
            model.logged("callback.cancelled", status=S.CANCELLED, escalated=frozenset()), actor, worked=False
        )

    @has_open_callbacks
    @rule(
        pick=picks,
        actor=st.sampled_from(PEOPLE),
        stale=st.booleans(),
        status=st.sampled_from([None, S.IN_PROGRESS, S.CANCELLED, S.COMPLETED]),
        priority=st.none() | st.sampled_from(list(CallbackPriority)),
    )
    def patch(
        self,
        pick: tuple[bool, int],
        actor: str,
        stale: bool,
        status: CallbackStatus | None,
        priority: CallbackPriority | None,
    ) -> None:
        """PATCH /callbacks/{id}: with the version read; cancel, start, or change the priority."""
        callback_id = self.chosen(pick)
        model = self.models[callback_id]
        changes: dict[str, Any] = {"status": status, "priority": priority}
        expected: Model | type[Exception]
        if self.not_theirs(model, actor):
            expected = Forbidden
        elif stale:
            expected = Conflict
        elif status == S.CANCELLED:
            expected = self.cancelled(model, actor)
        elif status not in (None, S.IN_PROGRESS):
            expected = ValidationError
        elif not model.is_open:
            expected = Conflict
        else:
            expected = model
            if priority is not None and priority != model.priority:
                expected = expected.logged("callback.updated", priority=priority)
            if status == S.IN_PROGRESS:
                expected = self.started(expected, actor)
        version = read_row(callback_id).version - stale
        self.run(
            callback_id,
            lambda c, user: workflow.update_callback(
                c.id, workflow.CallbackChanges(**changes), expected_version=version, actor=user
            ),
            expected,
            actor,
        )

    # --- handing over ------------------------------------------------------------------------------------------

    def person(self, user_id: int | None, fallback: str) -> str:
        """Who of PEOPLE has this id (the fallback when none does: the pool, someone gone, no one)."""
        return next((name for name in PEOPLE if self.ids[name] == user_id), fallback)

    def preferring(self, index: int, wanted: Callable[[Model], bool]) -> int:
        """A callback for a step that matters on some callbacks only: one of those when there are any (the refusals
        come from who acts and to whom), else any."""
        ids = sorted(i for i, model in self.models.items() if wanted(model))
        return ids[index % len(ids)] if ids else self.chosen((True, index))

    @precondition(lambda self: any(m.is_open and m.assignee_id in self.active for m in self.models.values()))
    @rule(
        index=INDEX,
        stranger=st.booleans(),
        who=st.sampled_from(PEOPLE),
        to=HANDOVER_TO,
        then=st.sampled_from(["accept", "clock", "nothing"]),
        slack=SLACK,
    )
    def hand_over(self, index: int, stranger: bool, who: str, to: str | None, then: str, slack: timedelta) -> None:
        """The holder (or, as a `stranger`, someone else) hands a callback to someone (None: the pool), as clocking
        off does for each one. Then, as every step happens at the same database time and the workers' clock only
        goes forward, what answers the offer comes at once, or it may never come: the receiver (for the pool: `who`)
        accepts it, or the clock runs near the time it goes back to the pool, or nothing (other steps settle it)."""
        callback_id = self.preferring(index, lambda m: m.is_open and m.assignee_id in self.active)
        model = self.models[callback_id]
        actor = who if stranger else self.person(model.assignee_id, "on_shift")
        me = self.ids[actor]
        to_id = self.ids["manager" if actor == "on_shift" else "on_shift"] if to == "colleague" else self.ids[to]
        expected: Model | type[Exception]
        if not model.is_open:
            expected = Conflict
        elif model.assignee_id != me or (to_id is not None and (to_id == me or to_id not in self.on_shift)):
            expected = ValidationError
        else:
            expected = self.withdrawn(model).changed_hands(
                "callback.handed_over", assignee_id=to_id, offered=True, offer_to=to_id, offer_at=self.step_time
            )
        self.run(
            callback_id,
            lambda c, user: handover.hand_over_callback(c.id, to_user_id=to_id, actor=user, note="ask for Jo"),
            expected,
            actor,
        )
        if not self.models[callback_id].offered:
            return
        self.after_every_step()  # the handover is one change, what answers it another
        if then == "accept":
            latest = db.session.scalar(sa.select(sa.func.max(Handover.id)).where(Handover.callback_id == callback_id))
            assert latest is not None
            self.accept_once(callback_id, latest, False, who)
        elif then == "clock":
            self.clocks_after_a_handover(slack)

    @has_offers
    @rule(index=INDEX, stranger=st.booleans(), who=st.sampled_from(PEOPLE), twice=st.booleans())
    def accept(self, index: int, stranger: bool, who: str, twice: bool) -> None:
        """The receiver (or, as a `stranger`, someone else; for the pool, `who` is the one who takes it) accepts an
        open handover, and perhaps again (409)."""
        callback_id = self.preferring(index, lambda m: m.offered)
        latest = db.session.scalar(
            sa.select(Handover.id).where(Handover.callback_id == callback_id).order_by(Handover.id.desc()).limit(1)
        )
        assert latest is not None
        self.accept_once(callback_id, latest, stranger, who)
        if twice:
            self.accept_once(callback_id, latest, stranger, who)

    def accept_once(self, callback_id: int, latest: int, stranger: bool, who: str) -> None:
        model = self.models[callback_id]
        actor = who if stranger or model.offer_to is None else self.person(model.offer_to, who)
        me = self.ids[actor]
        expected: Model | type[Exception]
        if not model.offered:
            expected = Conflict
        elif model.offer_to is None:
            expected = self.claimed(model, actor)
        elif model.offer_to != me:
            expected = Forbidden
        else:
            expected = model.logged("callback.handover_accepted", offered=False)
        self.run(callback_id, lambda c, user: handover.accept_handover(latest, actor=user), expected, actor)

    # --- the workers -------------------------------------------------------------------------------------------

    def run_workers_at(self, callback_id: int, after_due: timedelta) -> None:
        """The workers run when a callback's moment comes (its clock never goes back: later if it already has)."""
        self.clock = max(self.clock, self.models[callback_id].due_at + after_due)

    @has_callbacks
    @rule(pick=picks, slack=SLACK)
    def scan_reminders(self, pick: tuple[bool, int], slack: timedelta) -> None:
        """due.remind_due near a callback's reminder time: messages for scheduled callbacks about to fall due."""
        self.run_workers_at(self.chosen(pick), slack - self.reminder_lead)
        outcome = self.as_edge(lambda: due.remind_due(now=self.clock))
        assert not isinstance(outcome, Refused), outcome

    @has_callbacks
    @rule(pick=picks, stage=st.sampled_from(["due", "escalate", "missed"]), slack=SLACK)
    def clocks_near_due(self, pick: tuple[bool, int], stage: str, slack: timedelta) -> None:
        """callbacks.run_clocks near a callback's due time, escalation time or missed time."""
        after = {"due": timedelta(0), "escalate": self.escalate_after, "missed": self.missed_after}[stage]
        self.run_workers_at(self.chosen(pick), after + slack)
        self.run_clocks()

    @has_callbacks
    @rule(stage=st.sampled_from(["nudge", "alert", "prompt", "pool", "missed"]), slack=SLACK)
    def clocks_after_a_step(self, stage: str, slack: timedelta) -> None:
        """callbacks.run_clocks near a moment after a start or an attempt: a stalled call's nudge or alert, an
        unanswered one's prompt, pool or missed."""
        self.clock = max(self.clock, self.now + self.after_start[stage] + slack)
        self.run_clocks()

    @has_offers
    @rule(slack=SLACK)
    def clocks_after_a_handover(self, slack: timedelta) -> None:
        """callbacks.run_clocks near the moment an unaccepted handover to a colleague goes back to the pool."""
        self.clock = max(self.clock, self.now + self.after_start["handover"] + slack)
        self.run_clocks()

    def run_clocks(self) -> None:
        outcome = self.as_edge(lambda: due.run_clocks(now=self.clock))
        assert not isinstance(outcome, Refused), outcome
        for callback_id, model in self.models.items():
            self.models[callback_id] = self.clocks_ran(model)

    def clocks_ran(self, model: Model) -> Model:
        """What callbacks/due.py's steps, in their order, do to a callback at self.clock: an unaccepted handover
        first, then the clock of its state."""
        if model.offered and model.offer_to is not None and model.is_open:
            assert model.offer_at is not None
            if model.offer_at <= self.clock - self.after_start["handover"]:
                model = model.changed_hands("callback.handover_returned", assignee_id=None, offered=False)
        step = {S.SCHEDULED: self.scheduled_clock, S.IN_PROGRESS: self.stalled_clock, S.NO_ANSWER: self.retry_clock}
        return step[model.status](model) if model.status in step else model

    def waited(self, model: Model, stage: str) -> bool:
        assert model.clock_at is not None
        return model.clock_at <= self.clock - self.after_start[stage]

    def scheduled_clock(self, model: Model) -> Model:
        clock = self.clock
        if self.pool_off_shift and model.due_at <= clock and model.assignee_id not in (None, *self.on_shift):
            model = self.withdrawn(model.changed_hands("callback.pooled", assignee_id=None))
        if model.due_at <= clock - self.escalate_after and model.due_at not in model.escalated:
            model = model.logged("callback.escalated", escalated=model.escalated | {model.due_at})
        if model.due_at <= clock - self.missed_after:
            model = self.withdrawn(model.logged("callback.missed", status=S.MISSED))
        return model

    def stalled_clock(self, model: Model) -> Model:
        if model.assignee_id is not None and not model.nudged and self.waited(model, "nudge"):
            model = model.logged("callback.stalled_nudged", nudged=True)
        if not model.alerted and self.waited(model, "alert"):
            model = model.logged("callback.stalled_escalated", alerted=True)
        return model

    def retry_clock(self, model: Model) -> Model:
        if model.assignee_id is not None and not model.prompted and self.waited(model, "prompt"):
            model = model.logged("callback.retry_prompted", prompted=True)
        if model.assignee_id is not None and self.waited(model, "pool"):
            model = self.withdrawn(model.changed_hands("callback.pooled", assignee_id=None))
        if self.waited(model, "missed"):
            model = self.withdrawn(model.logged("callback.missed", status=S.MISSED))
        return model

    # --- invariants: read the callbacks once per step, then check each claim --------------------------------------

    @invariant()
    def after_every_step(self) -> None:
        rows = read_rows(list(self.models))
        self.check_database_agrees_with_the_model(rows)
        self.check_closed_callbacks_never_change_and_versions_only_go_up(rows)
        self.check_attempt_counts_are_the_attempts_table(rows)
        self.check_unsent_messages_are_only_for_the_current_due_time_and_holder(rows)
        self.check_an_unreachable_caller_flags_the_case()
        self.check_open_offers_are_the_models_and_held_by_their_receiver(rows)
        self.check_every_change_is_audited()
        self.check_the_case_keeps_its_last_successful_contact()

    def check_database_agrees_with_the_model(self, rows: dict[int, Row]) -> None:
        for callback_id, model in self.models.items():
            row = rows[callback_id]
            assert (row.status, row.assignee_id, row.due_at, row.window_minutes, row.priority) == (
                model.status,
                model.assignee_id,
                model.due_at,
                model.window_minutes,
                model.priority,
            ), callback_id
            assert (row.attempt_count, row.failed_attempt_count) == (len(model.attempts), model.failed)
            assert (row.closed_at is None) == model.is_open
            assert row.started == model.started
            if model.is_open:
                assert self.now < row.clock_started_at < self.step_time + timedelta(seconds=30), "a step took a minute"
            if row.status in (S.SCHEDULED, S.IN_PROGRESS):
                assert row.started == (row.status == S.IN_PROGRESS)

    def check_closed_callbacks_never_change_and_versions_only_go_up(self, rows: dict[int, Row]) -> None:
        for callback_id, seen in self.seen.items():
            row, before = rows[callback_id], seen.row
            if before.status in CLOSED_STATUSES:
                assert row == before, "a closed callback changed"
            assert row.version >= before.version
            assert (row.version > before.version) == (row != replace(before, version=row.version))
            if row.status != seen.statuses[-1]:
                assert (seen.statuses[-1], row.status) in ALLOWED, (seen.statuses[-1], row.status)
                seen.statuses.append(row.status)
            seen.row = row

    def check_attempt_counts_are_the_attempts_table(self, rows: dict[int, Row]) -> None:
        query = sa.select(CallbackAttempt.callback_id, CallbackAttempt.outcome).where(
            CallbackAttempt.callback_id.in_(list(rows))
        )
        outcomes: dict[int, list[AttemptOutcome]] = {callback_id: [] for callback_id in rows}
        for callback_id, outcome in db.session.execute(query):
            outcomes[callback_id].append(outcome)
        for callback_id, row in rows.items():
            assert row.attempt_count == len(outcomes[callback_id])
            assert row.failed_attempt_count == sum(outcome in FAILED_OUTCOMES for outcome in outcomes[callback_id])

    def check_unsent_messages_are_only_for_the_current_due_time_and_holder(self, rows: dict[int, Row]) -> None:
        query = sa.select(
            OutboxMessage.callback_id, OutboxMessage.kind, OutboxMessage.due_at, OutboxMessage.recipient_id
        ).where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.callback_id.in_(list(rows)))
        clock_kinds = {
            OutboxKind.STALLED_NUDGE: S.IN_PROGRESS,
            OutboxKind.STALLED_ALERT: S.IN_PROGRESS,
            OutboxKind.RETRY_PROMPT: S.NO_ANSWER,
        }
        for callback_id, kind, about, recipient_id in db.session.execute(query):
            row = rows[callback_id]
            if kind in clock_kinds:
                assert row.status == clock_kinds[kind], f"an unsent {kind} for a {row.status} callback"
                assert about == row.clock_started_at, f"an unsent {kind} for a clock that has restarted"
                if kind != OutboxKind.STALLED_ALERT:
                    assert row.assignee_id == recipient_id, f"an unsent {kind} to someone who no longer holds it"
                continue
            assert about == row.due_at, "an unsent message for a due time that has moved"
            if kind == OutboxKind.REMINDER:
                assert row.status == S.SCHEDULED, f"an unsent reminder for a {row.status} callback"
                assert row.assignee_id in (None, recipient_id), "an unsent reminder to someone who no longer holds it"
            else:
                assert row.status in (S.SCHEDULED, S.MISSED), f"an unsent escalation for a {row.status} callback"

    def check_an_unreachable_caller_flags_the_case(self) -> None:
        unreachable = any(model.status == S.UNREACHABLE for model in self.models.values())
        flags = db.session.scalars(
            sa.select(CaseFlag.kind).where(CaseFlag.case_id == self.case.id, CaseFlag.cleared_at.is_(None))
        ).all()
        assert flags == (["unreachable"] if unreachable else [])

    def check_open_offers_are_the_models_and_held_by_their_receiver(self, rows: dict[int, Row]) -> None:
        query = sa.select(Handover.callback_id, Handover.to_user_id).where(
            Handover.callback_id.in_(list(rows)), Handover.status == HandoverStatus.OFFERED
        )
        offers: dict[int, list[int | None]] = {}
        for callback_id, to_user_id in db.session.execute(query):
            offers.setdefault(callback_id, []).append(to_user_id)
        for callback_id, model in self.models.items():
            assert offers.get(callback_id, []) == ([model.offer_to] if model.offered else []), callback_id
            if model.offered:
                assert rows[callback_id].assignee_id == model.offer_to, "an offer held by someone else"
                assert rows[callback_id].status in OPEN_STATUSES, "an offer on a closed callback"

    def check_every_change_is_audited(self) -> None:
        query = (
            sa.select(AuditEvent.entity_id, AuditEvent.action)
            .where(AuditEvent.entity_type == "callback", AuditEvent.entity_id.in_([str(i) for i in self.models]))
            .order_by(AuditEvent.id)
        )
        actions: dict[int, tuple[str, ...]] = dict.fromkeys(self.models, ())
        for entity_id, action in db.session.execute(query):
            actions[int(str(entity_id))] += (action,)
        assert actions == {callback_id: model.audit for callback_id, model in self.models.items()}

    def check_the_case_keeps_its_last_successful_contact(self) -> None:
        """What the stale-cases list reads (cases.last_contact_at) is the last answered attempt, as worked out from
        the attempts themselves."""
        kept = db.session.scalar(sa.select(Case.last_contact_at).where(Case.id == self.case.id))
        answered = any(AttemptOutcome.ANSWERED in model.attempts for model in self.models.values())
        assert kept == stale.last_contact_of(self.case.id)
        assert (kept is not None) == answered


def test_callback_services_follow_the_workflow(app: Flask) -> None:
    run_machine(lambda: CallbackWorkflow(app), examples(30, stateful_step_count=25))


# --- handovers, step by step: each path of the offer, on every run (the machine above explores their interleavings) --

MINUTE = timedelta(minutes=1)


def _held(state: CallbackWorkflow, holder: str = "on_shift") -> int:
    state.open_case(voicemail=False)
    state.book(minutes=60, holder=holder, actor=holder)
    state.after_every_step()
    (callback_id,) = state.models
    return callback_id


def _hand(state: CallbackWorkflow, to: str | None = "colleague", who: str = "on_shift", stranger: bool = False) -> None:
    state.hand_over(index=0, stranger=stranger, who=who, to=to, then="nothing", slack=timedelta(0))
    state.after_every_step()


def test_a_handover_is_accepted_by_its_receiver_once(app: Flask) -> None:
    with replaying(CallbackWorkflow(app)) as state:
        callback_id = _held(state)
        _hand(state)
        state.accept(index=0, stranger=True, who="off_shift", twice=False)  # not theirs: 403
        state.accept(index=0, stranger=False, who="off_shift", twice=True)  # the receiver, then again: 409
        state.after_every_step()

        model = state.models[callback_id]
        assert (model.assignee_id, model.offered) == (state.ids["manager"], False)
        assert model.audit[-2:] == ("callback.handed_over", "callback.handover_accepted")


def test_an_unaccepted_handover_goes_back_to_the_pool_on_the_clock_once(app: Flask) -> None:
    with replaying(CallbackWorkflow(app)) as state:
        callback_id = _held(state)
        _hand(state)
        state.clocks_after_a_handover(slack=-MINUTE)  # not yet
        state.after_every_step()
        assert state.models[callback_id].offered
        state.clocks_after_a_handover(slack=MINUTE)
        state.after_every_step()
        state.clocks_after_a_handover(slack=5 * MINUTE)  # once
        state.after_every_step()

        model = state.models[callback_id]
        assert (model.assignee_id, model.offered) == (None, False)
        assert model.audit[-2:] == ("callback.handed_over", "callback.handover_returned")


def test_a_handover_to_the_pool_is_accepted_by_whoever_claims_it(app: Flask) -> None:
    with replaying(CallbackWorkflow(app)) as state:
        callback_id = _held(state)
        _hand(state, to=None)
        state.clocks_after_a_handover(slack=5 * MINUTE)  # the pool's offer waits for a claim
        state.after_every_step()
        state.claim(pick=(True, 0), actor="off_shift")
        state.after_every_step()

        model = state.models[callback_id]
        assert (model.assignee_id, model.offered) == (state.ids["off_shift"], False)
        assert model.audit[-3:] == ("callback.handed_over", "callback.claimed", "callback.handover_accepted")


def test_someone_else_starting_an_offered_callback_withdraws_the_offer(app: Flask) -> None:
    with replaying(CallbackWorkflow(app)) as state:
        callback_id = _held(state, holder="manager")
        _hand(state, who="manager")  # to the advisor on shift
        state.start(pick=(True, 0), actor="off_shift")  # another advisor may not take a colleague's callback
        state.start(pick=(True, 0), actor="manager")  # a manager may
        state.after_every_step()

        assert state.models[callback_id].audit[-3:] == (
            "callback.handed_over",
            "callback.started",
            "callback.handover_withdrawn",
        )


def test_a_receiver_handing_the_callback_on_withdraws_their_own_offer(app: Flask) -> None:
    with replaying(CallbackWorkflow(app)) as state:
        callback_id = _held(state, holder="off_shift")
        _hand(state, to="manager", who="off_shift")
        _hand(state, to=None, who="manager")

        assert state.models[callback_id].audit[-3:] == (
            "callback.handed_over",
            "callback.handover_withdrawn",
            "callback.handed_over",
        )


def test_a_handover_by_someone_who_does_not_hold_it_or_to_someone_off_shift_is_refused(app: Flask) -> None:
    with replaying(CallbackWorkflow(app)) as state:
        callback_id = _held(state)
        _hand(state, who="manager", stranger=True)  # not theirs
        _hand(state, to="off_shift")  # not on shift
        _hand(state, to="gone")  # inactive
        _hand(state, to="on_shift")  # themselves

        assert state.models[callback_id].audit == ("callback.booked",)
