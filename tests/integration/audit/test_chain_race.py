"""The chain under concurrency, and the privileges of a real (non-superuser) application role.

These need real commits on separate connections, so they run on databases of their own (`race_app`, and one
migrated by a role of its own), never the rollback-per-test session."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.exc import DBAPIError, IntegrityError

from caseapp.audit import chain, queries
from caseapp.audit.models import AuditEvent
from caseapp.audit.services import record_event
from caseapp.extensions import db
from tests.conftest import create_database, drop_database, make_app

WRITERS = 2
EVENTS_PER_WRITER = 60


def _log(app: Flask, writer: int, start: threading.Barrier, errors: list[BaseException]) -> None:
    """One connection's transactions: three audit rows each, committed (each commit is one INSERT)."""
    try:
        with app.app_context():
            start.wait()
            for n in range(EVENTS_PER_WRITER // 3):
                for _ in range(3):
                    record_event("case.viewed", actor_id=None, entity_type="case", entity_id=n, detail={"w": writer})
                db.session.commit()
                if n % 5 == 0:
                    time.sleep(0.005)
            db.session.remove()
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


def _seal_while(app: Flask, running: threading.Event, errors: list[BaseException]) -> None:
    try:
        with app.app_context():
            while running.is_set():
                chain.seal(limit=7)
                db.session.commit()
                time.sleep(0.002)
            db.session.remove()
    except BaseException as exc:  # noqa: BLE001
        errors.append(exc)


def _trail(app: Flask) -> list[tuple[int, int | None]]:
    with app.app_context():
        rows = db.session.execute(sa.select(AuditEvent.id, AuditEvent.chain_seq).order_by(AuditEvent.chain_seq)).all()
        db.session.remove()
        return [(r.id, r.chain_seq) for r in rows]


def test_inserts_from_two_connections_are_sealed_into_one_valid_chain(race_app: Flask) -> None:
    before = len(_trail(race_app))
    start, running = threading.Barrier(WRITERS + 1), threading.Event()
    errors: list[BaseException] = []
    running.set()
    writers = [threading.Thread(target=_log, args=(race_app, w, start, errors)) for w in range(WRITERS)]
    sealers = [threading.Thread(target=_seal_while, args=(race_app, running, errors)) for _ in range(2)]
    for thread in [*writers, *sealers]:
        thread.start()
    start.wait()
    for thread in writers:
        thread.join(30)
    running.clear()
    for thread in sealers:
        thread.join(30)

    with race_app.app_context():
        while chain.seal().count:
            db.session.commit()
        db.session.commit()
        verification = chain.verify()
        db.session.remove()
    assert errors == []
    trail = _trail(race_app)
    assert len(trail) == before + WRITERS * EVENTS_PER_WRITER
    assert [seq for _, seq in trail] == list(range(1, len(trail) + 1))
    assert verification.ok
    assert verification.verified == len(trail)
    assert verification.unsealed == 0


def test_a_row_committed_after_newer_ones_were_sealed_joins_the_chain_later(race_app: Flask) -> None:
    with race_app.app_context():
        late = db.engine.connect()
        late_tx = late.begin()
        late.execute(sa.insert(AuditEvent), [{"action": "case.viewed", "detail": {"late": True}}])
        late_id = late.scalar(sa.select(sa.func.max(AuditEvent.id)))
        record_event("case.viewed", actor_id=None, detail={"late": False})
        db.session.commit()
        chain.seal()
        db.session.commit()
        early_seq = db.session.scalar(sa.select(sa.func.max(AuditEvent.chain_seq)))
        late_tx.commit()
        late.close()

        chain.seal()
        db.session.commit()
        late_seq = db.session.scalar(sa.select(AuditEvent.chain_seq).where(AuditEvent.id == late_id))
        verification = chain.verify()
        db.session.remove()

    assert early_seq is not None
    assert late_seq == early_seq + 1  # sealed after the newer row, with the next seq
    assert verification.ok


def test_two_sealers_at_once_one_waits_its_turn(race_app: Flask) -> None:
    with race_app.app_context():
        record_event("case.viewed", actor_id=None)
        db.session.commit()
        first = db.engine.connect()
        first.begin()
        assert first.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(queries.SEALER_LOCK)))

        result = chain.seal()
        db.session.commit()
        first.rollback()
        first.close()
        db.session.remove()

    assert not result.ran
    assert result.count == 0


