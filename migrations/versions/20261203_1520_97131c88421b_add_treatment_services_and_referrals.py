"""add treatment services and referrals

treatment_services: the directory (type, region, regulator and its id, unique per regulator, rating, substances,
age and gender criteria, dual diagnosis, funding accepted, wait, beds with when confirmed, the commercial
relationship with us). referral_offers / referral_offer_items: the services the matcher suggested for a case with
their rank, those offered, and whether each commercial link was disclosed (a check refuses an offer without it).
referrals / referral_events: each referral's status and its timed history (notes encrypted).

Revision ID: 97131c88421b
Revises: a3bb37e6df76
Create Date: 2026-12-03 15:20:04.441126

"""

from alembic import op
import sqlalchemy as sa

import caseapp.db
import caseapp.encryption.types


# revision identifiers, used by Alembic.
revision = "97131c88421b"
down_revision = "a3bb37e6df76"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "treatment_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "service_type",
            sa.Enum(
                "medical_detox",
                "residential_rehab",
                "community",
                "dual_diagnosis",
                "harm_reduction",
                "mutual_aid",
                "crisis",
                name="treatment_service_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column(
            "region",
            sa.Enum(
                "north_east",
                "north_west",
                "yorkshire_humber",
                "east_midlands",
                "west_midlands",
                "east_of_england",
                "london",
                "south_east",
                "south_west",
                "scotland",
                "wales",
                "northern_ireland",
                "national",
                name="treatment_service_region",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column(
            "regulator",
            sa.Enum(
                "cqc",
                "care_inspectorate",
                "his",
                "ciw",
                "hiw",
                "rqia",
                "none",
                name="treatment_service_regulator",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="none",
            nullable=False,
        ),
        sa.Column("regulator_id", sa.String(length=40), nullable=True),
        sa.Column(
            "rating",
            sa.Enum(
                "outstanding",
                "good",
                "requires_improvement",
                "inadequate",
                "excellent",
                "very_good",
                "adequate",
                "weak",
                "unsatisfactory",
                "not_rated",
                name="treatment_service_rating",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("substances", sa.JSON(), nullable=False),
        sa.Column("min_age", sa.SmallInteger(), nullable=True),
        sa.Column("max_age", sa.SmallInteger(), nullable=True),
        sa.Column(
            "gender",
            sa.Enum(
                "any",
                "women",
                "men",
                name="treatment_service_gender",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="any",
            nullable=False,
        ),
        sa.Column("dual_diagnosis", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("funding", sa.JSON(), nullable=False),
        sa.Column("typical_wait_days", sa.SmallInteger(), nullable=True),
        sa.Column("beds_available", sa.SmallInteger(), nullable=True),
        sa.Column("beds_confirmed_at", caseapp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "commercial_relationship",
            sa.Enum(
                "none",
                "commission",
                "ownership",
                "contract",
                name="treatment_service_commercial",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            server_default="none",
            nullable=False,
        ),
        sa.Column("commercial_detail", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_at", caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "commercial_relationship = 'none' OR commercial_detail IS NOT NULL",
            name=op.f("ck_treatment_services_commercial_detail_given"),
        ),
        sa.CheckConstraint(
            "regulator != 'none' OR regulator_id IS NULL", name=op.f("ck_treatment_services_registered_with_regulator")
        ),
        sa.CheckConstraint(
            "beds_available IS NULL OR beds_available >= 0", name=op.f("ck_treatment_services_beds_not_negative")
        ),
        sa.CheckConstraint(
            "beds_available IS NULL OR beds_confirmed_at IS NOT NULL", name=op.f("ck_treatment_services_beds_confirmed")
        ),
        sa.CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name=op.f("ck_treatment_services_age_range")
        ),
        sa.CheckConstraint(
            "typical_wait_days IS NULL OR typical_wait_days >= 0", name=op.f("ck_treatment_services_wait_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_treatment_services_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_treatment_services_updated_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_services")),
    )
    with op.batch_alter_table("treatment_services", schema=None) as batch_op:
        batch_op.create_index("ix_treatment_services_type_region", ["service_type", "region"], unique=False)
        batch_op.create_index(
            "uq_treatment_services_regulator_id",
            ["regulator", "regulator_id"],
            unique=True,
            postgresql_where=sa.text("regulator_id IS NOT NULL"),
            sqlite_where=sa.text("regulator_id IS NOT NULL"),
        )

    op.create_table(
        "referral_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("advisor_id", sa.Integer(), nullable=False),
        sa.Column(
            "pathway",
            sa.Enum(
                "medical_detox",
                "residential_rehab",
                "outpatient",
                "dual_diagnosis",
                "signposted",
                "no_further_action",
                name="referral_offer_pathway",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "funding_route",
            sa.Enum(
                "self_funded",
                "private_insurance",
                "nhs_local_authority",
                "unknown",
                name="referral_offer_funding_route",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("reason", caseapp.encryption.types.EncryptedText(), nullable=False),
        sa.Column("created_at", caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisor_id"], ["users.id"], name=op.f("fk_referral_offers_advisor_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_referral_offers_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_offers")),
    )
    with op.batch_alter_table("referral_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_offers_case_id"), ["case_id"], unique=False)

    op.create_table(
        "referral_offer_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=True),
        sa.Column("offered", sa.Boolean(), nullable=False),
        sa.Column(
            "commercial_relationship",
            sa.Enum(
                "none",
                "commission",
                "ownership",
                "contract",
                name="referral_offer_item_commercial",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("disclosed", sa.Boolean(), nullable=True),
        sa.CheckConstraint(
            "NOT offered OR commercial_relationship = 'none' OR disclosed",
            name=op.f("ck_referral_offer_items_commercial_link_disclosed"),
        ),
        sa.CheckConstraint("rank IS NOT NULL OR offered", name=op.f("ck_referral_offer_items_suggested_or_offered")),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["referral_offers.id"],
            name=op.f("fk_referral_offer_items_offer_id_referral_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["treatment_services.id"],
            name=op.f("fk_referral_offer_items_service_id_treatment_services"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_offer_items")),
        sa.UniqueConstraint("offer_id", "service_id", name=op.f("uq_referral_offer_items_offer_id_service_id")),
    )
    with op.batch_alter_table("referral_offer_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_offer_items_service_id"), ["service_id"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("offer_item_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "suggested",
                "offered",
                "sent",
                "accepted",
                "declined",
                "waitlisted",
                "admitted",
                "did_not_attend",
                "withdrawn",
                name="referral_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_changed_at", caseapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "decline_reason",
            sa.Enum(
                "no_capacity",
                "criteria_not_met",
                "funding_not_agreed",
                "needs_higher_care",
                "not_in_area",
                "other",
                name="referral_decline_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", caseapp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("admitted_at", caseapp.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", caseapp.db.UTCDateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "(status = 'declined') = (decline_reason IS NOT NULL)", name=op.f("ck_referrals_declined_has_reason")
        ),
        sa.CheckConstraint(
            "status != 'admitted' OR admitted_at IS NOT NULL", name=op.f("ck_referrals_admitted_has_time")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_referrals_created_by_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["offer_item_id"],
            ["referral_offer_items.id"],
            name=op.f("fk_referrals_offer_item_id_referral_offer_items"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["treatment_services.id"],
            name=op.f("fk_referrals_service_id_treatment_services"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("offer_item_id", name=op.f("uq_referrals_offer_item_id")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_service_id"), ["service_id"], unique=False)
        batch_op.create_index("ix_referrals_status_changed", ["status", "status_changed_at"], unique=False)

    op.create_table(
        "referral_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "suggested",
                "offered",
                "sent",
                "accepted",
                "declined",
                "waitlisted",
                "admitted",
                "did_not_attend",
                "withdrawn",
                name="referral_event_from",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "suggested",
                "offered",
                "sent",
                "accepted",
                "declined",
                "waitlisted",
                "admitted",
                "did_not_attend",
                "withdrawn",
                name="referral_event_to",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("at", caseapp.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "decline_reason",
            sa.Enum(
                "no_capacity",
                "criteria_not_met",
                "funding_not_agreed",
                "needs_higher_care",
                "not_in_area",
                "other",
                name="referral_event_decline",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("note", caseapp.encryption.types.EncryptedText(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_referral_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_referral_events_referral_id_referrals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_events")),
    )
    with op.batch_alter_table("referral_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_events_referral_id"), ["referral_id"], unique=False)


def downgrade():
    with op.batch_alter_table("referral_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_events_referral_id"))

    op.drop_table("referral_events")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_status_changed")
        batch_op.drop_index(batch_op.f("ix_referrals_service_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_case_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("referral_offer_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_offer_items_service_id"))

    op.drop_table("referral_offer_items")
    with op.batch_alter_table("referral_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_offers_case_id"))

    op.drop_table("referral_offers")
    with op.batch_alter_table("treatment_services", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_treatment_services_regulator_id",
            postgresql_where=sa.text("regulator_id IS NOT NULL"),
            sqlite_where=sa.text("regulator_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_treatment_services_type_region")

    op.drop_table("treatment_services")
