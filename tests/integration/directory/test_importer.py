"""The CSV import: each kind of bad row reported with its row number and column, all or nothing unless skip_invalid,
duplicates in the file and against the directory (an update), the three encodings, and the example file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseapp.config import PROJECT_ROOT
from caseapp.directory.importer import COLUMNS, ImportRefused, decode, import_services
from caseapp.directory.models import CommercialRelationship, Regulator, ServiceType, TreatmentService
from caseapp.extensions import db
from tests import factories
from tests.integration.api_support import audit_events

pytestmark = pytest.mark.usefixtures("db_session")

EXAMPLE = PROJECT_ROOT / "examples" / "treatment-services.csv"
HEADER = (
    "name,type,region,regulator,regulator_id,substances,funding,dual_diagnosis,commercial_relationship,"
    "commercial_detail,email\n"
)
GOOD = "Good Place,residential_rehab,london,cqc,1-200000001,alcohol;heroin,nhs,yes,none,,a@example.org\n"


def _services(*names: str) -> list[TreatmentService]:
    query = sa.select(TreatmentService).where(TreatmentService.name.in_(names)).order_by(TreatmentService.name)
    return list(db.session.scalars(query))


def _problems(data: str) -> list[str]:
    report = import_services(data.encode(), actor=None)
    assert not report.written
    return [str(p) for p in report.problems]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("Bad Type,spa,london,,,,,,,,\n", "row 3, column type: 'spa' is not one of: medical_detox"),
        ("Bad Region,community,atlantis,,,,,,,,\n", "row 3, column region: 'atlantis' is not one of"),
        (",community,london,,,,,,,,\n", "row 3, column name:"),
        ("Bad Drug,community,london,,,alcohol;chocolate,,,,,\n", "row 3, column substances: 'chocolate' not known"),
        ("Bad Fund,community,london,,,,nhs;lottery,,,,\n", "row 3, column funding: 'lottery' not known"),
        ("Bad Bool,community,london,,,,,maybe,,,\n", "row 3, column dual_diagnosis: 'maybe' is not yes or no"),
        ("Bad Mail,community,london,,,,,,,,nope\n", "row 3, column email:"),
        ("No Reg,community,london,,1-200000009,,,,,,\n", "row 3, column regulator_id: Choose the regulator"),
        ("Bad Id,community,london,cqc,CS12,,,,,,\n", "row 3, column regulator_id: A CQC id looks like"),
        ("Secret,community,london,,,,,,commission,,\n", "row 3, column commercial_detail: Say what the link is"),
        ("Too Many,community,london,,,,,,,,,extra\n", "row 3: The row has more cells than the header"),
    ],
)
def test_import_reports_each_bad_row_with_its_number_and_column(row: str, expected: str) -> None:
    problems = _problems(HEADER + GOOD + row)

    assert any(p.startswith(expected) for p in problems), problems


def test_import_is_all_or_nothing_and_lists_every_problem() -> None:
    data = HEADER + GOOD + "Bad One,spa,london,,,,,,,,\n" + "Bad Two,community,mars,,,,,,,,\n"

    report = import_services(data.encode(), actor=None)

    assert not report.written
    assert [p.row for p in report.problems] == [3, 4]
    assert _services("Good Place") == []
    assert audit_events("service.imported") == []


def test_import_with_skip_invalid_imports_the_valid_rows_and_lists_the_rest() -> None:
    data = HEADER + GOOD + "Bad One,spa,london,,,,,,,,\n" + "Second Good,crisis,wales,,,,,no,,,\n"

    report = import_services(data.encode(), actor=None, skip_invalid=True)

    assert report.written
    assert report.summary == "2 created, 0 updated, 1 rejected"
    assert [r.row for r in report.rejected] == [3]
    assert [s.name for s in _services("Good Place", "Second Good", "Bad One")] == ["Good Place", "Second Good"]
    [event] = audit_events("service.imported")
    assert event.detail == {"created": 2, "updated": 0, "rejected": 1}


def test_a_second_row_with_the_same_regulator_id_is_a_duplicate_of_the_first() -> None:
    data = HEADER + GOOD + "Copy,community,london,CQC, 1-200000001 ,,,,,,\n"

    problems = _problems(data)

    assert problems == ["row 3, column regulator_id: Duplicate of row 2: the same cqc id 1-200000001."]


def test_a_row_whose_regulator_id_is_listed_updates_that_service() -> None:
    listed = factories.make_treatment_service(name="Listed Before", regulator_id="1-200000001", notes="kept")
    db.session.flush()
    before = db.session.scalar(sa.select(sa.func.count()).select_from(TreatmentService))

    report = import_services((HEADER + GOOD).encode(), actor=None)

    assert report.summary == "0 created, 1 updated, 0 rejected"
    assert report.rows[0].service_id == listed.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TreatmentService)) == before
    db.session.refresh(listed)
    assert listed.name == "Good Place"
    assert listed.dual_diagnosis is True
    assert listed.notes == "kept"  # no notes column: left as it was
    [event] = audit_events("service.updated", entity_id=str(listed.id))
    assert "name" in event.detail["fields"]


def test_labels_and_any_case_are_read_where_they_are_clear() -> None:
    data = (
        "Name,Type,Region,Regulator,Regulator ID,Substances,Funding,Commercial relationship,Commercial detail\n"
        "Label Place,Residential Rehab,Yorkshire and the Humber,Care Inspectorate,cs 2019 000001,"
        "Crack cocaine; ALCOHOL,Self-funded;NHS,We receive commission,5%\n"
    )

    report = import_services(data.encode(), actor=None)

    assert report.problems == []
    [service] = _services("Label Place")
    assert service.service_type is ServiceType.RESIDENTIAL_REHAB
    assert service.regulator is Regulator.CARE_INSPECTORATE
    assert service.regulator_id == "CS2019000001"
    assert service.substances == ["crack_cocaine", "alcohol"]
    assert service.funding == ["self_funded", "nhs"]
    assert service.commercial_relationship is CommercialRelationship.COMMISSION


def test_a_header_with_unknown_or_missing_columns_is_refused_whole() -> None:
    with pytest.raises(ImportRefused, match="unknown columns: 'colour'.*missing columns: region"):
        import_services(b"name,type,colour\nA,crisis,red\n", actor=None)


NAMES = ["Café Connect", "Price £500 “quoted” — O’Brien’s"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_the_same_names_come_through_from_each_encoding(encoding: str) -> None:
    text = "name,type,region\n" + "".join(f'"{n}",community,london\n' for n in NAMES)

    report = import_services(text.encode(encoding), actor=None)

    assert report.encoding == encoding
    assert report.problems == []
    assert sorted(s.name for s in _services(*NAMES)) == sorted(NAMES)


def test_decode_refuses_bytes_that_are_neither_and_a_forced_encoding_wins() -> None:
    with pytest.raises(ImportRefused, match="could not be read"):
        decode(b"name\n\x81\x8d\n")
    assert decode("Café".encode("cp1252"), "latin-1") == ("Café", "latin-1")
    with pytest.raises(ImportRefused, match="Unknown encoding"):
        decode(b"x", "klingon")


def test_the_example_file_imports_cleanly_with_every_type_and_relationship() -> None:
    report = import_services(EXAMPLE.read_bytes(), actor=None)

    assert report.problems == []
    with EXAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert report.summary == f"{len(rows)} created, 0 updated, 0 rejected"
    services = _services(*(r["name"] for r in rows))
    assert {s.service_type for s in services} == set(ServiceType)
    assert {s.commercial_relationship for s in services} == set(CommercialRelationship)
    assert {Regulator.CARE_INSPECTORATE, Regulator.CIW} <= {s.regulator for s in services}
    assert any(s.beds_available for s in services)
    assert all(s.beds_confirmed_at for s in services if s.beds_available is not None)
    assert "Café Connect Community Recovery" in {s.name for s in services}


def test_every_column_of_the_example_file_is_a_documented_column() -> None:
    header = next(csv.reader(io.StringIO(Path(EXAMPLE).read_text(encoding="utf-8"))))
    assert header == [c.name for c in COLUMNS]
