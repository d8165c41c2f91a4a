"""Retention and erasure in embedded mode (SQLite built by `upgrade head`): the same rules, the same marks, and the
downgrade drops the columns again."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import Flask

from caseapp.auth.models import Role
from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.extensions import db
from caseapp.reference import CaseStatus, CloseReason
from caseapp.retention import services
from caseapp.timeutil import now_utc
from tests import factories


def test_retention_and_erasure_run_on_sqlite(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        advisor = factories.make_user()
        old = factories.make_caller(name="Morwenna Trelawny")
        old.created_at = now_utc() - timedelta(days=900)
        case = factories.make_case(old, actor=advisor)
        call = factories.make_call(case, actor=advisor, notes="lives by the harbour")
        call.started_at, call.ended_at = now_utc() - timedelta(days=800), None
        case.status, case.close_reason = CaseStatus.CLOSED, CloseReason.OTHER
        case.closed_at = now_utc() - relativedelta(months=25)
        other = factories.make_case(factories.make_caller(name="Piran Penhallow"), actor=advisor)
        db.session.commit()

        run = services.apply_retention(commit=db.session.commit)
        db.session.commit()
        services.erase_caller(other.caller_id, actor=factories.make_user(role=Role.ADMIN), reason="Request")
        db.session.commit()

        assert (run.case_ids, run.caller_ids) == ([case.id], [old.id])
        names = db.session.scalars(sa.select(Caller.name).where(Caller.id.in_([old.id, other.caller_id]))).all()
        assert names == [None, None]
        assert db.session.scalar(sa.select(Call.notes).where(Call.id == call.id)) is None
        assert db.session.scalar(sa.select(sa.func.count()).where(Case.anonymised_at.is_not(None))) == 2


def test_the_subject_access_export_finds_list_pages_on_sqlite(sqlite_app: Flask) -> None:
    from caseapp.audit.services import record_listing
    from caseapp.sar.services import build_export

    with sqlite_app.app_context():
        manager = factories.make_user(role=Role.MANAGER)
        case = factories.make_case(factories.make_caller(name="Demelza Carne"))
        other = factories.make_case()
        record_listing("case.listed", actor_id=manager.id, entity_type="case", ids=[other.id, case.id])
        record_listing("case.listed", actor_id=manager.id, entity_type="case", ids=[other.id])
        db.session.commit()

        access = build_export(case.caller).document["access"]

        listed = [row for row in access if row["action"] == "case.listed"]
        assert len(listed) == 1
        assert (listed[0]["staff_id"], listed[0]["record_id"]) == (manager.id, None)
