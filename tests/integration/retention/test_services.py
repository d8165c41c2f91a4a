"""The retention run: closed cases anonymised 24 months after closing, callers once all their cases are, legal holds
respected, dry runs changing nothing, every run audited; and nothing identifying left in any table."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from dateutil.relativedelta import relativedelta

from caseapp.assessments.models import Assessment
from caseapp.auth.models import ApiToken, Role, User
from caseapp.callbacks.models import Callback
from caseapp.caller_flags import queries as flag_queries
from caseapp.caller_flags.models import CallerFlag, FlagKind
from caseapp.caller_flags.retention import SCRUBBED
from caseapp.caller_flags.services import lift_flag, raise_on_caller
from caseapp.callers.models import Caller
from caseapp.callers.phones import normalise_phone
from caseapp.calls.models import Call
from caseapp.cases.models import Case, CaseNote
from caseapp.db import Base
from caseapp.errors import Conflict, Forbidden, ValidationError
from caseapp.extensions import db
from caseapp.reminders.models import DeliveryChannel, OutboxKind, OutboxMessage, OutboxStatus
from caseapp.retention import services
from caseapp.retention.policy import PLACEHOLDER
from caseapp.timeutil import now_utc
from tests import factories
from tests.integration.api_support import audit_events
from tests.integration.retention.support import backdate, make_history, where_found

MONTHS = relativedelta(months=1)


@pytest.fixture
def advisor(db_session: Any) -> User:
    return factories.make_user()


@pytest.fixture
def admin(db_session: Any) -> User:
    return factories.make_user(role=Role.ADMIN)


def _apply() -> services.RetentionRun:
    return services.apply_retention(commit=db.session.flush)


def _reload(model: Any, row_id: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, row_id)


def _snapshot() -> dict[str, list[Any]]:
    """Every report table's rows, and every column the reports read (counts, codes, times, ids)."""
    tables = {name: table for name, table in Base.metadata.tables.items() if name.startswith("report_")}
    assert len(tables) == 7
    rows = {
        name: [tuple(r) for r in db.session.execute(sa.select(t).order_by(*t.primary_key))]
        for name, t in tables.items()
    }
    rows["cases"] = [
        tuple(r)
        for r in db.session.execute(
            sa.select(
                Case.id,
                Case.status,
                Case.close_reason,
                Case.closed_at,
                Case.risk_level,
                Case.assigned_advisor_id,
                Case.created_at,
            ).order_by(Case.id)
        )
    ]
    rows["calls"] = [
        tuple(r)
        for r in db.session.execute(
            sa.select(
                Call.id, Call.call_type, Call.case_id, Call.advisor_id, Call.started_at, Call.ended_at, Call.channel
            ).order_by(Call.id)
        )
    ]
    rows["assessments"] = [
        tuple(r)
        for r in db.session.execute(
            sa.select(
                Assessment.id, Assessment.primary_substance, Assessment.recommended_pathway, Assessment.risk_level
            ).order_by(Assessment.id)
        )
    ]
    return rows


def test_a_case_closed_25_months_ago_is_anonymised_and_one_closed_23_months_ago_is_kept(advisor: User) -> None:
    now = now_utc()
    old = make_history(advisor, closed_at=now - 25 * MONTHS, tag="old")
    recent = make_history(advisor, closed_at=now - 23 * MONTHS, tag="recent")

    run = _apply()

    assert old.case.id in run.case_ids
    assert recent.case.id not in run.case_ids
    assert _reload(Case, old.case.id).anonymised_at is not None
    assert _reload(Case, recent.case.id).anonymised_at is None
    assert _reload(Call, old.call.id).notes is None
    assert _reload(Call, recent.call.id).notes == recent.texts[4]
    assert _reload(CaseNote, old.note.id).body == PLACEHOLDER
    # the caller rang recently (the calls are today): their case goes, they stay
    caller = _reload(Caller, old.caller.id)
    assert caller.anonymised_at is None
    assert caller.name == old.name


