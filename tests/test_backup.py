"""Backup and restore: lossless round trips on SQLite and PostgreSQL, in both directions.

The demo database (published figures + demo data) is built once per engine and module,
given a few hand-made rows covering edge cases, and backed up once; each restore goes
into a fresh empty database of each kind. Refusals (tampered file, non-empty target)
use a small database and must leave the target exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from click.testing import CliRunner

import ingest.backup.restoring as restoring_module
import ingest.backup.snapshot as snapshot_module
from auth.audit import audit, verify_chain
from cli import main
from ingest.backup import (
    BackupError,
    BackupFileError,
    BackupKey,
    BackupReport,
    RestoreRefusedError,
    backup,
    restore,
)
from ingest.backup.format import (
    DECODERS,
    ENCODERS,
    MANIFEST,
    Column,
    Manifest,
    TableEntry,
    dumps,
    manifest_bytes,
    parse_manifest,
)
from ingest.backup.signing import SIGNATURE, signature_bytes
from ingest.store import indicator_row
from queries.catalogue import load_catalogue_file
from queries.db import alembic_config, current_revision, head_revision, make_engine, upgrade
from queries.schema import indicator, indicator_category, metadata, observation, region, target
from settings import Settings, SettingsError
from tests.conftest import PG_URL

WIB = timezone(timedelta(hours=7))
# Quotes, accents, a backslash, a newline, U+2028 (a line break for str.splitlines), emoji.
WEIRD = 'Kab. "Pidië" \'Jaya\' — Bañuwangi ✓ 🦅 back\\slash\nbaris\u2028baru'
TRICKY_FLOATS = [0.1 + 0.2, 1 / 3, 5e-324, 1.7976931348623157e308, float("inf"), 1e-7,
                 123456789.12345679, 2.0**53 + 2]
CODE_POINT_ORDER = {"postgresql": "C", "sqlite": "BINARY"}
KEY = BackupKey.configured(secrets.token_hex(32))
OTHER_KEY = BackupKey.configured(secrets.token_hex(32))


# ---------------------------------------------------------------------------- helpers

def present_tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def table_rows(engine: sa.Engine, *, portable: bool = False) -> dict[str, list[str]]:
    """Every application table as the repr of its full rows, in primary-key order.

    Columns are those the database has (an older schema may lack some of the metadata's).

    ``portable`` makes rows of different engines comparable: date-times become aware UTC
    (SQLite keeps no offset; the application writes UTC) and rows are ordered by code
    point on both engines.
    """
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        collation = CODE_POINT_ORDER[conn.dialect.name]
        insp = sa.inspect(conn)
        present = set(insp.get_table_names())
        for t in metadata.sorted_tables:
            if t.name not in present:
                continue
            columns = [t.c[c["name"]] for c in insp.get_columns(t.name)]
            order = [c.collate(collation) if isinstance(c.type, sa.String) else c
                     for c in t.primary_key.columns]
            rows = conn.execute(sa.select(*columns).order_by(*order))
            out[t.name] = [repr(tuple(_utc(v) for v in row) if portable else tuple(row))
                           for row in rows]
    return out


def _utc(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    return v


@pytest.fixture
def fresh_url(tmp_path: Path, pg_ok: bool) -> Iterator[Callable[[str], str]]:
    """Make more empty databases within one test: ``fresh_url("sqlite")``."""
    schemas: list[str] = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'fresh-{uuid.uuid4().hex[:8]}.db'}"
        if not pg_ok:
            pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
        schema = f"mg_test_{uuid.uuid4().hex[:10]}"
        with sa.create_engine(PG_URL).begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        return f"{PG_URL}?options=-csearch_path%3D{schema}"

    yield make
    if schemas:
        admin = sa.create_engine(PG_URL)
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def add_edge_rows(engine: sa.Engine) -> None:
    """Rows a plain import never makes: a correction, NULLs, odd text and floats, accounts."""
    at = datetime(2025, 3, 1, 8, 15, 30, 123456, tzinfo=WIB)
    present = present_tables(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(region), {"code": "11.99", "level": "kabkota", "name": WEIRD,
                                         "parent_code": "11"})
        conn.execute(sa.insert(indicator), {
            "id": "uji_ñ", "short_name": "Uji «ñ»", "name_id": WEIRD, "name_en": "Test 'quotes'",
            "publisher": "Kesbangpol", "unit_id": "indeks", "unit_en": "index",
            "scale_min": None, "scale_max": None, "direction": "higher_better",
            "aggregation": "mean", "lowest_level": "kabkota", "cadence": "annual",
            "decimals": 2, "periods": "", "notes_id": WEIRD, "notes_en": ""})
        first = conn.execute(sa.select(observation).where(
            observation.c.source_kind == "published", observation.c.version == 1)
            .order_by(observation.c.id).limit(1)).mappings().one()
        correction = {k: v for k, v in first.items() if k != "id"}
        conn.execute(sa.insert(observation), {**correction, "version": 2, "value": 0.1 + 0.2,
                                              "note": WEIRD, "recorded_at": at})
        conn.execute(sa.insert(observation), [{
            "indicator_id": "uji_ñ", "region_code": "11.99", "period": 1990 + i, "value": v,
            "source_kind": "published", "status": "published", "version": 1,
            "source": "Kesbangpol", "source_url": "", "note": "", "provenance": WEIRD,
            "recorded_by": "operator", "recorded_at": at} for i, v in enumerate(TRICKY_FLOATS)])
        conn.execute(sa.insert(target), {
            "indicator_id": "uji_ñ", "region_code": "11.99", "period": 2029, "target_low": 1 / 3,
            "target_high": 1 / 3, "version": 1, "source_url": "", "note": WEIRD,
            "provenance": "hand", "recorded_by": "operator", "recorded_at": at})
        if "app_user" in present:
            conn.execute(sa.insert(metadata.tables["app_user"]), [
                {"username": "admin", "display_name": "Admin Pusat", "password_hash": "$argon2$x",
                 "role": "admin", "region_code": None, "active": True,
                 "must_change_password": False, "created_at": at, "password_changed_at": at},
                {"username": "pidie", "display_name": WEIRD, "password_hash": "$argon2$y",
                 "role": "kabkota", "region_code": "11.99", "active": False,
                 "must_change_password": True, "created_at": at,
                 "password_changed_at": datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)}])
        if "login_attempt" in present:
            conn.execute(sa.insert(metadata.tables["login_attempt"]), [
                {"username": "admin", "remote_addr": "10.0.0.1", "at": at, "success": False},
                {"username": "admin", "remote_addr": "::1", "at": at, "success": True}])
        detail = json.dumps({"note": WEIRD}, ensure_ascii=False)
        if "audit_head" in present:  # chained since 0004
            audit(conn, "admin", "user.create", "pidie", detail, "10.0.0.1")
        elif "audit_log" in present:
            conn.execute(sa.insert(metadata.tables["audit_log"]), {
                "at": at, "username": "admin", "action": "user.create", "target": "pidie",
                "detail": detail, "remote_addr": "10.0.0.1"})


@pytest.fixture(scope="module")
def source(demo_engine: sa.Engine) -> sa.Engine:
    """The demo database of one engine with the edge-case rows added."""
    add_edge_rows(demo_engine)
    return demo_engine


@pytest.fixture(scope="module")
def source_rows(source: sa.Engine) -> Callable[[bool], dict[str, list[str]]]:
    """``table_rows`` of the source, computed once per module and flag."""
    cache: dict[bool, dict[str, list[str]]] = {}

    def rows(portable: bool) -> dict[str, list[str]]:
        if portable not in cache:
            cache[portable] = table_rows(source, portable=portable)
        return cache[portable]

    return rows


@pytest.fixture(scope="module")
def archive(source: sa.Engine,
            tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BackupReport]:
    path = tmp_path_factory.mktemp("backup") / "demo.zip"
    return path, backup(source, path, key=KEY)


def small_source(url: str) -> sa.Engine:
    """A migrated database with regions, the catalogue and one observation."""
    from ingest.bootstrap import prepare_database

    eng = make_engine(url)
    prepare_database(eng)
    with eng.begin() as conn:
        conn.execute(sa.insert(observation), {
            "indicator_id": "idi", "region_code": "32", "period": 2024, "value": 78.5,
            "source_kind": "published", "status": "published", "version": 1, "source": "BPS",
            "source_url": "", "note": WEIRD, "provenance": "hand", "recorded_by": "t",
            "recorded_at": datetime(2025, 1, 1, tzinfo=UTC)})
    return eng


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    eng = small_source(f"sqlite:///{folder / 'small.db'}")
    path = folder / "small.zip"
    backup(eng, path, key=KEY)
    eng.dispose()
    return path


def assert_untouched_and_empty(engine: sa.Engine) -> None:
    assert present_tables(engine) == set()
    assert current_revision(engine) is None


# ---------------------------------------------------------------------------- round trip

def test_round_trip_is_lossless_on_both_engines_and_across(
        source: sa.Engine, source_rows: Callable[[bool], dict[str, list[str]]],
        archive: tuple[Path, BackupReport], db_url: str, tmp_path: Path) -> None:
    path, made = archive
    assert made.revision == current_revision(source)
    assert {t.name for t in made.tables} == present_tables(source) - {"alembic_version"}
    assert made.rows > 140_000
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["format_version"] == 1
    assert [t["name"] for t in manifest["tables"]].index("region") < [
        t["name"] for t in manifest["tables"]].index("observation")

    restored = make_engine(db_url)
    try:
        steps: list[str] = []
        report = restore(restored, path, key=KEY,
                         progress=lambda step, done, total: steps.append(step))
        assert report.schema_revision == head_revision(restored)
        assert report.rows == made.rows and report.changed_by_upgrade == ()
        assert {"verify file", "observation", "check"} <= set(steps)

        same_engine = restored.dialect.name == source.dialect.name
        assert table_rows(restored, portable=not same_engine) == source_rows(not same_engine)
        # The content checksums are engine-independent: a second backup matches the first.
        again = backup(restored, tmp_path / "again.zip", key=KEY)
        assert [(t.name, t.rows, t.sha256) for t in again.tables] == [
            (t.name, t.rows, t.sha256) for t in made.tables]

        with restored.begin() as conn:
            top = conn.scalar(sa.select(sa.func.max(observation.c.id)))
            new_id = conn.execute(sa.insert(observation).values(
                indicator_id="idi", region_code="32", period=2031, value=1.5,
                source_kind="published", status="published", version=1, source="BPS",
                provenance="after restore", recorded_by="t",
                recorded_at=datetime.now(UTC))).inserted_primary_key[0]
            assert new_id == top + 1
        log = metadata.tables["audit_log"]
        with restored.begin() as conn:
            top = conn.scalar(sa.select(sa.func.max(log.c.id)))
            audit(conn, "admin", "restore", "-", "", "::1")
        with restored.connect() as conn:
            assert conn.scalar(sa.select(sa.func.max(log.c.id))) == top + 1
            chain = verify_chain(conn)  # the restored entries and the new one: one chain
        assert chain.intact and chain.entries > 1, chain.problem
    finally:
        restored.dispose()


def test_edge_values_survive(source: sa.Engine, archive: tuple[Path, BackupReport]) -> None:
    path, _ = archive
    with zipfile.ZipFile(path) as zf:
        lines = zf.read("tables/observation.jsonl").decode().split("\n")[:-1]
        manifest = json.loads(zf.read("manifest.json"))
    columns = [c["name"] for c in next(
        t for t in manifest["tables"] if t["name"] == "observation")["columns"]]
    ours = [dict(zip(columns, json.loads(line), strict=True)) for line in lines
            if '"uji_ñ"' in line]
    assert [o["value"] for o in ours] == [
        v if v != float("inf") else "Infinity" for v in TRICKY_FLOATS]
    assert '0.30000000000000004' in lines[-len(TRICKY_FLOATS) - 1]
    assert all(o["provenance"] == WEIRD for o in ours)
    assert all(o["recorded_at"].endswith("+00:00") for o in ours)


@pytest.mark.parametrize(("kind", "value"), [
    ("integer", 2**63 - 1), ("float", 0.1 + 0.2), ("float", -0.0), ("float", float("-inf")),
    ("float", float("nan")), ("float", 5e-324), ("decimal", Decimal("12.50")),
    ("boolean", False), ("string", WEIRD), ("date", date(2024, 2, 29)),
    ("datetime", datetime(2025, 1, 1, 12, 0, 0, 5)), ("bytes", b"\x00\xff\n"),
    ("datetime_tz", datetime(2025, 3, 1, 8, 15, 30, 123456, tzinfo=WIB)),
])
def test_every_column_type_round_trips_through_the_encoding(kind: str, value: Any) -> None:
    encode, decode = ENCODERS[kind], DECODERS[kind]
    line = dumps([value if encode is None else encode(value)])
    assert "\n" not in line
    back = decode(json.loads(line)[0])
    if kind == "datetime_tz":
        assert back == value and back.utcoffset() == timedelta(0)
    else:
        assert type(back) is type(value) and repr(back) == repr(value)


def test_the_manifest_reads_back_as_written(tmp_path: Path) -> None:
    manifest = Manifest("0003", datetime(2025, 3, 1, 1, 15, 30, 123456, tzinfo=UTC), (
        TableEntry("region", "tables/region.jsonl",
                   (Column("code", "string"), Column("name", "string")), ("code",), 2, "a" * 64),
        TableEntry(WEIRD, f"tables/{WEIRD}.jsonl", (Column("id", "integer"),
                   Column("at", "datetime_tz")), ("id", "at"), 0, "b" * 64),
    ))
    raw = manifest_bytes(manifest, "postgresql")
    assert json.loads(raw)["dialect"] == "postgresql"
    assert parse_manifest(raw, tmp_path / "b.zip") == manifest


# ---------------------------------------------------------------------------- snapshot, atomic

def test_backup_is_a_consistent_snapshot(engine: sa.Engine, tmp_path: Path) -> None:
    with engine.connect() as conn:
        before = conn.scalar(sa.select(sa.func.count()).select_from(observation))
    inserted: list[int] = []

    def write_meanwhile(step: str, done: int, total: int) -> None:
        if inserted:
            return
        with engine.begin() as conn:  # another connection, committed mid-backup
            conn.execute(sa.insert(observation).values(
                indicator_id="idi", region_code="32", period=2030, value=1.0,
                source_kind="published", status="published", version=1, source="BPS",
                provenance="meanwhile", recorded_by="t", recorded_at=datetime.now(UTC)))
        inserted.append(1)

    report = backup(engine, tmp_path / "b.zip", key=KEY, progress=write_meanwhile)
    assert inserted
    assert {t.name: t.rows for t in report.tables}["observation"] == before
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(observation)) == before + 1


def test_failed_backup_leaves_no_file_and_keeps_the_old_one(
        engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_chunks = snapshot_module.chunks

    def failing(conn: sa.Connection, t: Any) -> Iterator[tuple[bytes, int]]:
        for n, chunk in enumerate(real_chunks(conn, t)):
            if t.name == "region" and n == 1:
                raise OSError("disk full")
            yield chunk

    monkeypatch.setattr(snapshot_module, "chunks", failing)
    folder = tmp_path / "backups"
    with pytest.raises(OSError, match="disk full"):
        backup(engine, folder / "new.zip", key=KEY)
    assert list(folder.iterdir()) == []

    old = folder / "old.zip"
    old.write_bytes(b"the previous backup")
    with pytest.raises(OSError, match="disk full"):
        backup(engine, old, key=KEY)
    assert old.read_bytes() == b"the previous backup"
    assert list(folder.iterdir()) == [old]

    monkeypatch.undo()
    backup(engine, old, key=KEY)
    assert zipfile.is_zipfile(old) and old.stat().st_mode & 0o777 == 0o600
    assert list(folder.iterdir()) == [old]


# ---------------------------------------------------------------------------- refusals

def test_restore_into_a_database_with_data_is_refused(engine: sa.Engine,
                                                      small_archive: Path) -> None:
    before = table_rows(engine)
    revision = current_revision(engine)
    with pytest.raises(RestoreRefusedError, match="already holds data .*empty database"):
        restore(engine, small_archive, key=KEY)
    assert table_rows(engine) == before
    assert current_revision(engine) == revision


def _rewrite(src: Path, dst: Path, change: Callable[[str, bytes], bytes | None], *,
             sign_with: BackupKey | None = None) -> Path:
    """Copy a backup, changing or dropping members; ``sign_with`` signs the new manifest."""
    with zipfile.ZipFile(src) as zin:
        members = {info.filename: change(info.filename, zin.read(info))
                   for info in zin.infolist()}
    manifest = members[MANIFEST]
    if sign_with is not None and manifest is not None:
        members[SIGNATURE] = signature_bytes(manifest, sign_with)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in members.items():
            if data is not None:
                zout.writestr(name, data)
    return dst


def _signature_edit(**fields: Any) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        return json.dumps({**json.loads(data), **fields}).encode() if name == SIGNATURE else data
    return change


def _manifest_edit(**fields: Any) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), **fields}).encode()
    return change


def _flip_bytes(src: Path, dst: Path) -> Path:
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as zf:
        info = zf.getinfo("tables/region.jsonl")
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle:middle + 4] = bytes(b ^ 0xFF for b in data[middle:middle + 4])
    dst.write_bytes(bytes(data))
    return dst


TAMPERINGS: dict[str, tuple[Callable[[Path, Path], Path], type[BackupError], str]] = {
    "modified member": (
        lambda s, d: _rewrite(s, d, lambda n, b: b.replace(b'"Jawa Barat"', b'"Jawa Timur"')
                              if n == "tables/region.jsonl" else b),
        BackupFileError, "table region: checksum mismatch .* altered or damaged"),
    "dropped row": (
        lambda s, d: _rewrite(s, d, lambda n, b: b.split(b"\n", 1)[1]
                              if n == "tables/observation.jsonl" else b),
        BackupFileError, "table observation: checksum mismatch"),
    "missing member": (
        lambda s, d: _rewrite(s, d, lambda n, b: None if n == "tables/target.jsonl" else b),
        BackupFileError, "member tables/target.jsonl of table target is missing"),
    "missing manifest": (
        lambda s, d: _rewrite(s, d, lambda n, b: None if n == "manifest.json" else b),
        BackupFileError, "manifest.json is missing"),
    "wrong format version": (
        lambda s, d: _rewrite(s, d, _manifest_edit(format_version=99), sign_with=KEY),
        BackupFileError, "format version 99 is not known .* reads version 1"),
    "not a backup manifest": (
        lambda s, d: _rewrite(s, d, lambda n, b: b"{" if n == "manifest.json" else b,
                              sign_with=KEY),
        BackupFileError, "manifest.json: not valid JSON"),
    "unknown revision": (
        lambda s, d: _rewrite(s, d, _manifest_edit(revision="9999"), sign_with=KEY),
        RestoreRefusedError, "revision 9999, which this version of Mata Garuda does not know"),
    "manifest edited, signature kept": (
        lambda s, d: _rewrite(s, d, _manifest_edit(revision="9999")),
        BackupFileError, "the signature does not match manifest.json: the file was altered"),
    "signature removed": (
        lambda s, d: _rewrite(s, d, lambda n, b: None if n == SIGNATURE else b),
        BackupFileError, r"the backup is not signed \(manifest.sig is missing\).*Nothing was"
                         r" restored.*--accept-unsigned"),
    "signed with another key": (
        lambda s, d: _rewrite(s, d, lambda n, b: b, sign_with=OTHER_KEY),
        BackupFileError, f"signed with another key: key {OTHER_KEY.key_id}"
                         rf" \(MATA_GARUDA_BACKUP_KEY\), while this installation has key"
                         f" {KEY.key_id}.*Nothing was restored"),
    "signature forged": (
        lambda s, d: _rewrite(s, d, _signature_edit(signature="ab" * 32)),
        BackupFileError, "the signature does not match manifest.json"),
    "signature malformed": (
        lambda s, d: _rewrite(s, d, _signature_edit(signature="not hex")),
        BackupFileError, "manifest.sig is not a valid signature"),
    "signature of another algorithm": (
        lambda s, d: _rewrite(s, d, _signature_edit(algorithm="HMAC-MD5")),
        BackupFileError, "manifest.sig: unknown algorithm 'HMAC-MD5'"),
    "corrupt bytes": (_flip_bytes, BackupFileError, "damaged"),
    "not a zip": (
        lambda s, d: (d.write_text("id,name\n1,x\n"), d)[1],
        BackupFileError, "not a Mata Garuda backup \\(not a readable ZIP"),
}


def _alter_value_and_checksum(src: Path, dst: Path) -> Path:
    """Change a value in a member and write that member's new SHA-256 into the manifest."""
    with zipfile.ZipFile(src) as zf:
        member = zf.read("tables/region.jsonl").replace(b'"Jawa Barat"', b'"Jawa Timur"')
    assert b'"Jawa Timur"' in member

    def change(name: str, data: bytes) -> bytes:
        if name == "tables/region.jsonl":
            return member
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        for t in manifest["tables"]:
            if t["name"] == "region":
                t["sha256"] = hashlib.sha256(member).hexdigest()
        return json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n"

    return _rewrite(src, dst, change)


def test_a_value_altered_with_its_checksum_recomputed_is_refused(
        small_archive: Path, db_url: str, tmp_path: Path) -> None:
    """Issue 10, finding 6: such a file was restored as "verified"."""
    bad = _alter_value_and_checksum(small_archive, tmp_path / "bad.zip")
    target_engine = make_engine(db_url)
    try:
        for accept_unsigned in (False, True):
            with pytest.raises(BackupFileError, match="signature does not match manifest.json:"
                                                      " the file was altered"):
                restore(target_engine, bad, key=KEY, accept_unsigned=accept_unsigned)
        assert_untouched_and_empty(target_engine)
    finally:
        target_engine.dispose()


@pytest.mark.parametrize(("how", "reason"), [
    ("signature removed", "the backup is not signed"),
    ("signed with another key", f"the backup was signed with another key: key {OTHER_KEY.key_id}"),
], ids=["signature removed", "signed with another key"])
def test_accept_unsigned_restores_a_backup_whose_signature_cannot_be_checked(
        how: str, reason: str, small_archive: Path, db_url: str, tmp_path: Path) -> None:
    unsigned = TAMPERINGS[how][0](small_archive, tmp_path / "unsigned.zip")
    eng = make_engine(db_url)
    try:
        report = restore(eng, unsigned, key=KEY, accept_unsigned=True)
        assert report.unchecked_signature is not None
        assert report.unchecked_signature.startswith(reason)
        assert f"signature NOT checked: {reason}" in str(report)
        assert {t.name: t.rows for t in report.tables}["observation"] == 1
    finally:
        eng.dispose()


def test_a_signed_backup_restores_with_its_signature_checked(small_archive: Path,
                                                              db_url: str) -> None:
    eng = make_engine(db_url)
    try:
        report = restore(eng, small_archive, key=KEY, accept_unsigned=True)
        assert report.unchecked_signature is None
        assert "restored and verified" in str(report) and "NOT checked" not in str(report)
    finally:
        eng.dispose()


def test_the_backup_holds_the_key_id_but_not_the_key(engine: sa.Engine, tmp_path: Path) -> None:
    secret_key = secrets.token_hex(32)
    key = BackupKey.derived(secret_key)
    made = backup(engine, tmp_path / "b.zip", key=key)
    assert f"signed with key {key.key_id} (derived from MATA_GARUDA_SECRET_KEY)" in str(made)
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        signature = json.loads(zf.read(SIGNATURE))
        content = b"".join(zf.read(info) for info in zf.infolist())
    assert signature == {"algorithm": "HMAC-SHA256", "key_id": key.key_id,
                         "key": "derived from MATA_GARUDA_SECRET_KEY",
                         "signature": signature["signature"]}
    for secret in (secret_key.encode(), key.secret, key.secret.hex().encode()):
        assert secret not in content


def test_the_derived_key_is_not_the_secret_key_and_follows_it() -> None:
    secret_key = secrets.token_hex(32)
    key = BackupKey.derived(secret_key)
    assert key == BackupKey.derived(secret_key)
    assert key.secret != secret_key.encode() and len(key.secret) == 32
    assert key.key_id != BackupKey.derived(secrets.token_hex(32)).key_id
    assert key.secret.hex() not in repr(key) and secret_key not in repr(key)


@pytest.mark.parametrize("how", list(TAMPERINGS))
def test_a_tampered_file_is_refused_and_the_target_untouched(
        how: str, small_archive: Path, db_url: str, tmp_path: Path) -> None:
    tamper, error, message = TAMPERINGS[how]
    bad = tamper(small_archive, tmp_path / "bad.zip")
    target_engine = make_engine(db_url)
    try:
        with pytest.raises(error, match=message):
            restore(target_engine, bad, key=KEY)
        assert_untouched_and_empty(target_engine)
    finally:
        target_engine.dispose()


def test_a_failed_restore_stores_nothing_and_can_be_retried(
        small_archive: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(conn: sa.Connection, tables: Any) -> None:
        raise sa.exc.OperationalError("setval", {}, Exception("connection lost"))

    monkeypatch.setattr(restoring_module, "_reset_sequences", broken)
    eng = make_engine(db_url)
    try:
        with pytest.raises(BackupError, match="undone, nothing was stored: connection lost"):
            restore(eng, small_archive, key=KEY)
        with eng.connect() as conn:
            assert restoring_module._holding_data(conn) == []
        monkeypatch.undo()
        report = restore(eng, small_archive, key=KEY)
        assert {t.name: t.rows for t in report.tables}["observation"] == 1
    finally:
        eng.dispose()


def test_a_value_the_target_cannot_hold_is_refused(
        engine: sa.Engine, tmp_path: Path, fresh_url: Callable[[str], str]) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL keeps -0.0; SQLite stores it as 0")
    with engine.begin() as conn:
        conn.execute(sa.insert(observation).values(
            indicator_id="idi", region_code="32", period=2024, value=-0.0,
            source_kind="published", status="published", version=1, source="BPS",
            provenance="hand", recorded_by="t", recorded_at=datetime.now(UTC)))
    path = tmp_path / "negzero.zip"
    backup(engine, path, key=KEY)
    sqlite_target = make_engine(fresh_url("sqlite"))
    with pytest.raises(BackupError, match=r"observation: row 1 \(id=1\): value is 0.0, the "
                                          r"backup has -0.0.*nothing was stored"):
        restore(sqlite_target, path, key=KEY)
    with sqlite_target.connect() as conn:
        assert restoring_module._holding_data(conn) == []


def test_an_older_backup_restores_into_the_newest_schema(
        tmp_path: Path, fresh_url: Callable[[str], str], db_url: str) -> None:
    old = make_engine(fresh_url("sqlite"))
    first = ScriptDirectory.from_config(alembic_config(old)).get_base()
    assert isinstance(first, str)
    upgrade(old, first)
    with old.begin() as conn:
        conn.execute(sa.insert(region), [
            {"code": "ID", "level": "nasional", "name": "Indonesia", "parent_code": None},
            {"code": "11", "level": "provinsi", "name": "Aceh", "parent_code": "ID"}])
        catalogue = load_catalogue_file()
        # The catalogue as the first revision stored it: its columns, and one set of
        # categories each, no editions.
        columns = sa.Table("indicator", sa.MetaData(), autoload_with=conn).columns.keys()
        conn.execute(sa.insert(indicator), [
            {"id": ind.id, **{k: v for k, v in indicator_row(ind).items() if k in columns}}
            for ind in catalogue.values()])
        conn.execute(sa.insert(indicator_category), [
            {"indicator_id": ind.id, "position": pos, **asdict(cat)}
            for ind in catalogue.values() for pos, cat in enumerate(ind.categories)])
    made = backup(old, tmp_path / "old.zip", key=KEY)
    assert made.revision == first

    eng = make_engine(db_url)
    try:
        report = restore(eng, tmp_path / "old.zip", key=KEY)
        assert report.revision == first
        assert current_revision(eng) == report.schema_revision == head_revision(eng)
        assert table_rows(eng, portable=True)["region"] == table_rows(old, portable=True)[
            "region"]
        assert report.changed_by_upgrade == ()
    finally:
        eng.dispose()
        old.dispose()


def test_a_table_made_by_hand_is_kept_in_the_file_but_not_restored(
        tmp_path: Path, db_url: str, fresh_url: Callable[[str], str]) -> None:
    src = small_source(fresh_url("sqlite"))
    with src.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE catatan_lokal (id INTEGER PRIMARY KEY, teks TEXT)")
        conn.exec_driver_sql("INSERT INTO catatan_lokal VALUES (1, 'catatan')")
    made = backup(src, tmp_path / "hand.zip", key=KEY)
    assert made.extra_tables == ("catatan_lokal",)
    with zipfile.ZipFile(tmp_path / "hand.zip") as zf:
        assert zf.read("tables/catatan_lokal.jsonl") == b'[1,"catatan"]\n'

    eng = make_engine(db_url)
    try:
        report = restore(eng, tmp_path / "hand.zip", key=KEY)
        assert report.not_restored == ("catatan_lokal",)
        assert "catatan_lokal" not in present_tables(eng)
        assert table_rows(eng, portable=True) == table_rows(src, portable=True)
    finally:
        eng.dispose()
        src.dispose()


# ---------------------------------------------------------------------------- command

def test_command_backs_up_and_restores(engine: sa.Engine, db_url: str, tmp_path: Path,
                                       fresh_url: Callable[[str], str]) -> None:
    runner = CliRunner()
    env = {"MATA_GARUDA_DATABASE_URL": db_url, "MATA_GARUDA_VAR_DIR": str(tmp_path / "var")}
    result = runner.invoke(main, ["db", "backup"], env=env)
    assert result.exit_code == 0, result.output
    [made] = (tmp_path / "var" / "backups").glob("mata-garuda-*.zip")
    assert "rows in" in result.output
    derived = BackupKey.derived((tmp_path / "var" / "secret_key").read_text())
    assert f"signed with key {derived.key_id} (derived from MATA_GARUDA_SECRET_KEY)" in (
        result.output)

    result = runner.invoke(main, ["db", "restore", str(made)], env=env)
    assert result.exit_code == 1
    assert "already holds data" in result.output

    kind = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    empty = {**env, "MATA_GARUDA_DATABASE_URL": fresh_url(kind)}
    result = runner.invoke(main, ["db", "restore", str(made)], env=empty)
    assert result.exit_code == 0, result.output
    assert "restored and verified" in result.output


def test_command_restores_only_with_the_key_that_made_the_backup(
        engine: sa.Engine, db_url: str, tmp_path: Path, fresh_url: Callable[[str], str]) -> None:
    runner = CliRunner()
    kind = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    first, second, backup_key = (secrets.token_hex(32) for _ in range(3))
    made = tmp_path / "b.zip"
    env = {"MATA_GARUDA_DATABASE_URL": db_url, "MATA_GARUDA_SECRET_KEY": first,
           "MATA_GARUDA_VAR_DIR": str(tmp_path / "var")}
    result = runner.invoke(main, ["db", "backup", str(made)], env=env)
    assert result.exit_code == 0, result.output

    target_url = fresh_url(kind)
    elsewhere = {**env, "MATA_GARUDA_DATABASE_URL": target_url, "MATA_GARUDA_SECRET_KEY": second}
    result = runner.invoke(main, ["db", "restore", str(made)], env=elsewhere)
    assert result.exit_code == 1
    assert (f"signed with another key: key {BackupKey.derived(first).key_id} (derived from"
            f" MATA_GARUDA_SECRET_KEY), while this installation has key"
            f" {BackupKey.derived(second).key_id}") in " ".join(result.output.split())
    assert "--accept-unsigned" in result.output and "Traceback" not in result.output
    target_engine = make_engine(target_url)
    assert_untouched_and_empty(target_engine)
    target_engine.dispose()

    result = runner.invoke(main, ["db", "restore", "--accept-unsigned", str(made)],
                           env=elsewhere)
    assert result.exit_code == 0, result.output
    assert "signature NOT checked: the backup was signed with another key" in result.output

    # A backup key of its own outlives a change of the secret key.
    made = tmp_path / "own-key.zip"
    env = {**env, "MATA_GARUDA_BACKUP_KEY": backup_key}
    result = runner.invoke(main, ["db", "backup", str(made)], env=env)
    assert result.exit_code == 0, result.output
    assert f"{BackupKey.configured(backup_key)}" in result.output
    elsewhere = {**env, "MATA_GARUDA_DATABASE_URL": fresh_url(kind),
                 "MATA_GARUDA_SECRET_KEY": second}
    result = runner.invoke(main, ["db", "restore", str(made)], env=elsewhere)
    assert result.exit_code == 0, result.output
    assert "restored and verified" in result.output


def test_command_refuses_an_altered_backup(small_archive: Path, db_url: str,
                                           tmp_path: Path) -> None:
    bad = _alter_value_and_checksum(small_archive, tmp_path / "bad.zip")
    env = {"MATA_GARUDA_DATABASE_URL": db_url, "MATA_GARUDA_BACKUP_KEY": KEY.secret.decode()}
    result = CliRunner().invoke(main, ["db", "restore", "--accept-unsigned", str(bad)], env=env)
    assert result.exit_code == 1
    assert "the signature does not match manifest.json: the file was altered" in result.output
    assert "Traceback" not in result.output
    target_engine = make_engine(db_url)
    assert_untouched_and_empty(target_engine)
    target_engine.dispose()


@pytest.mark.parametrize(("value", "problem"), [
    ("x" * 64, "it repeats 1 characters"), (secrets.token_hex(16), "it holds 16 bytes"),
], ids=["patterned", "short"])
def test_a_weak_backup_key_is_refused(value: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=f"MATA_GARUDA_BACKUP_KEY must carry 32 random bytes"
                                            f" and {problem}; generate one with"):
        Settings.from_env({"MATA_GARUDA_BACKUP_KEY": value})
    strong = secrets.token_hex(32)
    assert strong not in repr(Settings.from_env({"MATA_GARUDA_BACKUP_KEY": strong}))
    result = CliRunner().invoke(main, ["db", "backup", str(tmp_path / "b.zip")], env={
        "MATA_GARUDA_VAR_DIR": str(tmp_path / "var"), "MATA_GARUDA_BACKUP_KEY": value})
    assert result.exit_code == 1 and "MATA_GARUDA_BACKUP_KEY must carry" in result.output
    assert not (tmp_path / "b.zip").exists()
