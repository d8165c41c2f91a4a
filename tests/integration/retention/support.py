"""A caller with something in every table that can hold their details, and a scan of every text and JSON column of
every table for strings that must be gone."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from caseapp.auth.models import Role, User
from caseapp.callbacks.models import Callback, CallbackAttempt, Handover
from caseapp.caller_flags.models import FlagKind
from caseapp.caller_flags.services import raise_on_caller, raise_on_number
from caseapp.callers.models import Caller, NumberKind
from caseapp.callers.numbers import add_number
from caseapp.callers.phones import normalise_phone
from caseapp.calls.models import Call
from caseapp.cases.models import Case, CaseNote
from caseapp.cases.services import add_note
from caseapp.db import Base
from caseapp.encryption.types import ENCRYPTED_TYPES
from caseapp.extensions import db
from caseapp.notifications.services import notify
from caseapp.reference import AttemptOutcome, CallbackStatus, CallType, CaseStatus, CloseReason
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxMessage
from caseapp.safeguarding.reference import SafeguardingStatus
from caseapp.safeguarding.services import review_concern
from caseapp.timeutil import now_utc
from tests import factories

_numbers = itertools.count(424200)


@dataclass
class History:
    caller: Caller
    case: Case
    call: Call
    stray_call: Call
    callback: Callback
    note: CaseNote
    phone_typed: str
    name: str
    #: every free-text value written, each unique to this history
    texts: list[str] = field(default_factory=list)

    @property
    def needles(self) -> list[str]:
        """What must not survive anywhere: the name, its surname, the number in the forms it is stored and shown,
        and every note."""
        e164 = normalise_phone(self.phone_typed)
        assert e164 is not None
        return [self.name, self.name.split()[-1], e164, e164.removeprefix("+44"), *self.texts]


def make_history(advisor: User, *, closed_at: datetime | None, tag: str = "a") -> History:
    """A caller with one case (closed at `closed_at`, else open): a call with reason, outcome, notes and tags; a call
    without a case; an assessment with free-text answers; a note; a cancelled callback with an attempt, a handover
    and reminder messages; a notification; a reviewed safeguarding record, an emergency log entry, and flags on the
    caller and on their number."""
    n = next(_numbers)
    texts = [f"t{i}-{tag}-{n}-marigold" for i in range(14)]
    name = f"Zebedee Quartermaine{n}"
    phone = factories.unique_phone()
    caller = factories.make_caller(
        phone=phone,
        name=name,
        consent_callback=True,
        preferred_times_note=texts[0],
        safe_to_call_notes=texts[1],
    )
    case = factories.make_case(caller, actor=advisor)
    # another number of theirs, labelled: both the number and the label must go with the caller
    other = add_number(
        caller,
        phone=factories.unique_phone(),
        kind=NumberKind.FAMILY,
        label=f"n-{tag}-{n}-marigold sister",
        consent_confirmed=True,
        actor=advisor,
    )
    call = factories.make_call(
        case, actor=advisor, reason=texts[2], outcome_summary=texts[3], notes=texts[4], tags=[texts[5]]
    )
    stray = factories.make_call(
        None, actor=advisor, phone=phone, call_type=CallType.SILENT, notes=texts[6], reason=texts[7]
    )
    factories.make_assessment(
        case, actor=advisor, notes=texts[8], safeguarding_notes=texts[9], outcome=texts[10], amount=texts[11]
    )
    note = add_note(case, texts[12], actor=advisor)
    callback = factories.make_callback(case, actor=advisor, reason=texts[13])
    extra = [f"x{i}-{tag}-{n}-marigold" for i in range(4)]
    texts.extend(extra)
    texts.extend([other.phone_e164, f"n-{tag}-{n}-marigold sister"])
    db.session.add(
        CallbackAttempt(
            callback_id=callback.id,
            outcome=AttemptOutcome.NO_ANSWER,
            advisor_id=advisor.id,
            attempted_at=now_utc(),
            notes=extra[0],
        )
    )
    colleague = factories.make_user()
    db.session.add(Handover(callback_id=callback.id, from_user_id=advisor.id, to_user_id=colleague.id, note=extra[1]))
    db.session.add(
        OutboxMessage(
            callback_id=callback.id,
            kind=OutboxKind.REMINDER,
            due_at=callback.due_at,
            channel=DeliveryChannel.EMAIL,
            recipient_id=advisor.id,
            status="sent",
            sent_at=now_utc(),
            message_id=f"<{n}.{tag}@caseapp.test>",
            subject=f"Ring {name.split()[0]} back: {case.reference}",
            body=f"Ring {name} on {phone}. {extra[2]}",
            case_id=case.id,
        )
    )
    notify([colleague.id], kind="handover_offered", title=f"Handed to you: {extra[3]}", case_id=case.id)
    concern = [f"s{i}-{tag}-{n}-marigold" for i in range(6)]
    texts.extend(concern)
    record = factories.make_safeguarding(
        case,
        actor=advisor,
        decision="not_shared",
        description=concern[0],
        decision_reason=concern[1],
        agency="police",
        agency_reference=concern[2],
    )
    manager = factories.make_user(role=Role.MANAGER)
    review_concern(record, status=SafeguardingStatus.OPEN, outcome_note=concern[3], actor=manager)
    factories.make_emergency_action(case, actor=advisor, reference=concern[4], outcome_note=concern[5])
    flagged = [f"f{i}-{tag}-{n}-marigold" for i in range(2)]
    texts.extend(flagged)
    raise_on_caller(caller, kind=FlagKind.ABUSIVE, reason=flagged[0], actor=advisor, expires_in_days=2)
    raise_on_number(phone, kind=FlagKind.DO_NOT_RING_BACK, reason=flagged[1], actor=advisor, expires_in_days=2)
    db.session.flush()
    callback.status = CallbackStatus.CANCELLED
    callback.cancel_reason = f"cancelled {extra[0]}"
    callback.closed_at = now_utc()
    if closed_at is not None:
        case.status = CaseStatus.CLOSED
        case.close_reason = CloseReason.NO_FURTHER_ACTION
        case.closed_at = closed_at
    db.session.flush()
    return History(caller, case, call, stray, callback, note, phone, name, texts)


def backdate(history: History, *, by: timedelta) -> None:
    """Move everything the history's caller did `by` into the past (as if it had happened then)."""
    history.caller.created_at -= by
    for call in (history.call, history.stray_call):
        call.started_at -= by
        call.ended_at = call.ended_at - by if call.ended_at else None
    db.session.flush()
    db.session.expire_all()


def text_columns() -> list[sa.Column[object]]:
    """Every column of every table that can hold text: strings, text, JSON (also behind a TypeDecorator)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            kind = getattr(column.type, "impl", column.type)
            if isinstance(kind, sa.String | sa.Text | sa.JSON) or isinstance(column.type, sa.String | sa.JSON):
                found.append(column)
    return found


def where_found(needles: list[str]) -> list[tuple[str, str]]:
    """(table.column, needle) for each needle still present anywhere (case-insensitive): in the database's text, and
    in what the encrypted columns decrypt to (their stored tokens never contain it)."""
    hits = []
    for column in text_columns():
        if isinstance(column.type, ENCRYPTED_TYPES):
            values = [json.dumps(v) if not isinstance(v, str) else v for v in db.session.scalars(sa.select(column))]
            hits += [
                (f"{column.table.name}.{column.name}", n)
                for n in needles
                if any(n.lower() in v.lower() for v in values)
            ]
            continue
        for needle in needles:
            query = (
                sa.select(sa.func.count())
                .select_from(column.table)
                .where(sa.cast(column, sa.Text).ilike(f"%{needle}%"))
            )
            if db.session.scalar(query):
                hits.append((f"{column.table.name}.{column.name}", needle))
    return hits
