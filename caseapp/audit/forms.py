"""The audit trail's GET filters: staff member, caller, case reference, action, date range (and an entity, from
links)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict

from caseapp.audit import actions
from caseapp.audit.queries import EventFilters, caller_exists
from caseapp.cases import queries as case_queries
from caseapp.cases.models import Case, parse_reference
from caseapp.ids import as_id
from caseapp.timeutil import local_day_bounds

SYSTEM = "system"
_ENTITY_TYPE = re.compile(r"[a-z_]{1,32}")
_ENTITY_ID = re.compile(r"[0-9]{1,18}")
#: "Caller #123", "#123" or "123", as the trail shows a caller
_CALLER = re.compile(r"^\s*(caller)?\s*#?\s*", re.IGNORECASE)


@dataclass
class TrailQuery:
    """What was asked for (`values`, to show in the form again), what it means (`filters`), and what could not be
    understood (`problems`, shown above the table). `no_match`: nothing can match (an unknown case reference)."""

    values: dict[str, str] = field(default_factory=dict)
    filters: EventFilters = field(default_factory=EventFilters)
    problems: list[str] = field(default_factory=list)
    no_match: bool = False

    @property
    def is_filtered(self) -> bool:
        return self.no_match or self.filters != EventFilters()

    def audit_detail(self) -> dict[str, Any]:
        """For the audit.viewed event: the filters as ids, codes and dates (never the typed text)."""
        f = self.filters
        detail: dict[str, Any] = {
            "actor_id": f.actor_id,
            "system_only": f.system_only or None,
            "action": f.action,
            "case_id": f.case_id,
            "caller_id": f.caller_id,
            "entity_type": f.entity_type,
            "entity_id": f.entity_id,
            "from": self.values.get("from") if f.since else None,
            "to": self.values.get("to") if f.until else None,
        }
        return {key: value for key, value in detail.items() if value is not None}

    def link_args(self) -> dict[str, str]:
        """The filters as query arguments (for the pager)."""
        return {key: value for key, value in self.values.items() if value}

    def api_args(self) -> dict[str, Any]:
        """The filters as GET /api/v1/audit takes them (the CSV link): what was understood, times as instants."""
        f = self.filters
        args: dict[str, Any] = {
            "actor": SYSTEM if f.system_only else f.actor_id,
            "action": f.action,
            "case": self.values.get("case") if f.case_id is not None else None,
            "caller": f.caller_id,
            "entity": f"{f.entity_type}:{f.entity_id}" if f.entity_id else f.entity_type,
            "from": f.since.isoformat() if f.since else None,
            "to": f.until.isoformat() if f.until else None,
        }
        return {key: str(value) for key, value in args.items() if value is not None}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _actor(text: str, wanted: dict[str, Any], problems: list[str]) -> None:
    if text == SYSTEM:
        wanted["system_only"] = True
    elif (actor_id := as_id(text)) is not None:
        wanted["actor_id"] = actor_id
    elif text:
        problems.append("Choose a staff member from the list.")


def _action(text: str, wanted: dict[str, Any], problems: list[str]) -> None:
    if text in actions.ACTIONS or (text.endswith(".") and text[:-1] in actions.AREAS):
        wanted["action"] = text
    elif text:
        problems.append("Choose an action from the list.")


def case_by_reference(reference: str) -> Case | None:
    """The case of a typed reference, or None (also for digits int() cannot read, such as '²', and for a number
    no id can be, which the database would refuse rather than find nothing)."""
    parsed = parse_reference(reference) if reference.isascii() else None
    if parsed is None or as_id(parsed[1]) is None:
        return None
    return case_queries.find_case_by_reference(reference)


def _case(query: TrailQuery, wanted: dict[str, Any]) -> None:
    reference = query.values["case"]
    if not reference:
        return
    case = case_by_reference(reference)
    if case is None:
        query.problems.append(f"No case has the reference {reference}. References look like CA-2026-000123.")
        query.no_match = True
    else:
        wanted["case_id"] = case.id
        query.values["case"] = case.reference


def _caller(query: TrailQuery, wanted: dict[str, Any]) -> None:
    text = _CALLER.sub("", query.values["caller"])
    if not text:
        return
    caller_id = as_id(text)
    if caller_id is None:
        query.problems.append("Caller: enter the caller's number as the trail shows it, e.g. 123 for Caller #123.")
    elif not caller_exists(caller_id):
        query.problems.append(f"No caller has the number {caller_id}.")
        query.no_match = True
    else:
        wanted["caller_id"] = caller_id
        query.values["caller"] = str(caller_id)


def _dates(query: TrailQuery, wanted: dict[str, Any]) -> None:
    first, last = _day(query.values["from"]), _day(query.values["to"])
    for name, text, parsed in (("From", query.values["from"], first), ("To", query.values["to"], last)):
        if text and parsed is None:
            query.problems.append(f"{name}: enter a date, e.g. 25/11/2026.")
    if first and last and last < first:
        query.problems.append("The end date is before the start date.")
        query.no_match = True
    if first:
        wanted["since"] = local_day_bounds(first)[0]
    if last:
        wanted["until"] = local_day_bounds(last)[1]  # the whole of the last day


def parse(args: MultiDict[str, str]) -> TrailQuery:
    """Read the filters from the query string; anything not understood is named in `problems` and ignored."""
    values = {name: (args.get(name) or "").strip()[:64] for name in ("actor", "caller", "case", "action", "from", "to")}
    query = TrailQuery(values=values)
    wanted: dict[str, Any] = {}
    _actor(values["actor"], wanted, query.problems)
    _action(values["action"], wanted, query.problems)
    _case(query, wanted)
    _caller(query, wanted)
    _dates(query, wanted)
    entity_type, entity_id = (args.get("entity_type") or "").strip(), (args.get("entity_id") or "").strip()
    if _ENTITY_TYPE.fullmatch(entity_type):  # from links (a user's page); not in the form
        wanted["entity_type"] = values["entity_type"] = entity_type
        if _ENTITY_ID.fullmatch(entity_id):
            wanted["entity_id"] = values["entity_id"] = entity_id
    query.filters = EventFilters(**wanted)
    return query
