"""JSON API for the audit trail (admins only): the events, filtered as on the trail page, a page at a time or as
streamed CSV, and the state of the hash chain. Reading and exporting are audited like the page."""

from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context
from flask_login import current_user

from caseapp.api import api_blueprint, operation, page_of
from caseapp.audit import chain, export, queries, services
from caseapp.audit.models import AuditEvent
from caseapp.audit.queries import EventFilters
from caseapp.audit.schemas import AuditEventSchema, AuditFilters, AuditQuery, ChainStatusSchema
from caseapp.auth.models import Role
from caseapp.extensions import db
from caseapp.pagination import keyset_page
from caseapp.transactions import commit_keeping_loaded

api_bp = api_blueprint("audit", "", role=Role.ADMIN)
CSV = "text/csv"


def _csv(filters: EventFilters, detail: dict[str, Any]) -> Response:
    """Audit the export, commit, then stream."""
    services.record_trail_export(actor_id=current_user.id, filters=detail)
    db.session.commit()
    response = Response(stream_with_context(export.csv_lines(filters)), mimetype=CSV)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename(filters)}"'
    return response


@operation(
    api_bp,
    "/audit",
    summary="The audit trail, newest first, by staff member, action, entity, case, caller and time (`format=csv`)",
    query=AuditQuery,
    response=page_of(AuditEventSchema),
)
def list_events(query: dict[str, Any]) -> Any:
    filters: EventFilters = query["filters"]
    if query["format"] == "csv":
        return _csv(filters, query["detail"])
    items, next_cursor = keyset_page(
        queries.select_events(filters).order_by(None),
        [AuditEvent.occurred_at, AuditEvent.id],
        lambda e: (e.occurred_at, e.id),
        cursor=query["cursor"],
        limit=query["limit"],
    )
    services.record_trail_view(
        actor_id=current_user.id, filters=query["detail"], via="api", ids=[event.id for event in items]
    )
    commit_keeping_loaded()
    return {"items": items, "next": next_cursor}


@operation(
    api_bp,
    "/audit.csv",
    summary="The audit trail as CSV (text/csv, streamed; formula-safe cells), with the filters of /api/v1/audit",
    query=AuditFilters,
    media_type=CSV,
)
def export_csv(query: dict[str, Any]) -> Response:
    return _csv(query["filters"], query["detail"])


@operation(
    api_bp,
    "/audit/chain",
    summary="The hash chain: its head (last sealed row) and rows unsealed",
    response=ChainStatusSchema,
)
def chain_status() -> chain.Status:
    status = chain.status()
    services.record_chain_view(actor_id=current_user.id)
    db.session.commit()
    return status
