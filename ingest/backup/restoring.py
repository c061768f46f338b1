"""Restoring a backup into an empty database: all or nothing, then upgrade.

A backup restores into an *empty* SQLite or PostgreSQL database, whichever engine it
came from; an older backup restores into a newer application (the target is migrated to
the backup's schema revision, filled, then migrated to the newest one). Nothing is ever
deleted: a restore into a database that holds any row is refused.
"""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, func, insert, inspect, literal, select, table
from sqlalchemy.exc import SQLAlchemyError

from ingest.backup.common import (
    BackupError,
    BackupFileError,
    Progress,
    RestoreRefusedError,
    TableReport,
    quiet,
)
from ingest.backup.format import DECODERS, Manifest, TableEntry
from ingest.backup.signing import BackupKey
from ingest.backup.tables import CHUNK_ROWS, Table, chunks, data_tables, describe, digest
from ingest.backup.verify import open_archive, verify_archive
from queries.db import alembic_config, current_revision, head_revision, upgrade
from queries.schema import metadata


@dataclass(frozen=True)
class RestoreReport:
    """What :func:`restore` did.

    ``changed_by_upgrade`` lists the tables whose content (over the backup's columns)
    a migration from the backup's revision to the newest one changed; it is empty when
    the backup was already at the newest revision. ``not_restored`` lists tables of the
    backup that neither the application nor its migrations know (made by hand in the
    source database): their rows are in the file but have no table to go to.
    ``unchecked_signature`` says why the signature was not checked (a backup restored
    with ``accept_unsigned``); it is None when the signature was checked.
    """

    path: Path
    revision: str
    schema_revision: str | None
    created_at: datetime
    tables: tuple[TableReport, ...]
    changed_by_upgrade: tuple[str, ...]
    not_restored: tuple[str, ...]
    seconds: float
    unchecked_signature: str | None = None

    @property
    def rows(self) -> int:
        """Total number of rows restored."""
        return sum(t.rows for t in self.tables)

    def __str__(self) -> str:
        upgraded = ("" if self.schema_revision == self.revision
                    else f", then upgraded to {self.schema_revision}")
        checked = ("verified" if self.unchecked_signature is None else
                   f"checksums verified (signature NOT checked: {self.unchecked_signature})")
        return (f"{self.path}: {self.rows:,} rows in {len(self.tables)} tables restored and"
                f" {checked} at schema revision {self.revision}{upgraded},"
                f" {self.seconds:.1f} s")