def test_a_caller_is_anonymised_once_every_case_of_theirs_qualifies(advisor: User) -> None:
    now = now_utc()
    history = make_history(advisor, closed_at=now - 25 * MONTHS)
    second = factories.make_case(history.caller, actor=advisor)  # still open
    backdate(history, by=timedelta(days=800))

    _apply()
    assert _reload(Caller, history.caller.id).anonymised_at is None

    second.status, second.close_reason, second.closed_at = (
        history.case.status,
        history.case.close_reason,
        now - 25 * MONTHS,
    )
    db.session.flush()
    run = _apply()

    caller = _reload(Caller, history.caller.id)
    assert run.caller_ids == [history.caller.id]
    assert caller.anonymised_at is not None
    assert (caller.name, caller.phone_e164, caller.safe_to_call_notes, caller.preferred_times_note) == (None,) * 4
    assert caller.display_name == "Anonymised caller"
    assert _reload(Call, history.stray_call.id).notes is None  # their call without a case too


def test_the_report_counts_and_codes_survive_anonymisation(advisor: User, admin: User) -> None:
    now = now_utc()
    histories = [make_history(advisor, closed_at=now - 25 * MONTHS, tag=str(i)) for i in range(3)]
    for history in histories:
        backdate(history, by=timedelta(days=800))
    db.session.flush()
    before = _snapshot()
    assert before["report_call_hours"]
    assert before["report_case_facts"]
    assert before["report_callback_days"]

    run = _apply()

    assert sorted(run.caller_ids) == sorted(h.caller.id for h in histories)
    assert _snapshot() == before


def test_nothing_identifying_survives_in_any_table(advisor: User, admin: User) -> None:
    history = make_history(advisor, closed_at=None)
    kept = make_history(advisor, closed_at=None, tag="kept")
    found = where_found(history.needles)
    assert {needle for _column, needle in found} == set(history.needles)  # the scan sees every one while it is there
    assert {"case_notes.body", "calls.notes", "callbacks.reason"} <= {column for column, _needle in found}  # decrypted

    services.erase_caller(history.caller.id, actor=admin, reason="Subject's erasure request, ticket 4411")

    assert where_found(history.needles) == []
    assert where_found(kept.needles[:1])  # someone else's details are untouched
    answers = _reload(
        Assessment, db.session.scalars(sa.select(Assessment.id).where(Assessment.case_id == history.case.id)).one()
    ).answers
    # the codes, numbers and yes/no answers stay; free text goes
    assert answers["substances"] == ["heroin", "alcohol"]
    assert answers["route"] == "smoking"
    assert answers["years_of_use"] == 4
    assert answers["safeguarding_children"] is False
    assert not {"notes", "amount", "frequency", "safeguarding_notes", "outcome"} & set(answers)


def test_retention_leaves_a_caller_with_a_case_on_legal_hold_alone(advisor: User, admin: User) -> None:
    now = now_utc()
    history = make_history(advisor, closed_at=now - 25 * MONTHS)
    other = factories.make_case(history.caller, actor=advisor)
    backdate(history, by=timedelta(days=800))
    services.place_legal_hold(other.id, actor=factories.make_user(role=Role.MANAGER), reason="Coroner's inquest")

    run = _apply()

    assert history.case.id not in run.case_ids
    assert history.caller.id not in run.caller_ids
    assert _reload(Case, history.case.id).anonymised_at is None
    assert _reload(Call, history.call.id).notes == history.texts[4]


def test_erasure_is_refused_while_a_case_is_on_legal_hold_naming_it(advisor: User, admin: User) -> None:
    history = make_history(advisor, closed_at=None)
    services.place_legal_hold(history.case.id, actor=admin, reason="Police request")

    with pytest.raises(Conflict) as refused:
        services.erase_caller(history.caller.id, actor=admin, reason="Erasure request")

    assert history.case.reference in refused.value.message
    assert _reload(Caller, history.caller.id).name == history.name

    services.release_legal_hold(history.case.id, actor=admin, reason="Inquiry closed")
    services.erase_caller(history.caller.id, actor=admin, reason="Erasure request")
    assert _reload(Caller, history.caller.id).is_anonymised
    actions = [
        e.action for e in audit_events() if e.entity_id == str(history.case.id) and e.action.startswith("case.legal")
    ]
    assert actions == ["case.legal_hold_set", "case.legal_hold_released"]


