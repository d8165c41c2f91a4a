"""Reading a CSV file of treatment services: decoding it, mapping its columns, checking each row with the API's own
schema and rules, finding duplicates (in the file, and services already in the directory by regulator id), then
writing the valid rows through the directory's services. Nothing here commits: the command does, once.

Row numbers are a spreadsheet's: the header is row 1, the first service row 2."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from caseapp.api import load
from caseapp.auth.models import User
from caseapp.directory import queries, services
from caseapp.directory.models import (
    CommercialRelationship,
    Funding,
    Gender,
    Rating,
    Region,
    Regulator,
    ServiceType,
    TreatmentService,
)
from caseapp.directory.schemas import ServiceInputSchema
from caseapp.errors import AppError
from caseapp.forms import parse_local_datetime
from caseapp.reference import Labelled, Substance

LIST_SEPARATOR = ";"
TRUE_WORDS = frozenset({"yes", "y", "true", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})
#: the most rows one file may hold (a directory is hundreds of services, not millions)
MAX_ROWS = 10_000


class Kind(Enum):
    TEXT = "text"
    CHOICE = "choice"
    CHOICES = "choices"
    YES_NO = "yes_no"
    NUMBER = "number"
    UK_TIME = "uk_time"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    example: str
    required: bool = False
    enum: type[Labelled] | None = None
    #: the schema field it fills (the column's name unless said)
    target: str = ""

    @property
    def field(self) -> str:
        return self.target or self.name


#: every column a file may have, in the order the example file uses (README: "Treatment services CSV")
COLUMNS: tuple[Column, ...] = (
    Column("name", Kind.TEXT, "The service's name, up to 200 characters.", "Harbour House", required=True),
    Column("type", Kind.CHOICE, "The type of service.", "residential_rehab", True, ServiceType, "service_type"),
    Column("region", Kind.CHOICE, "Where it is (national: takes callers from anywhere).", "london", True, Region),
    Column("address", Kind.TEXT, "Street, town.", "12 Quay Street, Bristol"),
    Column("postcode", Kind.TEXT, "A UK postcode.", "BS1 4DJ"),
    Column("phone", Kind.TEXT, "Any UK format.", "0117 496 0123"),
    Column("email", Kind.TEXT, "An email address.", "referrals@example.org"),
    Column("website", Kind.TEXT, "Starting http:// or https://.", "https://example.org"),
    Column("regulator", Kind.CHOICE, "Who registers it (empty: none).", "cqc", enum=Regulator),
    Column("regulator_id", Kind.TEXT, "Its id with that regulator; matches a service already listed.", "1-123456789"),
    Column("rating", Kind.CHOICE, "The regulator's latest overall rating.", "good", enum=Rating),
    Column("substances", Kind.CHOICES, "Substances it treats (empty: any).", "alcohol;heroin", enum=Substance),
    Column("min_age", Kind.NUMBER, "Youngest age taken.", "18"),
    Column("max_age", Kind.NUMBER, "Oldest age taken.", "65"),
    Column("gender", Kind.CHOICE, "Whom it takes (empty: anyone).", "any", enum=Gender),
    Column("dual_diagnosis", Kind.YES_NO, "Treats a mental-health condition alongside.", "yes"),
    Column("funding", Kind.CHOICES, "Funding routes it accepts.", "nhs;self_funded", enum=Funding),
    Column("typical_wait_days", Kind.NUMBER, "Typical wait for a place, in days.", "14"),
    Column("beds_available", Kind.NUMBER, "Beds free when last confirmed (empty: not known).", "2"),
    Column("beds_confirmed_at", Kind.UK_TIME, "When, in UK time (empty: now).", "2026-12-01 09:30"),
    Column(
        "commercial_relationship",
        Kind.CHOICE,
        "Its commercial link with the helpline (empty: none).",
        "commission",
        enum=CommercialRelationship,
    ),
    Column("commercial_detail", Kind.TEXT, "What the link is; required unless none.", "10% of the first month's fee"),
    Column("notes", Kind.TEXT, "Anything advisors should know.", "Assessment by phone first."),
    Column("active", Kind.YES_NO, "In use (empty: yes).", "yes", target="is_active"),
)
BY_NAME = {c.name: c for c in COLUMNS}
BY_FIELD = {c.field: c for c in COLUMNS}
#: other names a header may use for a column
ALIASES = {"service_type": "type", "is_active": "active"}


class ImportRefused(AppError):
    """The file as a whole cannot be read (its encoding, its header): no row is looked at."""

    status = 422
    code = "import_refused"


@dataclass(frozen=True)
class Problem:
    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class RowResult:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: the service with this row's regulator id, already in the directory (the row updates it)
    existing: TreatmentService | None = None
    #: after writing: what became of it
    service_id: int | None = None
    outcome: str = ""


@dataclass
class ImportReport:
    encoding: str
    rows: list[RowResult]
    written: bool = False

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.rows if r.problems]

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.rows for p in r.problems]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def summary(self) -> str:
        created, updated = self.count("created"), self.count("updated") + self.count("unchanged")
        return f"{created} created, {updated} updated, {len(self.rejected)} rejected"


# --- decoding -----------------------------------------------------------------------------------------------------


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding used): a BOM says UTF-8; else UTF-8 if it decodes strictly, else Windows-1252 (Excel's
    "CSV" on Windows). `encoding` forces one."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise ImportRefused(f"Unknown encoding {encoding!r}: try utf-8 or cp1252.") from exc
        candidates = [encoding]
    elif data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "cp1252"]
    for name in candidates:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        return text.removeprefix("\ufeff"), name
    tried = " or ".join(candidates)
    raise ImportRefused(f"The file could not be read as {tried}. Save it as CSV UTF-8 and try again.")


# --- cells --------------------------------------------------------------------------------------------------------


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _lookup(enum: type[Labelled]) -> dict[str, Labelled]:
    """Every way a cell may name a member: its code, its label, the label without its bracket ("Care Inspectorate"),
    any case and punctuation; a spelling two members share is left out (it is not clear which)."""
    found: dict[str, set[Labelled]] = {}
    for member in enum:
        spellings = {member.value, member.label, re.sub(r"\s*\(.*\)", "", member.label)}
        for spelling in spellings:
            found.setdefault(_key(spelling), set()).add(member)
    return {key: next(iter(members)) for key, members in found.items() if len(members) == 1}


_LOOKUPS: dict[type[Labelled], dict[str, Labelled]] = {}


def match_choice(enum: type[Labelled], text: str) -> Labelled | None:
    table = _LOOKUPS.get(enum)
    if table is None:
        table = _LOOKUPS[enum] = _lookup(enum)
    return table.get(_key(text))


def _allowed(enum: type[Labelled]) -> str:
    return ", ".join(m.value for m in enum)


def _cell(column: Column, text: str) -> Any:
    """The value for the schema, from a cell (not empty); ValueError with the reason."""
    if column.kind is Kind.CHOICE:
        assert column.enum is not None  # noqa: S101 - every choice column names its list
        member = match_choice(column.enum, text)
        if member is None:
            raise ValueError(f"{text!r} is not one of: {_allowed(column.enum)}.")
        return member.value
    if column.kind is Kind.CHOICES:
        assert column.enum is not None  # noqa: S101
        codes, unknown = [], []
        for part in (p.strip() for p in text.split(LIST_SEPARATOR)):
            if part:
                member = match_choice(column.enum, part)
                if member is None:
                    unknown.append(part)
                else:
                    codes.append(member.value)
        if unknown:
            listed = ", ".join(repr(u) for u in unknown)
            raise ValueError(f"{listed} not known; use {_allowed(column.enum)}, separated by {LIST_SEPARATOR}")
        return codes
    if column.kind is Kind.YES_NO:
        word = text.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(f"{text!r} is not yes or no (yes, no, true, false, 1 or 0).")
    if column.kind is Kind.UK_TIME:
        return parse_local_datetime(text.strip().replace(" ", "T", 1)).isoformat()
    return text


def _payload(cells: dict[str, str], row: int) -> tuple[dict[str, Any], list[Problem]]:
    """The row as ServiceInputSchema reads it. An empty cell clears an optional field, leaves a choice with a default
    (regulator, gender, commercial relationship, yes/no) as it is, and empties a list."""
    payload: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, raw in cells.items():
        column = BY_NAME[name]
        text = (raw or "").strip()
        if not text:
            if column.kind is Kind.CHOICES:
                payload[column.field] = []
            elif column.kind not in (Kind.YES_NO,) and column.enum not in (Regulator, Gender, CommercialRelationship):
                payload[column.field] = None
            continue
        try:
            payload[column.field] = _cell(column, text)
        except ValueError as exc:
            problems.append(Problem(row, name, str(exc)))
    return payload, problems


def _column_of(field_name: str) -> str:
    base = field_name.split(".", 1)[0]
    return BY_FIELD[base].name if base in BY_FIELD else base


# --- reading and checking -----------------------------------------------------------------------------------------


def _header(fieldnames: list[str] | None) -> dict[str, str]:
    """The file's header → our column names; ImportRefused naming what is unknown, missing or repeated."""
    if not fieldnames:
        raise ImportRefused("The file is empty: it needs a header row naming its columns.")
    mapping: dict[str, str] = {}
    unknown, repeated = [], []
    for raw in fieldnames:
        name = _key(raw or "").replace(" ", "_")
        name = ALIASES.get(name, name)
        if name not in BY_NAME:
            unknown.append(raw)
        elif name in mapping.values():
            repeated.append(raw)
        else:
            mapping[raw] = name
    missing = [c.name for c in COLUMNS if c.required and c.name not in mapping.values()]
    reasons = []
    if unknown:
        reasons.append(f"unknown columns: {', '.join(repr(u) for u in unknown)}")
    if repeated:
        reasons.append(f"columns given twice: {', '.join(repr(r) for r in repeated)}")
    if missing:
        reasons.append(f"missing columns: {', '.join(missing)}")
    if reasons:
        known = ", ".join(c.name for c in COLUMNS)
        raise ImportRefused(f"The header row is not right ({'; '.join(reasons)}). The columns are: {known}.")
    return mapping


