"""The audit trail is append-only in the database and hash-chained: the app's connection cannot change or remove a
row, and a row changed or removed behind the app's back (a superuser with the trigger bypassed) is found by
`caseapp audit verify`, which names the link.

These run in the rollback-per-test session: the superuser bypass is `SET LOCAL session_replication_role = replica`,
which ends with the test's transaction like everything else."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from sqlalchemy.exc import DBAPIError

from caseapp.audit import chain, queries
from caseapp.audit.models import AuditEvent
from caseapp.audit.services import record_event
from caseapp.extensions import db

REFUSED = "audit_events is append-only"


def _events(n: int) -> list[int]:
    for i in range(n):
        record_event("case.viewed", actor_id=None, entity_type="case", entity_id=i + 1, detail={"n": i, "é": "ü"})
    db.session.commit()
    return list(db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)))


def _refused(sql: str, **params: Any) -> str:
    """Run `sql` in a savepoint; the database's error message (the savepoint is rolled back)."""
    with pytest.raises(DBAPIError) as caught, db.session.begin_nested():
        db.session.execute(sa.text(sql), params)
    return str(caught.value.orig)


def _behind_the_apps_back(sql: str, **params: Any) -> None:
    """As a superuser with the triggers off (what an attacker with the database's keys could do)."""
    db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    db.session.execute(sa.text(sql), params)
    db.session.execute(sa.text("SET LOCAL session_replication_role = origin"))


def _verify(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def _seq_of(event_id: int) -> int:
    seq = db.session.scalar(sa.select(AuditEvent.chain_seq).where(AuditEvent.id == event_id))
    assert seq is not None
    return seq


# --- append-only -------------------------------------------------------------------------------------------------


def test_update_of_an_audit_row_by_the_apps_connection_is_refused(db_session: Any) -> None:
    [event_id] = _events(1)

    error = _refused("UPDATE audit_events SET action = 'case.opened' WHERE id = :id", id=event_id)

    assert REFUSED in error
    assert "UPDATE" in error
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.id == event_id)) == "case.viewed"


def test_delete_and_truncate_of_audit_rows_are_refused(db_session: Any) -> None:
    [event_id] = _events(1)

    assert "DELETE refused" in _refused("DELETE FROM audit_events WHERE id = :id", id=event_id)
    assert "TRUNCATE refused" in _refused("TRUNCATE audit_events")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 1


def test_sealing_a_row_is_the_one_update_allowed_and_only_once(db_session: Any) -> None:
    [event_id] = _events(1)
    chain.seal()
    db.session.commit()

    again = "UPDATE audit_events SET chain_seq = 7, row_hash = repeat('a', 64) WHERE id = :id"
    sneaky = "UPDATE audit_events SET chain_seq = NULL, row_hash = NULL WHERE id = :id"

    assert REFUSED in _refused(again, id=event_id)
    assert REFUSED in _refused(sneaky, id=event_id)
    assert _seq_of(event_id) == 1


def test_sealing_cannot_change_anything_else_in_the_row(db_session: Any) -> None:
    [event_id] = _events(1)

    error = _refused(
        "UPDATE audit_events SET chain_seq = 1, row_hash = repeat('a', 64), detail = '{}' WHERE id = :id", id=event_id
    )

    assert REFUSED in error


def test_the_migrating_role_and_public_keep_no_update_delete_or_truncate_on_the_trail(db_session: Any) -> None:
    table = db.session.execute(
        sa.text(
            "SELECT a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "
            "WHERE c.relname = 'audit_events' AND (a.grantee = 0 OR a.grantee = (SELECT oid FROM pg_roles "
            "WHERE rolname = current_user))"
        )
    ).scalars()
    columns = db.session.execute(
        sa.text(
            "SELECT attname FROM pg_attribute, aclexplode(attacl) a "
            "WHERE attrelid = 'audit_events'::regclass AND a.privilege_type = 'UPDATE'"
        )
    ).scalars()

    granted = set(table)
    assert {"SELECT", "INSERT"} <= granted
    assert not granted & {"UPDATE", "DELETE", "TRUNCATE"}
    assert set(columns) == {"chain_seq", "row_hash"}


# --- the chain -----------------------------------------------------------------------------------------------------


def test_seal_links_every_committed_row_in_id_order_from_genesis(db_session: Any) -> None:
    ids = _events(3)

    result = chain.seal()

    assert result.ran
    assert result.count == 3
    rows = db.session.execute(
        sa.select(AuditEvent.id, AuditEvent.chain_seq, AuditEvent.row_hash).order_by(AuditEvent.chain_seq)
    ).all()
    assert [(r.id, r.chain_seq) for r in rows] == [(ids[0], 1), (ids[1], 2), (ids[2], 3)]
    assert result.head is not None
    assert result.head.hash == rows[-1].row_hash
    assert chain.seal().count == 0  # nothing left