def test_erasure_needs_an_admin_and_a_reason(advisor: User) -> None:
    history = make_history(advisor, closed_at=None)
    manager = factories.make_user(role=Role.MANAGER)

    with pytest.raises(Forbidden):
        services.erase_caller(history.caller.id, actor=manager, reason="because")
    with pytest.raises(ValidationError):
        services.erase_caller(history.caller.id, actor=factories.make_user(role=Role.ADMIN), reason="  ")
    assert _reload(Caller, history.caller.id).anonymised_at is None


def test_erasure_is_audited_with_counts_and_skipped_by_later_runs(advisor: User, admin: User) -> None:
    history = make_history(advisor, closed_at=now_utc() - 25 * MONTHS)
    backdate(history, by=timedelta(days=800))

    services.erase_caller(history.caller.id, actor=admin, reason="Erasure request")
    [event] = audit_events("caller.erased", entity_id=str(history.caller.id))
    run = _apply()

    assert event.actor_id == admin.id
    assert event.detail["case_ids"] == [history.case.id]
    assert event.detail["rows"]["calls"] == 2
    assert event.detail["rows"]["callers"] == 1
    assert run.case_ids == []
    assert run.caller_ids == []


def test_a_dry_run_changes_nothing_and_lists_ids(advisor: User) -> None:
    history = make_history(advisor, closed_at=now_utc() - 25 * MONTHS)
    backdate(history, by=timedelta(days=800))
    before = _snapshot(), where_found(history.needles)

    run = services.preview_retention()

    assert run.dry_run
    assert run.case_ids == [history.case.id]
    assert run.caller_ids == [history.caller.id]
    assert run.rows["callers"] == 1
    assert run.rows["calls"] == 2
    assert run.rows["case_notes"] == 1
    assert (_snapshot(), where_found(history.needles)) == before
    assert _reload(Case, history.case.id).anonymised_at is None


def test_every_run_is_audited_with_its_counts(advisor: User) -> None:
    history = make_history(advisor, closed_at=now_utc() - 25 * MONTHS)
    backdate(history, by=timedelta(days=800))

    services.preview_retention()
    _apply()

    dry, applied = audit_events("retention.applied")
    assert dry.detail["dry_run"] is True
    assert applied.detail["dry_run"] is False
    assert dry.detail["cases"] == applied.detail["cases"] == 1
    assert applied.detail["callers"] == 1
    assert applied.detail["rows"]["case_notes"] == 1
    assert applied.detail["months"] == 24


def test_retention_works_in_batches(advisor: User, app: Any) -> None:
    histories = [make_history(advisor, closed_at=now_utc() - 25 * MONTHS, tag=f"b{i}") for i in range(3)]
    commits: list[int] = []
    app.config["RETENTION_BATCH_SIZE"] = 2
    try:
        run = services.apply_retention(commit=lambda: commits.append(1))
    finally:
        app.config["RETENTION_BATCH_SIZE"] = 200

    assert len(commits) == 2  # 2 + 1 cases
    assert sorted(run.case_ids) == sorted(h.case.id for h in histories)


def test_revoked_tokens_are_purged_long_after(advisor: User) -> None:
    old, _ = factories.make_token(advisor, "old")
    recent, _ = factories.make_token(advisor, "recent")
    old.revoked_at = now_utc() - timedelta(days=91)
    recent.revoked_at = now_utc() - timedelta(days=89)
    db.session.flush()

    run = _apply()

    assert run.housekeeping["tokens_purged"] == 1
    assert db.session.get(ApiToken, old.id) is None
    assert db.session.get(ApiToken, recent.id) is not None


