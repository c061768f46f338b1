r"""Backup and restore of the whole indicator store as one portable file.

A backup is a consistent snapshot of every table of the application, read in one
transaction (REPEATABLE READ on PostgreSQL, one read transaction on SQLite) and written
to one ZIP file. It restores into an *empty* SQLite or PostgreSQL database, whichever
engine it came from; an older backup restores into a newer application (the target is
migrated to the backup's schema revision, filled, then migrated to the newest one).
Nothing is ever deleted: a restore into a database that holds any row is refused.

The tables are those of :data:`queries.schema.metadata` (in its dependency order) that
exist in the database, followed by any other table the database holds apart from
Alembic's ``alembic_version``, so a table the code no longer knows is not lost either.

File format, version 1
----------------------
A ZIP archive (deflate). The file is created with mode 0600: it holds password hashes.

``tables/<table>.jsonl``
    The rows of one table in primary-key order (strings compared by code point, the
    same order on both engines), one JSON array per row with the values in the
    manifest's column order; UTF-8, every line ended by ``\n``. Values by column type:

    ===============  ===============================================================
    ``integer``      JSON integer (any size)
    ``float``        JSON number written with Python's ``repr``, the shortest form
                     that reads back to the same double (``0.30000000000000004``);
                     ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` as strings
    ``decimal``      JSON string (``"12.50"``)
    ``boolean``      ``true`` or ``false``
    ``string``       JSON string
    ``datetime_tz``  ISO 8601 in UTC with microseconds (``2025-01-31T08:15:00.000000+00:00``);
                     SQLite keeps no offset and the application writes UTC, so a
                     value read from SQLite is taken as UTC
    ``datetime``     ISO 8601 without offset
    ``date``         ``YYYY-MM-DD``
    ``bytes``        base64 string
    ===============  ===============================================================

    NULL is ``null`` whatever the type. A column of any other type makes the backup
    fail with a message naming it (extend ``_kind`` before such a column ships).

``manifest.json``
    ``format`` (``"mata-garuda-backup"``), ``format_version`` (``1``), ``revision``
    (the Alembic schema revision of the database), ``created_at`` (UTC, ISO 8601),
    ``dialect`` (the engine it came from) and ``tables``: in insertion (dependency)
    order, each with ``name``, ``member``, ``columns`` (``name`` and ``type`` as
    above), ``primary_key``, ``rows`` and ``sha256``.

The SHA-256 of a member's bytes is the checksum of the table's canonical content: a
table read back the same way, from either engine, gives the same bytes. A restore
checks every member against the manifest before touching the database, and checks the
restored tables against it again before committing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    Select,
    String,
    TableClause,
    column,
    func,
    insert,
    inspect,
    literal,
    select,
    table,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.types import TypeEngine

from queries.db import alembic_config, current_revision, head_revision, upgrade
from queries.schema import metadata

FORMAT = "mata-garuda-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ALEMBIC_TABLE = "alembic_version"
CHUNK_ROWS = 5_000

Progress = Callable[[str, int, int], None]
"""Called as ``progress(step, done, total)``, ``done`` of ``total`` rows so far: ``step``
is a table name while its rows are read or written, ``"verify file"`` or ``"check"``
while a restore checks the file or the restored tables (all rows), or ``"schema <rev>"``
while it migrates (``0, 0``)."""

# Collation that orders strings by code point (byte order of UTF-8) on each engine.
_CODE_POINT_ORDER = {"postgresql": "C", "sqlite": "BINARY"}


class BackupError(Exception):
    """A backup or restore was refused or failed; the message says why and what to do."""


class BackupFileError(BackupError):
    """The backup file is missing, damaged, altered or of an unknown format."""


class RestoreRefusedError(BackupError):
    """The target database cannot receive the backup (it holds data, or is too new)."""


@dataclass(frozen=True)
class TableReport:
    """One table of a backup: its row count and the SHA-256 of its canonical content."""

    name: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class BackupReport:
    """What :func:`backup` wrote.

    ``extra_tables`` are tables of the database the application does not know (made by
    hand): they are in the file, but a restore into the application's schema skips them.
    """

    path: Path
    revision: str
    created_at: datetime
    tables: tuple[TableReport, ...]
    size: int
    seconds: float
    extra_tables: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        """Total number of rows in the backup."""
        return sum(t.rows for t in self.tables)

    def __str__(self) -> str:
        return (f"{self.path}: {self.rows:,} rows in {len(self.tables)} tables, schema revision"
                f" {self.revision}, {self.size / 1e6:.1f} MB, {self.seconds:.1f} s")


@dataclass(frozen=True)
class RestoreReport:
    """What :func:`restore` did.

    ``changed_by_upgrade`` lists the tables whose content (over the backup's columns)
    a migration from the backup's revision to the newest one changed; it is empty when
    the backup was already at the newest revision. ``not_restored`` lists tables of the
    backup that neither the application nor its migrations know (made by hand in the
    source database): their rows are in the file but have no table to go to.
    """

    path: Path
    revision: str
    schema_revision: str | None
    created_at: datetime
    tables: tuple[TableReport, ...]
    changed_by_upgrade: tuple[str, ...]
    not_restored: tuple[str, ...]
    seconds: float

    @property
    def rows(self) -> int:
        """Total number of rows restored."""
        return sum(t.rows for t in self.tables)

    def __str__(self) -> str:
        upgraded = ("" if self.schema_revision == self.revision
                    else f", then upgraded to {self.schema_revision}")
        return (f"{self.path}: {self.rows:,} rows in {len(self.tables)} tables restored and"
                f" verified at schema revision {self.revision}{upgraded}, {self.seconds:.1f} s")


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str


@dataclass(frozen=True)
class _Table:
    """A table as stored in a backup, with the SQL types used to read or write it."""

    name: str
    columns: tuple[_Column, ...]
    primary_key: tuple[str, ...]
    clause: TableClause


@dataclass(frozen=True)
class _Entry:
    """A table listed in a manifest."""

    name: str
    member: str
    columns: tuple[_Column, ...]
    primary_key: tuple[str, ...]
    rows: int
    sha256: str


@dataclass(frozen=True)
class _Manifest:
    revision: str
    created_at: datetime
    tables: tuple[_Entry, ...]


# ---------------------------------------------------------------------------- encoding

def _kind(type_: TypeEngine[Any]) -> str | None:
    """Return the backup type of a SQL type, or None when it is not supported."""
    if isinstance(type_, Boolean):
        return "boolean"
    if isinstance(type_, Integer):
        return "integer"
    if isinstance(type_, Float):
        return "float"
    if isinstance(type_, Numeric):
        return "decimal" if type_.asdecimal else "float"
    if isinstance(type_, DateTime):
        return "datetime_tz" if type_.timezone else "datetime"
    if isinstance(type_, Date):
        return "date"
    if isinstance(type_, String):
        return "string"
    if isinstance(type_, LargeBinary):
        return "bytes"
    return None


def _enc_float(v: Any) -> Any:
    f = float(v)
    if math.isfinite(f):
        return f
    return "NaN" if math.isnan(f) else ("Infinity" if f > 0 else "-Infinity")


def _enc_datetime_tz(v: datetime) -> str:
    v = v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)
    return v.isoformat(timespec="microseconds")


def _enc_datetime(v: datetime) -> str:
    if v.tzinfo is not None:
        v = v.astimezone(UTC).replace(tzinfo=None)
    return v.isoformat(timespec="microseconds")


# None: the driver's value is already what JSON needs (int, bool, str).
_ENCODERS: dict[str, Callable[[Any], Any] | None] = {
    "integer": None,
    "float": _enc_float,
    "decimal": str,
    "boolean": None,
    "string": None,
    "datetime_tz": _enc_datetime_tz,
    "datetime": _enc_datetime,
    "date": date.isoformat,
    "bytes": lambda v: base64.b64encode(bytes(v)).decode("ascii"),
}


def _dec_datetime_tz(v: str) -> datetime:
    parsed = datetime.fromisoformat(v)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "integer": int,
    "float": float,
    "decimal": Decimal,
    "boolean": bool,
    "string": str,
    "datetime_tz": _dec_datetime_tz,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "bytes": base64.b64decode,
}

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _ordered_select(conn: Connection, t: _Table) -> Select[Any]:
    """Select the table's columns in primary-key order, strings by code point."""
    collation = _CODE_POINT_ORDER.get(conn.dialect.name)
    kinds = {c.name: c.kind for c in t.columns}
    order = [t.clause.c[name].collate(collation)
             if collation and kinds[name] == "string" else t.clause.c[name]
             for name in t.primary_key]
    return (select(*(t.clause.c[c.name] for c in t.columns)).order_by(*order)
            .execution_options(yield_per=CHUNK_ROWS))


def _chunks(conn: Connection, t: _Table) -> Iterator[tuple[bytes, int]]:
    """Yield the table's canonical JSON-lines content in chunks, with their row counts."""
    encoders = [_ENCODERS[c.kind] for c in t.columns]
    for part in conn.execute(_ordered_select(conn, t)).partitions():
        lines = [_dumps([v if v is None or enc is None else enc(v)
                         for enc, v in zip(encoders, row, strict=True)]) for row in part]
        yield ("\n".join(lines) + "\n").encode("utf-8"), len(lines)


def _digest(conn: Connection, t: _Table,
            on_chunk: Callable[[int], None] | None = None) -> tuple[int, str]:
    """Return the row count and SHA-256 of a table's canonical content."""
    h = hashlib.sha256()
    rows = 0
    for chunk, n in _chunks(conn, t):
        h.update(chunk)
        rows += n
        if on_chunk is not None:
            on_chunk(n)
    return rows, h.hexdigest()


# ---------------------------------------------------------------------------- tables

def _quiet(_step: str, _done: int, _total: int) -> None:
    return None


def _data_tables(conn: Connection) -> list[str]:
    return [n for n in inspect(conn).get_table_names() if n != ALEMBIC_TABLE]


def _holding_data(conn: Connection) -> list[str]:
    """Return the tables (apart from Alembic's) that hold at least one row."""
    return [name for name in sorted(_data_tables(conn))
            if conn.execute(select(literal(1)).select_from(table(name)).limit(1)).first()]


def _describe(conn: Connection, name: str, columns: Iterable[str] | None = None) -> _Table:
    """Describe a table as the database has it; types from the application's metadata.

    The metadata's types say what the database cannot (SQLite keeps no time zone); a
    column the metadata does not know is read with its reflected type.
    """
    insp = inspect(conn)
    reflected = {c["name"]: c["type"] for c in insp.get_columns(name)}
    known = metadata.tables.get(name)
    wanted = list(reflected) if columns is None else list(columns)
    cols: list[_Column] = []
    types: list[TypeEngine[Any]] = []
    for col_name in wanted:
        if known is not None and col_name in known.c:
            type_: TypeEngine[Any] = known.c[col_name].type
        else:
            type_ = reflected[col_name]
        kind = _kind(type_)
        if kind is None:
            raise BackupError(f"column {name}.{col_name} has type {type_!r}, which the backup"
                              " format does not support; nothing was written")
        cols.append(_Column(col_name, kind))
        types.append(type_)
    pk = tuple(insp.get_pk_constraint(name).get("constrained_columns") or ())
    return _Table(name, tuple(cols), pk or tuple(c.name for c in cols),
                  table(name, *(column(c.name, t) for c, t in zip(cols, types, strict=True))))


def _backup_tables(conn: Connection) -> list[_Table]:
    """Every table to back up, in dependency order (referenced tables first)."""
    present = set(_data_tables(conn))
    names = [t.name for t in metadata.sorted_tables if t.name in present]
    extra = present - set(names)
    if extra:
        reflected = MetaData()
        reflected.reflect(conn, only=sorted(extra))
        names += [t.name for t in reflected.sorted_tables if t.name in extra]
    return [_describe(conn, name) for name in names]


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """Yield a connection inside one read-only transaction: a consistent snapshot."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        elif conn.dialect.name != "sqlite":
            conn.execution_options(isolation_level="SERIALIZABLE")
        tx = conn.begin()
        try:
            if conn.dialect.name == "sqlite":
                # pysqlite only opens a transaction before a write; open it for the reads.
                conn.exec_driver_sql("BEGIN")
            yield conn
        finally:
            tx.rollback()


# ---------------------------------------------------------------------------- backup

def backup(engine: Engine, path: Path | str, *, progress: Progress | None = None) -> BackupReport:
    """Write a consistent snapshot of the whole database to one ZIP file at ``path``.

    The file is written under a temporary name next to ``path`` and renamed into place
    once complete and flushed to disk, so a failed backup leaves no partial file and
    an existing file at ``path`` untouched until the new one is whole.

    Parameters
    ----------
    engine
        The database to back up (SQLite or PostgreSQL), migrated by Alembic.
    path
        The file to write; its directory is created when missing, an existing file
        is replaced.
    progress
        Optional callback, see :data:`Progress`.

    Returns
    -------
    BackupReport
        Revision, per-table row counts and checksums, size and duration.

    Raises
    ------
    BackupError
        When the database was never migrated or has a column the format cannot hold.
    """
    started = time.monotonic()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            revision, created_at, tables = _write_archive(engine, fh, progress or _quiet)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)
    extra = tuple(t.name for t in tables if t.name not in metadata.tables)
    return BackupReport(target, revision, created_at, tables, target.stat().st_size,
                        time.monotonic() - started, extra)


def _write_archive(engine: Engine, fh: IO[bytes],
                   progress: Progress) -> tuple[str, datetime, tuple[TableReport, ...]]:
    with _snapshot(engine) as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        if revision is None:
            raise BackupError("the database has no schema revision (it was never migrated):"
                              " nothing to back up")
        tables = _backup_tables(conn)
        totals = {t.name: int(conn.scalar(select(func.count()).select_from(t.clause)) or 0)
                  for t in tables}
        created_at = datetime.now(UTC)
        entries: list[dict[str, Any]] = []
        reports: list[TableReport] = []
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for t in tables:
                member = f"tables/{t.name}.jsonl"
                info = _member_info(member, created_at)
                h = hashlib.sha256()
                rows = 0
                progress(t.name, 0, totals[t.name])
                with zf.open(info, "w", force_zip64=True) as out:
                    for chunk, n in _chunks(conn, t):
                        out.write(chunk)
                        h.update(chunk)
                        rows += n
                        progress(t.name, rows, totals[t.name])
                reports.append(TableReport(t.name, rows, h.hexdigest()))
                entries.append({
                    "name": t.name, "member": member,
                    "columns": [{"name": c.name, "type": c.kind} for c in t.columns],
                    "primary_key": list(t.primary_key), "rows": rows, "sha256": h.hexdigest(),
                })
            manifest = {
                "format": FORMAT, "format_version": FORMAT_VERSION, "revision": revision,
                "created_at": created_at.isoformat(timespec="microseconds"),
                "dialect": conn.dialect.name, "tables": entries,
            }
            text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
            zf.writestr(_member_info(MANIFEST, created_at), text)
    return revision, created_at, tuple(reports)


def _member_info(name: str, at: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(at.year, at.month, at.day, at.hour, at.minute,
                                            at.second))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16  # owner read/write when extracted: password hashes
    return info


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- restore

def restore(engine: Engine, path: Path | str, *,
            progress: Progress | None = None) -> RestoreReport:
    """Restore a backup made by :func:`backup` into an empty database.

    Steps: check the file (manifest, format version, every member's row count and
    SHA-256); refuse a target that holds any row; migrate the target to the backup's
    schema revision; insert every table in dependency order in one transaction, reset
    PostgreSQL id sequences to ``max(id) + 1``, check every table's row count and
    checksum against the manifest and only then commit; finally migrate to the newest
    revision the application knows.

    Parameters
    ----------
    engine
        The target database: new and empty (SQLite or PostgreSQL, either may receive a
        backup of the other). Nothing in it is ever deleted.
    path
        The backup file.
    progress
        Optional callback, see :data:`Progress`.

    Returns
    -------
    RestoreReport
        Per-table row counts and checksums, revisions, duration.

    Raises
    ------
    BackupFileError
        The file is missing, not a backup, damaged or altered, or of an unknown format
        version. The database is not touched.
    RestoreRefusedError
        The target holds data, or its schema is newer than the backup's, or the backup's
        schema revision is unknown to this version of the application. The database is
        not touched.
    BackupError
        Inserting failed; the transaction was rolled back, so no row was stored (the
        target may be left with the empty schema of the backup's revision, and a retry
        is possible).
    """
    started = time.monotonic()
    report = progress or _quiet
    source = Path(path)
    try:
        zf = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise BackupFileError(f"{source}: no such file") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupFileError(f"{source}: not a Mata Garuda backup (not a readable ZIP file:"
                              f" {exc})") from None
    with zf:
        manifest = _verify_file(zf, source, report)
        _check_target(engine, manifest.revision)
        report(f"schema {manifest.revision}", 0, 0)
        try:
            upgrade(engine, manifest.revision)
        except SQLAlchemyError as exc:
            raise BackupError(f"could not create the schema at revision {manifest.revision}:"
                              f" {_cause(exc)}; no row was stored") from exc
        with engine.connect() as conn:
            present = set(_data_tables(conn))
            # A table the application does not know and its migrations do not create
            # cannot be restored; its rows stay in the file and the report names it.
            skipped = tuple(e.name for e in manifest.tables
                            if e.name not in present and e.name not in metadata.tables)
            entries = [e for e in manifest.tables if e.name not in skipped]
            tables = [_target_table(conn, entry, manifest.revision) for entry in entries]
        try:
            with engine.begin() as conn:
                holding = _holding_data(conn)
                if holding:
                    raise RestoreRefusedError(_holding_message(holding))
                for entry, t in zip(entries, tables, strict=True):
                    _insert(conn, zf, entry, t, report)
                _reset_sequences(conn, tables)
                bad = _mismatches(conn, zf, entries, tables, report)
                if bad:
                    raise BackupError(
                        "the restored tables do not match the backup (" + "; ".join(bad)
                        + "); the restore was undone, nothing was stored")
        except SQLAlchemyError as exc:
            raise BackupError(
                f"restore failed and was undone, nothing was stored: {_cause(exc)}") from exc
    changed: tuple[str, ...] = ()
    if head_revision(engine) != manifest.revision:
        report("schema head", 0, 0)
        try:
            upgrade(engine, "head")
        except SQLAlchemyError as exc:
            raise BackupError(
                f"the backup was restored and verified at schema revision {manifest.revision},"
                f" but the upgrade to the newest schema failed ({_cause(exc)});"
                " fix the cause and run `mata-garuda db upgrade`") from exc
        with engine.connect() as conn:
            changed = _changed_by_upgrade(conn, entries, tables)
    return RestoreReport(
        source, manifest.revision, current_revision(engine), manifest.created_at,
        tuple(TableReport(e.name, e.rows, e.sha256) for e in entries), changed, skipped,
        time.monotonic() - started)


def _cause(exc: SQLAlchemyError) -> str:
    """Return the driver's message, without SQLAlchemy's statement and parameters."""
    return str(getattr(exc, "orig", None) or exc)


def _verify_file(zf: zipfile.ZipFile, source: Path, progress: Progress) -> _Manifest:
    """Check the manifest and every member before anything touches the database."""
    try:
        raw = zf.read(MANIFEST)
    except KeyError:
        raise BackupFileError(f"{source}: not a Mata Garuda backup: {MANIFEST} is missing"
                              " (nothing was restored)") from None
    except (zipfile.BadZipFile, zlib.error, OSError) as exc:
        raise BackupFileError(f"{source}: {MANIFEST} is damaged ({exc}); nothing was restored"
                              ) from None
    manifest = _parse_manifest(raw, source)
    total = sum(e.rows for e in manifest.tables)
    seen = 0
    for entry in manifest.tables:
        h = hashlib.sha256()
        lines = 0
        try:
            with zf.open(entry.member) as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
                    lines += block.count(b"\n")
                    progress("verify file", seen + lines, total)
        except KeyError:
            raise BackupFileError(f"{source}: member {entry.member} of table {entry.name} is"
                                  " missing; nothing was restored") from None
        except (zipfile.BadZipFile, zlib.error, OSError) as exc:
            raise BackupFileError(f"{source}: member {entry.member} is damaged ({exc});"
                                  " nothing was restored") from None
        if h.hexdigest() != entry.sha256:
            raise BackupFileError(
                f"{source}: table {entry.name}: checksum mismatch (SHA-256 of {entry.member}"
                f" is {h.hexdigest()}, the manifest says {entry.sha256}); the file was"
                " altered or damaged, nothing was restored")
        if lines != entry.rows:
            raise BackupFileError(f"{source}: table {entry.name}: {lines} rows in the file, the"
                                  f" manifest says {entry.rows}; nothing was restored")
        seen += lines
    progress("verify file", seen, total)
    return manifest


def _parse_manifest(raw: bytes, source: Path) -> _Manifest:
    """Parse and validate ``manifest.json``; raise BackupFileError naming the problem."""
    def bad(problem: str) -> BackupFileError:
        return BackupFileError(f"{source}: {MANIFEST}: {problem}; nothing was restored")

    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise bad(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise bad(f"not a Mata Garuda backup (expected \"format\": \"{FORMAT}\")")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise bad(f"format version {version!r} is not known (this version of Mata Garuda"
                  f" reads version {FORMAT_VERSION}); restore it with the version that made it")
    revision = data.get("revision")
    if not isinstance(revision, str) or not revision:
        raise bad("\"revision\" is missing")
    try:
        created_at = datetime.fromisoformat(str(data.get("created_at")))
    except ValueError:
        raise bad("\"created_at\" is not an ISO 8601 date-time") from None
    entries = data.get("tables")
    if not isinstance(entries, list):
        raise bad("\"tables\" is missing")
    tables: list[_Entry] = []
    for i, e in enumerate(entries):
        try:
            columns = tuple(_Column(str(c["name"]), str(c["type"])) for c in e["columns"])
            entry = _Entry(str(e["name"]), str(e["member"]), columns,
                           tuple(str(k) for k in e["primary_key"]), int(e["rows"]),
                           str(e["sha256"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise bad(f"table entry {i + 1} is malformed ({exc!r})") from None
        unknown = [c.name for c in columns if c.kind not in _DECODERS]
        if unknown:
            raise bad(f"table {entry.name}: unknown column type for {', '.join(unknown)}")
        tables.append(entry)
    return _Manifest(revision, created_at, tuple(tables))


def _holding_message(holding: Sequence[str]) -> str:
    shown = ", ".join(holding[:6]) + (", ..." if len(holding) > 6 else "")
    return (f"the target database already holds data (rows in {shown}); a backup is only"
            " restored into a new, empty database, and nothing is ever deleted: point"
            " MATA_GARUDA_DATABASE_URL at an empty database and try again. Nothing was changed")


def _check_target(engine: Engine, revision: str) -> None:
    """Refuse a target that holds data or whose schema is not older than the backup's."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    try:
        older = {s.revision for s in script.iterate_revisions(revision, "base")}
    except (RevisionError, CommandError):
        raise RestoreRefusedError(
            f"the backup has schema revision {revision}, which this version of Mata Garuda"
            " does not know (it was made by a newer version); restore it with that version"
            " or a newer one. Nothing was changed") from None
    with engine.connect() as conn:
        holding = _holding_data(conn)
        names = _data_tables(conn)
    if holding:
        raise RestoreRefusedError(_holding_message(holding))
    current = current_revision(engine)
    if current is None and names:
        raise RestoreRefusedError(
            f"the target database has tables ({', '.join(sorted(names)[:6])}) but no schema"
            " revision; restore into a new, empty database. Nothing was changed")
    if current is not None and current not in older:
        raise RestoreRefusedError(
            f"the target database is at schema revision {current}, which is not at or before"
            f" the backup's revision {revision}; restore into a new, empty database (one"
            " never migrated). Nothing was changed")


def _target_table(conn: Connection, entry: _Entry, revision: str) -> _Table:
    """Describe the migrated target table holding ``entry``, checking its columns exist."""
    if entry.name not in set(_data_tables(conn)):
        raise BackupError(f"table {entry.name} of the backup does not exist at schema revision"
                          f" {revision}; nothing was stored")
    present = {c["name"] for c in inspect(conn).get_columns(entry.name)}
    missing = [c.name for c in entry.columns if c.name not in present]
    if missing:
        raise BackupError(f"table {entry.name} at schema revision {revision} lacks column(s)"
                          f" {', '.join(missing)} of the backup; nothing was stored")
    described = _describe(conn, entry.name, [c.name for c in entry.columns])
    # Read back with the backup's own types and key order, so the checksums compare.
    return _Table(entry.name, entry.columns, entry.primary_key, described.clause)


def _self_references(conn: Connection, name: str) -> list[tuple[list[str], list[str]]]:
    """Foreign keys of a table onto itself, as (constrained, referred) column lists."""
    return [(fk["constrained_columns"], fk["referred_columns"])
            for fk in inspect(conn).get_foreign_keys(name)
            if fk["referred_table"] == name and fk.get("referred_schema") in (None, "")]


def _parents_first(rows: Iterable[dict[str, Any]], name: str,
                   refs: list[tuple[list[str], list[str]]]) -> Iterator[dict[str, Any]]:
    """Order rows so that a row referencing its own table comes after the row it names."""
    pending = list(rows)
    present = [{tuple(r[c] for c in referred) for r in pending} for _, referred in refs]
    placed: list[set[tuple[Any, ...]]] = [set() for _ in refs]
    while pending:
        ready: list[dict[str, Any]] = []
        waiting: list[dict[str, Any]] = []
        for r in pending:
            ok = True
            for i, (constrained, referred) in enumerate(refs):
                key = tuple(r[c] for c in constrained)
                if (None in key or key in placed[i] or key not in present[i]
                        or key == tuple(r[c] for c in referred)):
                    continue
                ok = False
                break
            (ready if ok else waiting).append(r)
        if not ready:
            raise BackupError(f"table {name}: {len(waiting)} rows reference each other in a"
                              " cycle; nothing was stored")
        for r in ready:
            for i, (_, referred) in enumerate(refs):
                placed[i].add(tuple(r[c] for c in referred))
        yield from ready
        pending = waiting


def _insert(conn: Connection, zf: zipfile.ZipFile, entry: _Entry, t: _Table,
            progress: Progress) -> None:
    """Insert one table's rows from the archive (inside the caller's transaction)."""
    names = [c.name for c in entry.columns]
    decoders = [_DECODERS[c.kind] for c in entry.columns]

    def rows() -> Iterator[dict[str, Any]]:
        with zf.open(entry.member) as fh:
            for number, line in enumerate(fh, start=1):
                try:
                    values = json.loads(line)
                    yield {n: None if v is None else dec(v)
                           for n, dec, v in zip(names, decoders, values, strict=True)}
                except (ValueError, TypeError) as exc:
                    raise BackupFileError(f"table {entry.name}, row {number}: cannot be read"
                                          f" ({exc}); nothing was stored") from None

    refs = _self_references(conn, entry.name)
    source = _parents_first(rows(), entry.name, refs) if refs else rows()
    stmt = insert(t.clause)
    done = 0
    progress(entry.name, 0, entry.rows)
    batch: list[dict[str, Any]] = []
    for row in source:
        batch.append(row)
        if len(batch) == CHUNK_ROWS:
            conn.execute(stmt, batch)
            done += len(batch)
            batch = []
            progress(entry.name, done, entry.rows)
    if batch:
        conn.execute(stmt, batch)
        done += len(batch)
        progress(entry.name, done, entry.rows)


def _reset_sequences(conn: Connection, tables: Sequence[_Table]) -> None:
    """Set each PostgreSQL id sequence so that the next id is ``max(id) + 1`` (1 if empty)."""
    if conn.dialect.name != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY continues from max(rowid) by itself
    quote = conn.dialect.identifier_preparer.quote
    for t in tables:
        for c in t.columns:
            if c.kind != "integer":
                continue
            sequence = conn.scalar(select(func.pg_get_serial_sequence(quote(t.name), c.name)))
            if sequence is None:
                continue
            top = select(func.max(t.clause.c[c.name])).scalar_subquery()
            conn.execute(select(func.setval(sequence, func.coalesce(top, 1),
                                            top.is_not(None))))


def _mismatches(conn: Connection, zf: zipfile.ZipFile, entries: Sequence[_Entry],
                tables: Sequence[_Table], progress: Progress) -> list[str]:
    """Compare each restored table's row count and checksum with the manifest."""
    problems = []
    total = sum(e.rows for e in entries)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress("check", done, total)

    progress("check", 0, total)
    for entry, t in zip(entries, tables, strict=True):
        rows, digest = _digest(conn, t, advance)
        if rows != entry.rows:
            problems.append(f"{entry.name}: {rows} rows, the backup has {entry.rows}")
        elif digest != entry.sha256:
            problems.append(f"{entry.name}: {_first_difference(conn, zf, entry, t)}")
    return problems


def _first_difference(conn: Connection, zf: zipfile.ZipFile, entry: _Entry, t: _Table) -> str:
    """Describe the first restored row that reads back differently from the backup.

    It happens when the target cannot hold a value exactly (SQLite stores -0.0 as 0
    and cannot store NaN).
    """
    restored = (line for chunk, _ in _chunks(conn, t) for line in chunk.split(b"\n")[:-1])
    with zf.open(entry.member) as fh:
        for number, (line, back) in enumerate(zip(fh, restored, strict=True), start=1):
            if line.rstrip(b"\n") == back:
                continue
            old, new = json.loads(line), json.loads(back)
            names = [c.name for c in entry.columns]
            key = ", ".join(f"{k}={old[names.index(k)]!r}" for k in entry.primary_key)
            diffs = [f"{name} is {new[i]!r}, the backup has {old[i]!r}"
                     for i, name in enumerate(names) if repr(old[i]) != repr(new[i])]
            return f"row {number} ({key}): " + "; ".join(diffs or ["differs"])
    return "content checksum differs"


def _changed_by_upgrade(conn: Connection, entries: Sequence[_Entry],
                        tables: Sequence[_Table]) -> tuple[str, ...]:
    """Tables whose content over the backup's columns the migrations to head changed."""
    changed = []
    for entry, t in zip(entries, tables, strict=True):
        try:
            with conn.begin():
                same = _digest(conn, t) == (entry.rows, entry.sha256)
        except SQLAlchemyError:
            same = False  # a column or the table itself is gone at head
        if not same:
            changed.append(entry.name)
    return tuple(changed)