def test_intact_chain_verifies_with_exit_0_and_prints_counts_and_head(app: Flask, db_session: Any) -> None:
    _events(3)
    chain.seal()
    db.session.commit()
    _events(1)  # committed, not yet sealed
    head = chain.head()

    result = _verify(app)

    assert result.exit_code == 0, result.output
    assert "Sealed rows verified: 3. Unsealed (waiting for the sealer): 1." in result.output
    assert f"Chain intact. Head: 3:{head.hash if head else ''}" in result.output


def test_verify_seal_seals_first(app: Flask, db_session: Any) -> None:
    _events(2)

    result = _verify(app, "--seal")

    assert result.exit_code == 0, result.output
    assert "Sealed rows verified: 2. Unsealed (waiting for the sealer): 0." in result.output


def test_row_altered_behind_the_apps_back_is_found_by_verify_at_its_seq(app: Flask, db_session: Any) -> None:
    ids = _events(4)
    chain.seal()
    db.session.commit()
    altered = ids[2]

    _behind_the_apps_back("UPDATE audit_events SET actor_id = NULL, ip = '10.0.0.9' WHERE id = :id", id=altered)
    result = _verify(app)

    assert result.exit_code == 1
    seq = _seq_of(altered)
    assert f"BROKEN at seq {seq} (audit event id {altered}): the row does not match its hash" in result.output
    assert "Sealed rows verified: 2." in result.output


def test_row_rewritten_with_a_made_up_hash_is_found_at_that_row(app: Flask, db_session: Any) -> None:
    ids = _events(3)
    chain.seal()
    db.session.commit()

    _behind_the_apps_back(
        "UPDATE audit_events SET detail = '{\"n\": 99}', row_hash = repeat('b', 64) WHERE id = :id", id=ids[0]
    )
    verification = chain.verify()

    assert verification.broken is not None
    assert (verification.broken.seq, verification.broken.event_id) == (1, ids[0])


def test_row_deleted_behind_the_apps_back_is_found_by_verify_at_its_seq(app: Flask, db_session: Any) -> None:
    ids = _events(4)
    chain.seal()
    db.session.commit()
    seq = _seq_of(ids[1])

    _behind_the_apps_back("DELETE FROM audit_events WHERE id = :id", id=ids[1])
    result = _verify(app)

    assert result.exit_code == 1
    assert f"BROKEN at seq {seq}: missing: the chain goes from {seq - 1} to {seq + 1}" in result.output


def test_chain_rewritten_from_a_point_is_found_against_a_recorded_head(app: Flask, db_session: Any) -> None:
    ids = _events(3)
    chain.seal()
    db.session.commit()
    recorded = str(chain.head())
    # rewrite: drop the last row, change the second, and recompute every hash from there (a consistent new chain)
    _behind_the_apps_back("DELETE FROM audit_events WHERE id = :id", id=ids[2])
    _behind_the_apps_back(
        "UPDATE audit_events SET chain_seq = NULL, row_hash = NULL, ip = '10.0.0.1' WHERE id = :id", id=ids[1]
    )
    chain.seal()
    db.session.commit()
    assert chain.verify().ok  # on its own, a rewritten chain is consistent

    result = _verify(app, "--head", recorded)

    assert result.exit_code == 1
    assert "BROKEN at seq 3: the recorded head is gone: the chain ends at 2" in result.output


def test_verify_against_the_current_head_passes_and_a_malformed_head_is_a_usage_error(
    app: Flask, db_session: Any
) -> None:
    _events(2)
    chain.seal()
    db.session.commit()

    assert _verify(app, "--head", str(chain.head())).exit_code == 0
    bad = _verify(app, "--head", "two:abc")
    assert bad.exit_code == 2
    assert "A head is SEQ:HASH" in bad.output


def test_seal_command_seals_and_prints_the_head(app: Flask, db_session: Any) -> None:
    _events(2)

    result = app.test_cli_runner().invoke(args=["audit", "seal"])

    assert result.exit_code == 0, result.output
    head = chain.head()
    assert head is not None
    assert f"Sealed 2 rows. Head: {head}" in result.output


def test_seal_task_seals_every_committed_row(db_session: Any) -> None:
    from workers.maintenance import seal_audit_trail

    _events(3)

    assert seal_audit_trail() == 3
    assert chain.verify().ok
    assert chain.status().unsealed == 0


def test_a_row_read_back_from_postgresql_has_the_canonical_form_of_the_values_written(db_session: Any) -> None:
    from tests.unit.test_audit_chain import ROW

    values = {k: v for k, v in vars(ROW).items() if k != "id"}
    db.session.execute(sa.insert(AuditEvent), [values])
    db.session.commit()
    [row] = queries.unsealed_rows(10)

    assert chain.canonical(1, row) == chain.canonical(1, SimpleNamespace(**{**vars(ROW), "id": row.id}))
