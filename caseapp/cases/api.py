"""JSON API for cases: list, read, update with optimistic concurrency, timeline and notes; the stale list."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from caseapp.access import services as access
from caseapp.access.policy import Action
from caseapp.api import api_blueprint, operation, page_of
from caseapp.audit.services import record_listing
from caseapp.auth.models import Role
from caseapp.cases import queries, services, stale
from caseapp.cases.models import Case
from caseapp.cases.schemas import (
    CaseListQuery,
    CasePatchSchema,
    CaseSchema,
    NoteCreateSchema,
    StaleCaseQuery,
    StaleCaseSchema,
    TimelineEntrySchema,
)
from caseapp.cases.timeline import build_timeline
from caseapp.extensions import db
from caseapp.pagination import keyset_page
from caseapp.timeutil import now_utc
from caseapp.transactions import commit_keeping_loaded

api_bp = api_blueprint("cases", "/cases")
#: the managers' list of cases nobody has reached (its own blueprint: the role is checked before the query is read)
stale_api_bp = api_blueprint("stale_cases", "/cases/stale", role=Role.MANAGER)


@operation(
    api_bp, "", summary="List cases, most recently updated first", query=CaseListQuery, response=page_of(CaseSchema)
)
def list_cases(query: dict[str, Any]) -> dict[str, Any]:
    advisor = query["advisor"]
    select = access.narrow_cases(
        queries.select_cases(
            statuses=query["status"],
            risk_levels=query["risk"],
            open_only=query["open"],
            advisor_id=current_user.id if advisor == "me" else (int(advisor) if advisor else None),
        ),
        current_user,
    )
    items, next_cursor = keyset_page(
        select,
        [Case.updated_at, Case.id],
        lambda c: (c.updated_at, c.id),
        cursor=query["cursor"],
        limit=query["limit"],
    )
    record_listing("case.listed", actor_id=current_user.id, entity_type="case", ids=[c.id for c in items])
    commit_keeping_loaded()
    return {"items": access.as_listed(items, current_user), "next": next_cursor}


@operation(api_bp, "/<int:case_id>", summary="One case (with `version` for updates)", response=CaseSchema)
def get(case_id: int) -> Case:
    case = access.get_case_for(case_id, current_user)
    services.record_view(case, actor=current_user)
    db.session.commit()
    return case


@operation(
    api_bp,
    "/<int:case_id>",
    "PATCH",
    summary="Change status, assignment or risk (409 when stale)",
    body=CasePatchSchema,
    response=CaseSchema,
)
def update(case_id: int, body: dict[str, Any]) -> Case:
    case = queries.lock_case(case_id)
    access.require(case, current_user, Action.CHANGE)
    version = body.pop("version")
    services.update_case(case, body, expected_version=version, actor=current_user)
    db.session.commit()
    return case


@operation(
    api_bp,
    "/<int:case_id>/timeline",
    summary="Everything on the case, newest first",
    response=page_of(TimelineEntrySchema),
)
def timeline(case_id: int) -> dict[str, Any]:
    case = access.get_case_for(case_id, current_user)
    services.record_view(case, actor=current_user)
    db.session.commit()
    return {"items": build_timeline(case.id), "next": None}


@operation(
    api_bp,
    "/<int:case_id>/notes",
    "POST",
    summary="Add a note to the case",
    body=NoteCreateSchema,
    response=TimelineEntrySchema,
    status=201,
)
def add_note(case_id: int, body: dict[str, Any]) -> dict[str, Any]:
    case = access.get_case_for(case_id, current_user, Action.CHANGE)
    note = services.add_note(case, body["body"], actor=current_user)
    db.session.commit()
    return {"kind": "note", "id": note.id, "at": note.created_at, "actor_id": note.author_id, "summary": "Note"}


@operation(
    stale_api_bp,
    "",
    summary="Open cases nobody has reached for `days` days and with no callback open, most stale first (managers)",
    query=StaleCaseQuery,
    response=page_of(StaleCaseSchema),
)
def list_stale(query: dict[str, Any]) -> dict[str, Any]:
    days = query["days"] or stale.configured_days()
    items, next_cursor = stale.stale_after(days, now_utc(), cursor=query["cursor"], limit=query["limit"])
    record_listing("case.listed", actor_id=current_user.id, entity_type="case", ids=[item.id for item in items])
    commit_keeping_loaded()
    return {"items": items, "next": next_cursor}
