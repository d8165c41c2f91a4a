"""The audit chain's canonical form is fixed (a known row has a known hash, on any database and Python), and the
chain works in embedded mode: sealed and verified on SQLite built by `upgrade head`, where there is no trigger, so a
changed row is still found by verify."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Flask

from caseapp.audit import chain, queries
from caseapp.audit.models import AuditEvent
from caseapp.audit.services import record_event
from caseapp.config import defaults
from caseapp.extensions import db
from workers.schedule import build_schedule

ROW = SimpleNamespace(
    id=7,
    occurred_at=datetime(2026, 3, 29, 0, 59, 59, 120000, tzinfo=UTC),
    actor_id=None,
    action="case.viewed",
    entity_type="case",
    entity_id="12",
    request_id="ab" * 16,
    ip="192.0.2.1",
    detail={"z": [1, 2.5, True, None], "a": "Ünïcode ✓"},
)


def test_canonical_form_is_sorted_compact_ascii_json_with_utc_microseconds() -> None:
    assert chain.canonical(3, ROW) == (
        b'{"action":"case.viewed","actor_id":null,"detail":{"a":"\\u00dcn\\u00efcode \\u2713","z":[1,2.5,true,null]},'
        b'"entity_id":"12","entity_type":"case","id":7,"ip":"192.0.2.1","occurred_at":"2026-03-29T00:59:59.120000Z",'
        b'"request_id":"abababababababababababababababab","seq":3}'
    )


def test_a_known_row_after_genesis_has_a_known_hash() -> None:
    # printf "%s\n%s" "$GENESIS" "$CANONICAL" | sha256sum: a change to the form would change every stored hash
    assert chain.link_hash(chain.GENESIS, 3, ROW) == "86d54cdfbe4845a39b7e16d3ecc67bff62ad5d7b62c29f471a85658b547fcfd6"


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    from zoneinfo import ZoneInfo

    local = SimpleNamespace(**{**vars(ROW), "occurred_at": ROW.occurred_at.astimezone(ZoneInfo("Europe/London"))})

    assert chain.canonical(1, local) == chain.canonical(1, ROW)


def test_seal_and_verify_on_sqlite(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        for n in range(3):
            record_event("case.viewed", actor_id=None, entity_type="case", entity_id=n, detail={"n": n})
        db.session.commit()

        sealed = chain.seal()
        db.session.commit()
        intact = chain.verify()
        db.session.execute(sa.update(AuditEvent).where(AuditEvent.chain_seq == 2).values(ip="10.0.0.1"))
        db.session.commit()
        broken = chain.verify()

    assert sealed.count == 3
    assert intact.ok
    assert intact.verified == 3
    assert broken.broken is not None
    assert broken.broken.seq == 2


def test_beat_seals_the_trail_every_few_seconds_on_the_periodic_queue() -> None:
    entry = build_schedule({**defaults("test"), "AUDIT_SEAL_INTERVAL_SECONDS": 5})["seal-audit-trail"]

    assert entry["task"] == "audit.seal"
    assert entry["schedule"].total_seconds() == 5
    assert entry["options"] == {"queue": "periodic", "expires": 5.0}


def test_a_row_read_back_from_sqlite_has_the_canonical_form_of_the_values_written(sqlite_app: Flask) -> None:
    with sqlite_app.app_context():
        values = {k: v for k, v in vars(ROW).items() if k != "id"}
        db.session.execute(sa.insert(AuditEvent), [values])
        db.session.commit()
        [row] = queries.unsealed_rows(10)

    assert chain.canonical(1, row) == chain.canonical(1, SimpleNamespace(**{**vars(ROW), "id": row.id}))
