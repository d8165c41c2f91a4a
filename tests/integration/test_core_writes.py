"""insert_as_loaded(): one INSERT, then the object is persistent, clean and complete, as if it had been loaded."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from caseapp.callers.models import Caller
from caseapp.calls.models import Call
from caseapp.cases.models import Case
from caseapp.core_writes import as_loaded, insert_as_loaded
from caseapp.extensions import db
from caseapp.reference import CaseStatus
from tests import factories
from tests.statements import counted_queries


def test_the_row_is_written_once_and_read_back_without_another_statement(db_session: Any) -> None:
    caller = factories.make_caller()
    actor = factories.make_user()

    with counted_queries() as seen:
        case = insert_as_loaded(
            Case(
                caller=caller,
                caller_id=caller.id,
                status=CaseStatus.NEW,
                reference_year=2026,
                assigned_advisor_id=actor.id,
            )
        )
        # what the database gave it (the id, server and Python-side defaults), with no statement to read them
        assert (case.version, case.created_at is not None, case.updated_at is not None) == (1, True, True)
        assert case.caller is caller
        db.session.flush()  # nothing to write: the object is clean, not pending and not dirty
    assert [s.split()[0] for s in seen if not s.startswith(("SAVEPOINT", "RELEASE"))] == ["INSERT"]

    assert sa.inspect(case).persistent
    assert db.session.get(Case, case.id) is case
    stored = db.session.execute(sa.select(Case.status, Case.caller_id).where(Case.id == case.id)).one()
    assert tuple(stored) == (CaseStatus.NEW, caller.id)


def test_a_row_returned_for_an_object_already_in_the_session_refreshes_that_object(db_session: Any) -> None:
    caller = factories.make_caller(name="Before")
    db.session.execute(sa.update(Caller).where(Caller.id == caller.id).values(name="After"))  # behind the ORM's back
    row = db.session.execute(sa.select(*Caller.__table__.columns).where(Caller.id == caller.id)).one()

    assert as_loaded(Caller, row._mapping) is caller
    assert caller.name == "After"
    assert caller not in db.session.dirty  # the row's values, not a change to write


@pytest.mark.parametrize("model", [Call, Case, Caller])
def test_the_models_written_this_way_have_no_mapper_events_or_validators(model: type[Any]) -> None:
    """Core INSERTs skip mapper events and @validates: a model given either would silently lose them."""
    mapper = sa.inspect(model)
    assert not mapper.validators
    for name in ("before_insert", "after_insert"):
        assert not getattr(mapper.dispatch, name), f"{model.__name__} has a {name} listener"