def read_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, {column: cell}) for each row that is not blank."""
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="\x00extra")
    mapping = _header(list(reader.fieldnames) if reader.fieldnames else None)
    for number, record in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise ImportRefused(f"The file has more than {MAX_ROWS:,} rows: split it.")
        extra = record.pop("\x00extra", None)
        cells = {mapping[k]: v or "" for k, v in record.items() if k in mapping}
        if not any(v.strip() for v in cells.values()) and not extra:
            continue
        if extra and any(str(v).strip() for v in extra):
            cells["\x00extra"] = "yes"
        yield number, cells


def check_row(number: int, cells: dict[str, str], existing: TreatmentService | None) -> RowResult:
    result = RowResult(number, existing=existing)
    if cells.pop("\x00extra", None):
        result.problems.append(Problem(number, None, "The row has more cells than the header has columns."))
    payload, problems = _payload(cells, number)
    result.problems.extend(problems)
    bad_columns = {p.column for p in result.problems}
    clean = {k: v for k, v in payload.items() if _column_of(k) not in bad_columns}
    try:
        loaded = load(ServiceInputSchema, clean, partial=existing is not None)
    except AppError as exc:
        for name, messages in exc.fields.items():
            if _column_of(name) not in bad_columns:  # a cell refused above is not "missing" as well
                result.problems.extend(Problem(number, _column_of(name), m) for m in messages)
        return result
    if result.problems:
        return result
    try:
        result.values = services.check_service(loaded, existing)
    except AppError as exc:
        for name, messages in exc.fields.items():
            result.problems.extend(Problem(number, _column_of(name), m) for m in messages)
    return result


def check_file(
    text: str, *, progress: Callable[[list[tuple[int, dict[str, str]]]], Iterable[tuple[int, dict[str, str]]]]
) -> list[RowResult]:
    """Every row checked, duplicates in the file refused (the second and later of one regulator id), and the rows
    whose regulator id is already in the directory matched to that service."""
    rows = list(read_rows(text))
    keys = {key: None for _, cells in rows if (key := _key_of(cells)) is not None}
    listed = queries.services_by_regulator_ids(list(keys))
    first_row: dict[tuple[Regulator, str], int] = {}
    results = []
    for number, cells in progress(rows):
        key = _key_of(cells)
        if key is not None and key in first_row:
            regulator, regulator_id = key
            message = f"Duplicate of row {first_row[key]}: the same {regulator.value} id {regulator_id}."
            results.append(RowResult(number, problems=[Problem(number, "regulator_id", message)]))
            continue
        if key is not None:
            first_row[key] = number
        results.append(check_row(number, dict(cells), listed.get(key) if key else None))
    return results


def _key_of(cells: dict[str, str]) -> tuple[Regulator, str] | None:
    regulator = match_choice(Regulator, cells.get("regulator") or "")
    regulator_id = services.normalise_regulator_id(cells.get("regulator_id"))
    if not isinstance(regulator, Regulator) or regulator is Regulator.NONE or not regulator_id:
        return None
    return regulator, regulator_id


# --- writing ------------------------------------------------------------------------------------------------------


def write_rows(rows: Iterable[RowResult], *, actor: User | None) -> None:
    """Create or update the service of each valid row (in the caller's transaction)."""
    for row in rows:
        if row.problems:
            continue
        if row.existing is not None:
            changed = services.update_service(row.existing, row.values, version=None, actor=actor)
            row.service_id, row.outcome = row.existing.id, "updated" if changed else "unchanged"
        else:
            row.service_id, row.outcome = services.create_service(row.values, actor=actor).id, "created"


def import_services(
    data: bytes,
    *,
    actor: User | None,
    skip_invalid: bool = False,
    encoding: str | None = None,
    progress: Callable[[Any], Iterable[Any]] = lambda items: items,
) -> ImportReport:
    """Check every row; write them all when all are valid (or, with skip_invalid, the valid ones), else none.
    ImportRefused when the file itself cannot be read. The caller commits, or rolls back for a dry run."""
    text, used = decode(data, encoding)
    report = ImportReport(used, check_file(text, progress=progress))
    if report.rejected and not skip_invalid:
        return report
    write_rows(report.rows, actor=actor)
    report.written = True
    services.record_import(
        actor=actor,
        created=report.count("created"),
        updated=report.count("updated") + report.count("unchanged"),
        rejected=len(report.rejected),
    )
    return report
