"""A backup with text PostgreSQL cannot store: a NUL character, kept by SQLite before issue 10.

PostgreSQL refuses U+0000 in text. A restore into PostgreSQL reads every text column of
the file first and refuses, naming each table and column with the first row, before it
writes anything; the same file restores into SQLite unchanged.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from auth.audit import audit
from geodata.registry import Registry
from ingest.backup import BackupKey, RestoreRefusedError, backup, restore
from ingest.bootstrap import prepare_database
from queries.db import make_engine
from queries.schema import observation
from tests.conftest import _database_url

KEY = BackupKey.configured(secrets.token_hex(32))


@pytest.fixture(scope="module")
def nul_backup(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Path:
    """A backup of a SQLite database whose reasons and audit details hold NUL characters."""
    folder = tmp_path_factory.mktemp("nul")
    engine = make_engine(f"sqlite:///{folder / 'source.db'}")
    prepare_database(engine, registry)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for version, reason in enumerate(["rekap", "rekap\x00final", "lagi\x00"], start=1):
            conn.execute(sa.insert(observation).values(
                indicator_id="ikp", region_code="32.73", period=2024, value=70.0,
                source_kind="entry", status="draft", version=version, source="Kota Bandung",
                source_url="", note="", provenance="entry by kotabandung",
                recorded_by="kotabandung", recorded_at=now, reason=reason))
        audit(conn, "kotabandung", "entry.draft", "ikp 32.73 2024",
              "version 2 value 70.0 rekap\x00final")
    path = folder / "nul.zip"
    backup(engine, path, key=KEY)
    engine.dispose()
    return path


@pytest.fixture
def postgres_url(tmp_path: Path, pg_ok: bool) -> Iterator[str]:
    yield from _database_url("postgresql", tmp_path, pg_ok)


def test_restore_into_postgresql_is_refused_before_writing(nul_backup: Path,
                                                           postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        with pytest.raises(RestoreRefusedError) as caught:
            restore(engine, nul_backup, key=KEY)
        assert sa.inspect(engine).get_table_names() == []  # not even the schema
    finally:
        engine.dispose()
    message = str(caught.value)
    assert "PostgreSQL cannot store the NUL character (U+0000)" in message
    assert "observation.reason: 2 rows (first: row 2 of the table, id=2)" in message
    assert "audit_log.detail: 1 row (first: row 1 of the table, id=1)" in message
    assert message.endswith("Nothing was changed")


def test_the_same_backup_restores_into_sqlite(nul_backup: Path, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'target.db'}")
    try:
        restore(engine, nul_backup, key=KEY)
        with engine.connect() as conn:
            reasons = conn.scalars(sa.select(observation.c.reason)
                                   .order_by(observation.c.version)).all()
    finally:
        engine.dispose()
    assert reasons == ["rekap", "rekap\x00final", "lagi\x00"]
