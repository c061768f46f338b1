"""The tables of a database as a backup sees them, read in their canonical form.

A table is read in primary-key order (strings by code point) and written as JSON lines
(see :mod:`ingest.backup.format`); the same content gives the same bytes on either
engine, so a backup and a restore compare tables by the SHA-256 of those bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    Select,
    String,
    TableClause,
    column,
    inspect,
    select,
    table,
)
from sqlalchemy.types import TypeEngine

from ingest.backup.common import BackupError
from ingest.backup.format import ENCODERS, Column, dumps
from queries.schema import metadata

ALEMBIC_TABLE = "alembic_version"
CHUNK_ROWS = 5_000

# Collation that orders strings by code point (byte order of UTF-8) on each engine.
_CODE_POINT_ORDER = {"postgresql": "C", "sqlite": "BINARY"}


@dataclass(frozen=True)
class Table:
    """A table as stored in a backup, with the SQL types used to read or write it."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    clause: TableClause


def kind_of(type_: TypeEngine[Any]) -> str | None:
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


def data_tables(conn: Connection) -> list[str]:
    """Return the names of the database's tables apart from Alembic's."""
    return [n for n in inspect(conn).get_table_names() if n != ALEMBIC_TABLE]


def describe(conn: Connection, name: str, columns: Iterable[str] | None = None) -> Table:
    """Describe a table as the database has it; types from the application's metadata.

    The metadata's types say what the database cannot (SQLite keeps no time zone); a
    column the metadata does not know is read with its reflected type.

    Parameters
    ----------
    conn
        The database.
    name
        The table.
    columns
        The columns to describe, in this order; all the table has by default.

    Returns
    -------
    Table
        The columns with their backup types, the primary key (all columns when the
        table has none) and a clause to select or insert with.

    Raises
    ------
    BackupError
        If a column has a type the backup format cannot hold.
    """
    insp = inspect(conn)
    reflected = {c["name"]: c["type"] for c in insp.get_columns(name)}
    known = metadata.tables.get(name)
    wanted = list(reflected) if columns is None else list(columns)
    cols: list[Column] = []
    types: list[TypeEngine[Any]] = []
    for col_name in wanted:
        if known is not None and col_name in known.c:
            type_: TypeEngine[Any] = known.c[col_name].type
        else:
            type_ = reflected[col_name]
        kind = kind_of(type_)
        if kind is None:
            raise BackupError(f"column {name}.{col_name} has type {type_!r}, which the backup"
                              " format does not support; nothing was written")
        cols.append(Column(col_name, kind))
        types.append(type_)
    pk = tuple(insp.get_pk_constraint(name).get("constrained_columns") or ())
    return Table(name, tuple(cols), pk or tuple(c.name for c in cols),
                 table(name, *(column(c.name, t) for c, t in zip(cols, types, strict=True))))


def _ordered_select(conn: Connection, t: Table) -> Select[Any]:
    """Select the table's columns in primary-key order, strings by code point."""
    collation = _CODE_POINT_ORDER.get(conn.dialect.name)
    kinds = {c.name: c.kind for c in t.columns}
    order = [t.clause.c[name].collate(collation)
             if collation and kinds[name] == "string" else t.clause.c[name]
             for name in t.primary_key]
    return (select(*(t.clause.c[c.name] for c in t.columns)).order_by(*order)
            .execution_options(yield_per=CHUNK_ROWS))


def chunks(conn: Connection, t: Table) -> Iterator[tuple[bytes, int]]:
    """Yield the table's canonical JSON-lines content in chunks, with their row counts."""
    encoders = [ENCODERS[c.kind] for c in t.columns]
    for part in conn.execute(_ordered_select(conn, t)).partitions():
        lines = [dumps([v if v is None or enc is None else enc(v)
                        for enc, v in zip(encoders, row, strict=True)]) for row in part]
        yield ("\n".join(lines) + "\n").encode("utf-8"), len(lines)


def digest(conn: Connection, t: Table,
           on_chunk: Callable[[int], None] | None = None) -> tuple[int, str]:
    """Return the row count and SHA-256 of a table's canonical content."""
    h = hashlib.sha256()
    rows = 0
    for chunk, n in chunks(conn, t):
        h.update(chunk)
        rows += n
        if on_chunk is not None:
            on_chunk(n)
    return rows, h.hexdigest()
