"""A treatment service in the directory, with who regulates it, whom it takes, and its commercial link with us."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from caseapp.db import Base, CreatedAtMixin, UTCDateTime, str_enum
from caseapp.reference import Labelled


class ServiceType(Labelled):
    MEDICAL_DETOX = "medical_detox", "Medical detox"
    RESIDENTIAL_REHAB = "residential_rehab", "Residential rehab"
    COMMUNITY = "community", "Community / outpatient"
    DUAL_DIAGNOSIS = "dual_diagnosis", "Dual diagnosis"
    HARM_REDUCTION = "harm_reduction", "Harm reduction"
    MUTUAL_AID = "mutual_aid", "Mutual aid"
    CRISIS = "crisis", "Crisis"


class Region(Labelled):
    NORTH_EAST = "north_east", "North East"
    NORTH_WEST = "north_west", "North West"
    YORKSHIRE_HUMBER = "yorkshire_humber", "Yorkshire and the Humber"
    EAST_MIDLANDS = "east_midlands", "East Midlands"
    WEST_MIDLANDS = "west_midlands", "West Midlands"
    EAST_OF_ENGLAND = "east_of_england", "East of England"
    LONDON = "london", "London"
    SOUTH_EAST = "south_east", "South East"
    SOUTH_WEST = "south_west", "South West"
    SCOTLAND = "scotland", "Scotland"
    WALES = "wales", "Wales"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"
    #: takes callers from anywhere (online, telephone or national services)
    NATIONAL = "national", "UK-wide"


class Regulator(Labelled):
    CQC = "cqc", "Care Quality Commission (England)"
    CARE_INSPECTORATE = "care_inspectorate", "Care Inspectorate (Scotland)"
    HIS = "his", "Healthcare Improvement Scotland"
    CIW = "ciw", "Care Inspectorate Wales"
    HIW = "hiw", "Healthcare Inspectorate Wales"
    RQIA = "rqia", "RQIA (Northern Ireland)"
    NONE = "none", "Not registered"


class Rating(Labelled):
    """The regulator's latest overall rating: CQC's four, the Care Inspectorate's six grades, or none yet."""

    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    EXCELLENT = "excellent", "Excellent"
    VERY_GOOD = "very_good", "Very good"
    ADEQUATE = "adequate", "Adequate"
    WEAK = "weak", "Weak"
    UNSATISFACTORY = "unsatisfactory", "Unsatisfactory"
    NOT_RATED = "not_rated", "Not yet rated"


class Funding(Labelled):
    SELF_FUNDED = "self_funded", "Self-funded"
    NHS = "nhs", "NHS"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    INSURANCE = "insurance", "Private insurance"


class Gender(Labelled):
    """Whom a service takes."""

    ANY = "any", "Anyone"
    WOMEN = "women", "Women only"
    MEN = "men", "Men only"


class CommercialRelationship(Labelled):
    """The service's commercial link with the helpline: anything but none must be disclosed to the caller."""

    NONE = "none", "None"
    COMMISSION = "commission", "We receive commission"
    OWNERSHIP = "ownership", "Common ownership"
    CONTRACT = "contract", "Paid contract"


#: a regulator id is unique within its regulator; services with no registration have none
_REGISTERED = "regulator_id IS NOT NULL"


class TreatmentService(CreatedAtMixin, Base):
    """Directory data, not personal data: kept in plain text, never anonymised."""

    __tablename__ = "treatment_services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    service_type: Mapped[ServiceType] = mapped_column(str_enum(ServiceType, "treatment_service_type"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    address: Mapped[str | None] = mapped_column(sa.Text())
    postcode: Mapped[str | None] = mapped_column(sa.String(10))
    region: Mapped[Region] = mapped_column(str_enum(Region, "treatment_service_region"))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    regulator: Mapped[Regulator] = mapped_column(
        str_enum(Regulator, "treatment_service_regulator"), default=Regulator.NONE, server_default=Regulator.NONE
    )
    #: the regulator's id for the service (CQC: the location or provider id, e.g. 1-123456789)
    regulator_id: Mapped[str | None] = mapped_column(sa.String(40))
    rating: Mapped[Rating | None] = mapped_column(str_enum(Rating, "treatment_service_rating"))
    #: Substance codes (caseapp.reference.Substance) it treats; empty: any
    substances: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    min_age: Mapped[int | None] = mapped_column(sa.SmallInteger())
    max_age: Mapped[int | None] = mapped_column(sa.SmallInteger())
    gender: Mapped[Gender] = mapped_column(
        str_enum(Gender, "treatment_service_gender"), default=Gender.ANY, server_default=Gender.ANY
    )
    #: treats a mental-health condition alongside the substance use
    dual_diagnosis: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Funding codes it accepts
    funding: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    typical_wait_days: Mapped[int | None] = mapped_column(sa.SmallInteger())
    #: beds free when last confirmed with the service (residential services); null: not known
    beds_available: Mapped[int | None] = mapped_column(sa.SmallInteger())
    beds_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    commercial_relationship: Mapped[CommercialRelationship] = mapped_column(
        str_enum(CommercialRelationship, "treatment_service_commercial"),
        default=CommercialRelationship.NONE,
        server_default=CommercialRelationship.NONE,
    )
    #: what the link is (e.g. "10% of the first month's fee"), for the disclosure to the caller
    commercial_detail: Mapped[str | None] = mapped_column(sa.Text())
    notes: Mapped[str | None] = mapped_column(sa.Text())
    #: optimistic concurrency: a PATCH with an older version gets 409
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=sa.func.now(), onupdate=sa.func.now())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        sa.CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_range"),
        sa.CheckConstraint("beds_available IS NULL OR beds_available >= 0", name="beds_not_negative"),
        sa.CheckConstraint("typical_wait_days IS NULL OR typical_wait_days >= 0", name="wait_not_negative"),
        sa.CheckConstraint("beds_available IS NULL OR beds_confirmed_at IS NOT NULL", name="beds_confirmed"),
        sa.CheckConstraint("regulator != 'none' OR regulator_id IS NULL", name="registered_with_regulator"),
        sa.CheckConstraint(
            "commercial_relationship = 'none' OR commercial_detail IS NOT NULL", name="commercial_detail_given"
        ),
        sa.Index(
            "uq_treatment_services_regulator_id",
            "regulator",
            "regulator_id",
            unique=True,
            postgresql_where=sa.text(_REGISTERED),
            sqlite_where=sa.text(_REGISTERED),
        ),
        sa.Index("ix_treatment_services_type_region", "service_type", "region"),
    )

    @property
    def has_commercial_link(self) -> bool:
        return self.commercial_relationship is not CommercialRelationship.NONE

    def __repr__(self) -> str:
        return f"<TreatmentService {self.id}>"