def test_without_the_sealer_lock_a_late_commit_forks_the_chain_and_the_database_refuses(
    race_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: with the advisory lock removed, sealer 1 reads the unsealed rows {B}; row A (a lower id) commits;
    sealer 2 reads {A, B}; sealer 1 seals B as the next seq and commits; sealer 2 gives A that same seq. Two chains
    from one head: the unique chain_seq refuses the second. With the lock, sealer 2 would have done nothing."""
    monkeypatch.setattr(queries, "take_sealer_lock", lambda: True)
    s1_read, s2_read, s1_done = threading.Event(), threading.Event(), threading.Event()
    real_rows = queries.unsealed_rows

    def rows_then_wait(limit: int) -> list[Any]:
        rows = real_rows(limit)
        name = threading.current_thread().name
        if name == "sealer-1":
            s1_read.set()
            s2_read.wait(5)
        elif name == "sealer-2":
            s2_read.set()
            s1_done.wait(5)
        return rows

    monkeypatch.setattr(queries, "unsealed_rows", rows_then_wait)
    errors: list[BaseException] = []

    def seal_once(done: threading.Event | None) -> None:
        try:
            with race_app.app_context():
                chain.seal()
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            with race_app.app_context():
                db.session.remove()
            if done is not None:
                done.set()

    with race_app.app_context():
        chain.seal()
        db.session.commit()
        late = db.engine.connect()
        late_tx = late.begin()
        late.execute(sa.insert(AuditEvent), [{"action": "case.viewed", "detail": {}}])  # A
        record_event("case.viewed", actor_id=None)  # B
        db.session.commit()
        first = threading.Thread(target=seal_once, args=(s1_done,), name="sealer-1")
        first.start()
        assert s1_read.wait(5)
        late_tx.commit()
        late.close()
        second = threading.Thread(target=seal_once, args=(None,), name="sealer-2")
        second.start()
        first.join(30)
        second.join(30)
        monkeypatch.undo()
        chain.seal()
        db.session.commit()
        verification = chain.verify()
        db.session.remove()

    assert len(errors) == 1
    assert isinstance(errors[0], IntegrityError)
    assert "uq_audit_events_chain_seq" in str(errors[0])
    assert verification.ok  # the refused sealer left nothing behind; the next run sealed A


# --- a real application role -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_role_app(pg_server_url: str, redis_url: str) -> Iterator[Flask]:
    """The app on a database owned by, and migrated as, a non-superuser role of its own (as in production)."""
    role = f"caseapp_app_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))
    database_url = create_database(pg_server_url, prefix="caseapp_role")
    name = sa.make_url(database_url).database
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" OWNER TO "{role}"'))
    as_role = sa.make_url(database_url).set(username=role, password=None).render_as_string(hide_password=False)
    flask_app = make_app(as_role, redis_url)
    try:
        with flask_app.app_context():
            upgrade()
        yield flask_app
    finally:
        with flask_app.app_context():
            db.engine.dispose()
        drop_database(pg_server_url, database_url)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_the_application_role_may_insert_and_seal_but_not_update_or_delete(app_role_app: Flask) -> None:
    with app_role_app.app_context():
        assert not db.session.scalar(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
        record_event("case.viewed", actor_id=None)
        db.session.commit()
        assert chain.seal().count == 1
        db.session.commit()
        refused = {}
        for verb, sql in (
            ("update", "UPDATE audit_events SET action = 'case.opened'"),
            ("delete", "DELETE FROM audit_events"),
            ("truncate", "TRUNCATE audit_events"),
        ):
            with pytest.raises(DBAPIError) as caught:
                db.session.execute(sa.text(sql))
            db.session.rollback()
            refused[verb] = str(caught.value.orig)
        ok = chain.verify().ok
        db.session.remove()

    assert all("permission denied for table audit_events" in message for message in refused.values()), refused
    assert ok


def test_an_owner_that_grants_itself_the_privileges_back_is_still_refused_by_the_trigger(app_role_app: Flask) -> None:
    with app_role_app.app_context():
        record_event("case.viewed", actor_id=None)
        db.session.commit()
        db.session.execute(sa.text("GRANT UPDATE, DELETE ON audit_events TO CURRENT_USER"))
        with pytest.raises(DBAPIError) as caught:
            db.session.execute(sa.text("DELETE FROM audit_events"))
        db.session.rollback()  # the GRANT too
        db.session.remove()

    assert "audit_events is append-only: DELETE refused" in str(caught.value.orig)
