"""Writing a backup: a consistent snapshot of every table, as one ZIP file with a manifest.

The tables are those of :data:`queries.schema.metadata` (in its dependency order) that
exist in the database, followed by any other table the database holds apart from
Alembic's ``alembic_version``, so a table the code no longer knows is not lost either.
The manifest is signed (:mod:`ingest.backup.signing`); the file is not encrypted.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, func, select

from ingest.backup.common import BackupError, Progress, TableReport, quiet
from ingest.backup.format import MANIFEST, Manifest, TableEntry, manifest_bytes, member_name
from ingest.backup.signing import SIGNATURE, BackupKey, signature_bytes
from ingest.backup.tables import Table, chunks, data_tables, describe
from queries.schema import metadata


@dataclass(frozen=True)
class BackupReport:
    """What :func:`backup` wrote.

    ``extra_tables`` are tables of the database the application does not know (made by
    hand): they are in the file, but a restore into the application's schema skips them.
    ``key`` is the key that signed it.
    """

    path: Path
    revision: str
    created_at: datetime
    tables: tuple[TableReport, ...]
    size: int
    seconds: float
    key: BackupKey
    extra_tables: tuple[str, ...] = ()

    @property
    def rows(self) -> int:
        """Total number of rows in the backup."""
        return sum(t.rows for t in self.tables)

    def __str__(self) -> str:
        return (f"{self.path}: {self.rows:,} rows in {len(self.tables)} tables, schema revision"
                f" {self.revision}, signed with {self.key}, {self.size / 1e6:.1f} MB,"
                f" {self.seconds:.1f} s")


def backup(engine: Engine, path: Path | str, *, key: BackupKey,
           progress: Progress | None = None) -> BackupReport:
    """Write a consistent snapshot of the whole database to one signed ZIP file at ``path``.

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
    key
        The key that signs the manifest; it is not written into the file.
    progress
        Optional callback, see :data:`ingest.backup.common.Progress`.

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
            manifest = _write_archive(engine, fh, key, progress or quiet)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)
    tables = tuple(TableReport(t.name, t.rows, t.sha256) for t in manifest.tables)
    extra = tuple(t.name for t in tables if t.name not in metadata.tables)
    return BackupReport(target, manifest.revision, manifest.created_at, tables,
                        target.stat().st_size, time.monotonic() - started, key, extra)


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


def _backup_tables(conn: Connection) -> list[Table]:
    """Every table to back up, in dependency order (referenced tables first)."""
    present = set(data_tables(conn))
    names = [t.name for t in metadata.sorted_tables if t.name in present]
    extra = present - set(names)
    if extra:
        reflected = MetaData()
        reflected.reflect(conn, only=sorted(extra))
        names += [t.name for t in reflected.sorted_tables if t.name in extra]
    return [describe(conn, name) for name in names]


def _write_archive(engine: Engine, fh: IO[bytes], key: BackupKey,
                   progress: Progress) -> Manifest:
    """Write every table, then the manifest and its signature to ``fh``, from one snapshot."""
    with _snapshot(engine) as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        if revision is None:
            raise BackupError("the database has no schema revision (it was never migrated):"
                              " nothing to back up")
        tables = _backup_tables(conn)
        totals = {t.name: int(conn.scalar(select(func.count()).select_from(t.clause)) or 0)
                  for t in tables}
        created_at = datetime.now(UTC)
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            entries = tuple(_write_table(conn, zf, t, created_at, totals[t.name], progress)
                            for t in tables)
            manifest = Manifest(revision, created_at, entries)
            raw = manifest_bytes(manifest, conn.dialect.name)
            zf.writestr(_member_info(MANIFEST, created_at), raw)
            zf.writestr(_member_info(SIGNATURE, created_at), signature_bytes(raw, key))
    return manifest


def _write_table(conn: Connection, zf: zipfile.ZipFile, t: Table, created_at: datetime,
                 total: int, progress: Progress) -> TableEntry:
    """Write one table's member and return its manifest entry."""
    member = member_name(t.name)
    h = hashlib.sha256()
    rows = 0
    progress(t.name, 0, total)
    with zf.open(_member_info(member, created_at), "w", force_zip64=True) as out:
        for chunk, n in chunks(conn, t):
            out.write(chunk)
            h.update(chunk)
            rows += n
            progress(t.name, rows, total)
    return TableEntry(t.name, member, t.columns, t.primary_key, rows, h.hexdigest())


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
