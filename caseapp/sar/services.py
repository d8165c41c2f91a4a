"""The subject access export: everything held about one caller (JSON), the same as a printable page (HTML), and
who of the staff accessed those records and when (from the audit trail). Audited as caller.sar_exported."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import render_template

from caseapp.audit.actions import label
from caseapp.audit.services import record_event
from caseapp.callbacks.models import Callback
from caseapp.caller_flags import queries as flag_queries
from caseapp.callers import queries as caller_queries
from caseapp.callers.models import Caller
from caseapp.callers.phones import normalise_phone
from caseapp.cases.models import Case
from caseapp.errors import NotFound, ValidationError
from caseapp.sar import queries
from caseapp.timeutil import format_local, now_utc, to_local

JSON_NAME = "subject-access.json"
HTML_NAME = "subject-access.html"


@dataclass
class Export:
    caller_id: int
    document: dict[str, Any]

    @property
    def json_text(self) -> str:
        return json.dumps(self.document, indent=2, ensure_ascii=False, sort_keys=False)

    @property
    def html_text(self) -> str:
        sections = [
            (key.replace("_", " ").capitalize(), rows) for key, rows in self.document.items() if key in SECTIONS
        ]
        return render_template("sar/report.html", doc=self.document, sections=sections, shown=shown)

    def files(self) -> dict[str, str]:
        return {JSON_NAME: self.json_text, HTML_NAME: self.html_text}

    def write_to(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in self.files().items():
            path = directory / name
            path.write_text(text, encoding="utf-8")
            path.chmod(0o600)  # health data: readable by the account that ran the export only
            written.append(path)
        return written

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in self.files().items():
                archive.writestr(f"caller-{self.caller_id}/{name}", text)
        return buffer.getvalue()


#: the lists of records, in the order the page shows them
SECTIONS = (
    "caller_numbers",
    "caller_merges",
    "cases",
    "calls",
    "assessments",
    "screenings",
    "clinician_scores",
    "callbacks",
    "callback_attempts",
    "callback_handovers",
    "case_notes",
    "emergency_alerts",
    "emergency_actions",
    "safeguarding_records",
    "case_flags",
    "safety_plans",
    "harm_reduction_prompts",
    "referrals",
    "referral_events",
    "caller_flags",
    "referral_offers",
    "referral_offer_items",
    "telephony_calls",
)

#: what the export shows of each call the phone system offered (times, outcome, the caller's own number)
TELEPHONY_FIELDS = (
    "id",
    "offered_at",
    "answered_at",
    "ended_at",
    "missed_at",
    "duration_seconds",
    "outcome",
    "from_e164",
    "withheld",
    "line",
    "call_id",
    "callback_id",
)


def shown(key: str, value: Any) -> str:
    """A value as the page shows it: times in Europe/London, lists and answers spelled out, blanks as a dash."""
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if (key == "at" or key.endswith("_at")) and isinstance(value, str):
        try:
            return format_local(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return "; ".join(f"{k}: {shown(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def find_caller(*, caller_id: int | None = None, phone: str | None = None) -> Caller:
    if caller_id is not None:
        return caller_queries.get_caller(caller_id)
    e164 = normalise_phone(phone or "")
    if not e164:
        raise ValidationError("That is not a phone number.", {"phone": ["That is not a phone number."]})
    caller = queries.find_caller_by_phone(e164)
    if caller is None:
        raise NotFound("No caller has that number.")
    return caller


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def row_of(obj: Any) -> dict[str, Any]:
    """Every column of a mapped row, as JSON values (times in UTC, ISO 8601)."""
    return {attr.key: _value(getattr(obj, attr.key)) for attr in sa.inspect(type(obj)).column_attrs}


def _access_row(event: Any) -> dict[str, Any]:
    actor = event.actor
    return {
        "audit_event_id": event.id,
        "at": to_local(event.occurred_at).isoformat(),
        "staff_id": event.actor_id,
        "staff_name": actor.full_name if actor else None,
        "staff_role": actor.role.value if actor else None,
        "action": event.action,
        "action_label": label(event.action),
        "record_type": event.entity_type,
        "record_id": event.entity_id,
    }


def build_export(caller: Caller) -> Export:
    """Everything held about `caller`: their row, their other numbers, merges of their records, cases (with
    references), calls, assessments, screenings, clinician-reported withdrawal scores, callbacks with their attempts
    and handovers, notes, emergency alerts and the emergency log, safeguarding records, safety plans, harm-reduction
    prompts, referral offers with the services each suggested or offered, referrals (with the service's name) and
    their status history, flags on the case and on the caller or their number, the phone system's record of their
    calls, and the access list."""
    cases: list[Case] = queries.cases_of(caller.id)
    case_ids = [case.id for case in cases]
    calls = queries.calls_of(caller.id, case_ids)
    linked = {model.__tablename__: queries.by_case(model, case_ids) for model in queries.LINKED_BY_CASE}
    callback_ids = [callback.id for callback in linked[Callback.__tablename__]]
    for model in queries.LINKED_BY_CALLBACK:
        linked[model.__tablename__] = queries.by_callback(model, callback_ids)
    offer_ids = [row.id for row in linked["referral_offers"]]
    referral_ids = [referral.id for referral in linked["referrals"]]
    linked["referral_events"] = queries.referral_events_of(referral_ids)
    flags = flag_queries.flags_for_export(caller.id, caller.phone_e164)
    entities = {
        "caller": [caller.id],
        "caller_flag": [flag.id for flag in flags],
        "case": case_ids,
        "call": [call.id for call in calls],
        "callback": callback_ids,
        "assessment": [row.id for row in linked["assessments"]],
        "screening": [row.id for row in linked["screenings"]],
        "clinician_score": [row.id for row in linked["clinician_scores"]],
        "safety_plan": [row.id for row in linked["safety_plans"]],
        "safeguarding": [row.id for row in linked["safeguarding_records"]],
        "emergency_action": [row.id for row in linked["emergency_actions"]],
        "referral_offer": offer_ids,
        "referral": referral_ids,
    }
    document: dict[str, Any] = {
        "generated_at": now_utc().isoformat(),
        "caller": row_of(caller),
        "caller_numbers": [row_of(number) for number in queries.numbers_of(caller.id)],
        "caller_merges": [row_of(merge) for merge in queries.merges_of(caller.id)],
        "cases": [{**row_of(case), "reference": case.reference} for case in cases],
        "calls": [row_of(call) for call in calls],
        **{name: [row_of(row) for row in rows] for name, rows in linked.items()},
        "referral_offer_items": [
            {**row_of(item), "service_name": item.service.name} for item in queries.offer_items_of(offer_ids)
        ],
        "referrals": [{**row_of(row), "service_name": row.service.name} for row in linked["referrals"]],
        "caller_flags": [row_of(flag) for flag in flags],
        "telephony_calls": [
            {key: value for key, value in row_of(row).items() if key in TELEPHONY_FIELDS}
            for row in queries.telephony_calls_of(caller.id)
        ],
        "access": [_access_row(event) for event in queries.access_events(entities)],
    }
    return Export(caller.id, document)


def export_for(caller_id: int | None = None, phone: str | None = None, *, actor_id: int | None, via: str) -> Export:
    """The export for one caller, audited (caller.sar_exported); `via` says how (page, cli)."""
    caller = find_caller(caller_id=caller_id, phone=phone)
    export = build_export(caller)
    record_event(
        "caller.sar_exported",
        actor_id=actor_id,
        entity_type="caller",
        entity_id=caller.id,
        detail={"via": via, "case_ids": [case["id"] for case in export.document["cases"]]},
    )
    return export
