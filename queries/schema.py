"""SQLAlchemy Core tables of the indicator store (same schema on SQLite and PostgreSQL).

The Alembic migrations in ``migrations/versions`` create these tables; a test checks
that the migrated database matches this metadata.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments INTEGER PRIMARY KEY, so the big id is INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")

region = Table(
    "region",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("level", String(12), nullable=False, index=True),
    Column("name", String(128), nullable=False),
    Column("parent_code", String(16), ForeignKey("region.code"), nullable=True, index=True),
)

indicator = Table(
    "indicator",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("short_name", String(64), nullable=False),
    Column("name_id", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("publisher", String(120), nullable=False),
    Column("unit_id", String(120), nullable=False),
    Column("unit_en", String(120), nullable=False),
    Column("scale_min", Float, nullable=True),
    Column("scale_max", Float, nullable=True),
    Column("direction", String(16), nullable=False),
    Column("aggregation", String(8), nullable=False),
    Column("lowest_level", String(12), nullable=False),
    Column("cadence", String(16), nullable=False),
    Column("decimals", Integer, nullable=False),
    Column("periods", String(400), nullable=False),
    Column("notes_id", Text, nullable=False, default=""),
    Column("notes_en", Text, nullable=False, default=""),
    # Values only come from rollups of records (the lake); the demo does not simulate them.
    Column("from_records", Boolean, nullable=False, server_default=false()),
)

indicator_category = Table(
    "indicator_category",
    metadata,
    Column("indicator_id", String(40), ForeignKey("indicator.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("label_id", String(80), nullable=False),
    Column("label_en", String(80), nullable=False),
    Column("min", Float, nullable=False),
    Column("max", Float, nullable=False),
    Column("include_min", Boolean, nullable=False),
    Column("include_max", Boolean, nullable=False),
    # The edition the band belongs to: periods valid_from-valid_to, None for open.
    Column("valid_from", Integer, nullable=True),
    Column("valid_to", Integer, nullable=True),
)

indicator_break = Table(
    "indicator_break",
    metadata,
    Column("indicator_id", String(40), ForeignKey("indicator.id"), primary_key=True),
    Column("period", Integer, primary_key=True),
    Column("note_id", Text, nullable=False),
    Column("note_en", Text, nullable=False),
)

# One row per version of a value. A correction inserts version n+1; nothing is
# updated or deleted. `source_kind` separates published figures, simulated ones, values
# entered by Kesbangpol offices and values rolled up from records ('agregat'); an
# entry's status (draft, submitted, verified, rejected, withdrawn) changes by adding a
# version too.
observation = Table(
    "observation",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("indicator_id", String(40), ForeignKey("indicator.id"), nullable=False),
    Column("region_code", String(16), ForeignKey("region.code"), nullable=False),
    Column("period", Integer, nullable=False),
    Column("value", Float, nullable=False),
    Column("source_kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("source", String(200), nullable=False),
    Column("source_url", Text, nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("provenance", Text, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # Why a version was made (an operator's reason, a verifier's rejection comment).
    Column("reason", Text, nullable=False, server_default=""),
    # How many records a value was computed from (a rollup of the lake); NULL otherwise.
    Column("records", BigInteger, nullable=True),
    UniqueConstraint("indicator_id", "region_code", "period", "source_kind", "version"),
    CheckConstraint("version >= 1", name="version_positive"),
    CheckConstraint("source_kind IN ('published', 'simulasi', 'entry', 'agregat')",
                    name="source_kind_known"),
    Index("ix_observation_lookup", "indicator_id", "period", "region_code"),
)

# Planning targets (RPJMN, RKP, KPU): a range [low, high]; a point target has low == high.
target = Table(
    "target",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("indicator_id", String(40), ForeignKey("indicator.id"), nullable=False),
    Column("region_code", String(16), ForeignKey("region.code"), nullable=False),
    Column("period", Integer, nullable=False),
    Column("target_low", Float, nullable=False),
    Column("target_high", Float, nullable=False),
    Column("version", Integer, nullable=False),
    Column("source_url", Text, nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("provenance", Text, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("indicator_id", "region_code", "period", "version"),
)

# What has been loaded by `make run` / `mata-garuda demo`, so a second start reuses it.
dataset_load = Table(
    "dataset_load",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("fingerprint", String(128), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

# Accounts. A provinsi or kab/kota operator has the region it may work on; admin, pusat
# and viewer have none (the whole country). Accounts are never deleted, only deactivated.
# The roles are auth.scope.ROLES (the rules about them live there, above these tables).
app_user = Table(
    "app_user",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("region_code", String(16), ForeignKey("region.code"), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("must_change_password", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
    # Raised by sign-out, password change, reset and deactivation: a session signed in
    # under an older generation is ended (auth/sessions.py).
    Column("session_generation", Integer, nullable=False, server_default="0"),
    CheckConstraint(
        "role IN ('admin', 'pusat', 'provinsi', 'kabkota', 'viewer')", name="role_known"),
)

# Every sign-in attempt, for throttling and temporary locks.
login_attempt = Table(
    "login_attempt",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, index=True),
    Column("remote_addr", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("success", Boolean, nullable=False),
)

# Append-only record of what was done, by whom, from where; hash-chained (auth/audit.py).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("username", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("detail", Text, nullable=False),
    Column("remote_addr", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
)

# The newest entry of the audit log and how many there are: one row, id 1.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("entries", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="one_row"),
)