def restore(engine: Engine, path: Path | str, *, key: BackupKey, accept_unsigned: bool = False,
            progress: Progress | None = None) -> RestoreReport:
    """Restore a backup made by :func:`ingest.backup.backup` into an empty database.

    Steps: check the file (the manifest's signature, format version, every member's row
    count and SHA-256); refuse a target that holds any row; migrate the target to the
    backup's schema revision; insert every table in dependency order in one transaction, reset
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
    key
        The key that signed the backup.
    accept_unsigned
        Restore a backup whose signature cannot be checked: one made before backups
        were signed, or signed with a key that is lost. The checksums then detect
        damage but not alteration. A wrong signature under ``key`` is refused all the same.
    progress
        Optional callback, see :data:`ingest.backup.common.Progress`.

    Returns
    -------
    RestoreReport
        Per-table row counts and checksums, revisions, duration.

    Raises
    ------
    BackupFileError
        The file is missing, not a backup, damaged or altered, not signed or signed with
        another key (unless ``accept_unsigned``), or of an unknown format version. The
        database is not touched.
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
    report = progress or quiet
    source = Path(path)
    with open_archive(source) as zf:
        manifest, unchecked = verify_archive(zf, source, key, report,
                                             accept_unsigned=accept_unsigned)
        _check_target(engine, manifest.revision)
        if engine.dialect.name == "postgresql":
            _refuse_nul(zf, manifest.tables)
        entries, tables, skipped = _create_schema(engine, manifest, report)
        _fill(engine, zf, entries, tables, report)
    changed = _upgrade_to_head(engine, manifest.revision, entries, tables, report)
    return RestoreReport(
        source, manifest.revision, current_revision(engine), manifest.created_at,
        tuple(TableReport(e.name, e.rows, e.sha256) for e in entries), changed, skipped,
        time.monotonic() - started, unchecked)


def _cause(exc: SQLAlchemyError) -> str:
    """Return the driver's message, without SQLAlchemy's statement and parameters."""
    return str(getattr(exc, "orig", None) or exc)


# ---------------------------------------------------------------------------- target

def _holding_data(conn: Connection) -> list[str]:
    """Return the tables (apart from Alembic's) that hold at least one row."""
    return [name for name in sorted(data_tables(conn))
            if conn.execute(select(literal(1)).select_from(table(name)).limit(1)).first()]


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
        names = data_tables(conn)
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


def _refuse_nul(zf: zipfile.ZipFile, entries: Sequence[TableEntry]) -> None:
    """Refuse a backup whose text holds NUL (U+0000): PostgreSQL cannot store it.

    SQLite stores NUL, and before text was checked at the edge (issue 10) an entry or an
    upload could put one into a reason. Restoring such a backup into PostgreSQL would
    fail half-way; replacing the character would make the restored rows differ from the
    signed checksums (and the audit log from what was recorded). So the whole file is
    read first and refused, naming every table and column with its first row, before
    anything is written.
    """
    found: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        text = [i for i, c in enumerate(entry.columns) if c.kind == "string"]
        names = [c.name for c in entry.columns]
        with zf.open(entry.member) as fh:
            for number, line in enumerate(fh, start=1):
                if b"\\u0000" not in line:  # how JSON writes NUL
                    continue
                values = json.loads(line)
                for i in text:
                    if isinstance(values[i], str) and "\x00" in values[i]:
                        key = ", ".join(f"{k}={values[names.index(k)]!r}"
                                        for k in entry.primary_key)
                        found.setdefault((entry.name, names[i]), []).append(
                            f"row {number} of the table, {key}")
    if found:
        where = "; ".join(f"{table}.{column}: {len(rows)} row{'s' * (len(rows) > 1)} "
                          f"(first: {rows[0]})" for (table, column), rows in found.items())
        raise RestoreRefusedError(
            "PostgreSQL cannot store the NUL character (U+0000), and the backup holds it in"
            f" text ({where}); it came from a SQLite database. Restore it into SQLite"
            " (leave MATA_GARUDA_DATABASE_URL unset or point it at a new SQLite file)."
            " Nothing was changed")


def _create_schema(engine: Engine, manifest: Manifest, progress: Progress
                   ) -> tuple[list[TableEntry], list[Table], tuple[str, ...]]:
    """Migrate the target to the backup's revision and pair each entry with its table.

    Returns the entries to restore, their target tables and the names of the tables
    skipped: a table the application does not know and its migrations do not create
    cannot be restored; its rows stay in the file and the report names it.
    """
    progress(f"schema {manifest.revision}", 0, 0)
    try:
        upgrade(engine, manifest.revision)
    except SQLAlchemyError as exc:
        raise BackupError(f"could not create the schema at revision {manifest.revision}:"
                          f" {_cause(exc)}; no row was stored") from exc
    with engine.connect() as conn:
        present = set(data_tables(conn))
        skipped = tuple(e.name for e in manifest.tables
                        if e.name not in present and e.name not in metadata.tables)
        entries = [e for e in manifest.tables if e.name not in skipped]
        tables = [_target_table(conn, entry, manifest.revision) for entry in entries]
    return entries, tables, skipped


def _target_table(conn: Connection, entry: TableEntry, revision: str) -> Table:
    """Describe the migrated target table holding ``entry``, checking its columns exist."""
    if entry.name not in set(data_tables(conn)):
        raise BackupError(f"table {entry.name} of the backup does not exist at schema revision"
                          f" {revision}; nothing was stored")
    present = {c["name"] for c in inspect(conn).get_columns(entry.name)}
    missing = [c.name for c in entry.columns if c.name not in present]
    if missing:
        raise BackupError(f"table {entry.name} at schema revision {revision} lacks column(s)"
                          f" {', '.join(missing)} of the backup; nothing was stored")
    described = describe(conn, entry.name, [c.name for c in entry.columns])
    # Read back with the backup's own types and key order, so the checksums compare.
    return Table(entry.name, entry.columns, entry.primary_key, described.clause)


# ---------------------------------------------------------------------------- rows

def _fill(engine: Engine, zf: zipfile.ZipFile, entries: Sequence[TableEntry],
          tables: Sequence[Table], progress: Progress) -> None:
    """Insert every table and check it against the manifest, in one transaction."""
    try:
        with engine.begin() as conn:
            holding = _holding_data(conn)
            if holding:
                raise RestoreRefusedError(_holding_message(holding))
            for entry, t in zip(entries, tables, strict=True):
                _insert(conn, zf, entry, t, progress)
            _reset_sequences(conn, tables)
            bad = _mismatches(conn, zf, entries, tables, progress)
            if bad:
                raise BackupError(
                    "the restored tables do not match the backup (" + "; ".join(bad)
                    + "); the restore was undone, nothing was stored")
    except SQLAlchemyError as exc:
        raise BackupError(
            f"restore failed and was undone, nothing was stored: {_cause(exc)}") from exc


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


def _insert(conn: Connection, zf: zipfile.ZipFile, entry: TableEntry, t: Table,
            progress: Progress) -> None:
    """Insert one table's rows from the archive (inside the caller's transaction)."""
    names = [c.name for c in entry.columns]
    decoders = [DECODERS[c.kind] for c in entry.columns]

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


def _reset_sequences(conn: Connection, tables: Sequence[Table]) -> None:
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


def _mismatches(conn: Connection, zf: zipfile.ZipFile, entries: Sequence[TableEntry],
                tables: Sequence[Table], progress: Progress) -> list[str]:
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
        rows, sha256 = digest(conn, t, advance)
        if rows != entry.rows:
            problems.append(f"{entry.name}: {rows} rows, the backup has {entry.rows}")
        elif sha256 != entry.sha256:
            problems.append(f"{entry.name}: {_first_difference(conn, zf, entry, t)}")
    return problems


def _first_difference(conn: Connection, zf: zipfile.ZipFile, entry: TableEntry, t: Table) -> str:
    """Describe the first restored row that reads back differently from the backup.

    It happens when the target cannot hold a value exactly (SQLite stores -0.0 as 0
    and cannot store NaN).
    """
    restored = (line for chunk, _ in chunks(conn, t) for line in chunk.split(b"\n")[:-1])
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


# ---------------------------------------------------------------------------- upgrade

def _upgrade_to_head(engine: Engine, revision: str, entries: Sequence[TableEntry],
                     tables: Sequence[Table], progress: Progress) -> tuple[str, ...]:
    """Migrate a restored backup of ``revision`` to the newest schema.

    Returns the tables whose content the migrations changed (none when the backup was
    already at the newest revision).
    """
    if head_revision(engine) == revision:
        return ()
    progress("schema head", 0, 0)
    try:
        upgrade(engine, "head")
    except SQLAlchemyError as exc:
        raise BackupError(
            f"the backup was restored and verified at schema revision {revision},"
            f" but the upgrade to the newest schema failed ({_cause(exc)});"
            " fix the cause and run `mata-garuda db upgrade`") from exc
    with engine.connect() as conn:
        return _changed_by_upgrade(conn, entries, tables)


def _changed_by_upgrade(conn: Connection, entries: Sequence[TableEntry],
                        tables: Sequence[Table]) -> tuple[str, ...]:
    """Tables whose content over the backup's columns the migrations to head changed."""
    changed = []
    for entry, t in zip(entries, tables, strict=True):
        try:
            with conn.begin():
                same = digest(conn, t) == (entry.rows, entry.sha256)
        except SQLAlchemyError:
            same = False  # a column or the table itself is gone at head
        if not same:
            changed.append(entry.name)
    return tuple(changed)