def test_an_open_callback_is_not_a_reason_to_keep_an_erased_case_readable(advisor: User, admin: User) -> None:
    history = make_history(advisor, closed_at=None)

    services.erase_caller(history.caller.id, actor=admin, reason="Erasure request")

    callback = _reload(Callback, history.callback.id)
    assert callback.reason is None
    assert callback.cancel_reason is None


def test_erasing_a_caller_keeps_the_mark_of_a_case_retention_anonymised_earlier(advisor: User, admin: User) -> None:
    history = make_history(advisor, closed_at=now_utc() - 25 * MONTHS)
    _apply()  # the caller rang recently: only the case goes
    marked = _reload(Case, history.case.id).anonymised_at
    newer = factories.make_case(history.caller, actor=advisor)

    services.erase_caller(history.caller.id, actor=admin, reason="Erasure request")

    assert _reload(Case, history.case.id).anonymised_at == marked
    assert _reload(Case, newer.id).anonymised_at is not None
    assert _reload(Caller, history.caller.id).is_anonymised


def test_erasure_withdraws_the_messages_about_the_caller_not_sent_yet(advisor: User, admin: User) -> None:
    history = make_history(advisor, closed_at=None)
    pending = OutboxMessage(
        callback_id=history.callback.id,
        kind=OutboxKind.ESCALATION,
        due_at=history.callback.due_at,
        channel=DeliveryChannel.EMAIL,
        recipient_id=advisor.id,
        message_id=f"<pending.{history.callback.id}@caseapp.test>",
        subject=f"Ring {history.name}",
        body="...",
        case_id=history.case.id,
    )
    db.session.add(pending)
    db.session.flush()

    counts = services.erase_caller(history.caller.id, actor=admin, reason="Erasure request")

    message = _reload(OutboxMessage, pending.id)
    assert message.status == OutboxStatus.WITHDRAWN
    assert message.subject == PLACEHOLDER
    assert counts["withdrawn_messages"] == 1


def test_erasure_removes_the_flags_on_the_caller_and_on_their_number_and_no_one_elses(
    advisor: User, admin: User
) -> None:
    history = make_history(advisor, closed_at=None)
    kept = make_history(advisor, closed_at=None, tag="kept")
    e164 = normalise_phone(history.phone_typed)
    assert len(flag_queries.active_flags(history.caller.id, e164)) == 2

    counts = services.erase_caller(history.caller.id, actor=admin, reason="Erasure request, ticket 99")

    assert counts["caller_flags"] == 2
    assert flag_queries.active_flags(history.caller.id, e164) == []
    assert len(flag_queries.active_flags(kept.caller.id, kept.caller.phone_e164)) == 2


def test_an_ended_flags_reason_is_removed_once_the_retention_period_has_passed(advisor: User) -> None:
    caller = factories.make_caller()
    factories.make_case(caller, actor=advisor)
    now = now_utc()
    with time_machine.travel(now - 26 * MONTHS, tick=False):
        old = raise_on_caller(caller, kind=FlagKind.HOAX, reason="old reason", actor=advisor, expires_in_days=2)
        lift_flag(old, reason="old lift note", actor=advisor)
    with time_machine.travel(now - 23 * MONTHS, tick=False):
        recent = raise_on_caller(caller, kind=FlagKind.HOAX, reason="recent reason", actor=advisor, expires_in_days=2)
        lift_flag(recent, reason="recent note", actor=advisor)
    in_force = raise_on_caller(caller, kind=FlagKind.ABUSIVE, reason="in force", actor=advisor, expires_in_days=2)
    db.session.flush()

    run = _apply()
    again = _apply()

    assert run.housekeeping["flag_reasons_scrubbed"] == 1
    assert again.housekeeping["flag_reasons_scrubbed"] == 0
    db.session.expire_all()
    assert (_reload(CallerFlag, old.id).reason, _reload(CallerFlag, old.id).end_note) == (SCRUBBED, None)
    assert _reload(CallerFlag, old.id).kind is FlagKind.HOAX  # what it was and when stay
    assert _reload(CallerFlag, recent.id).reason == "recent reason"
    assert _reload(CallerFlag, in_force.id).reason == "in force"
