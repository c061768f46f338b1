"""Representative data for a database at any schema revision, and exact snapshots of it.

The factory knows no schema by heart. It reflects the tables that exist, fills parents
before children (``sorted_tables``) and makes every value from its column's type:
unicode text with quotes and newlines cut to the column length, floats that do not
survive a careless copy (``0.1 + 0.2``, ``1e-9``, ``-0.0``, the largest and the smallest
double), timezone-aware datetimes, both booleans, NULL in nullable columns. Foreign keys
take keys of rows already inserted. A short table of rules (:data:`RULES`) gives the
columns whose values are constrained (CHECK constraints, versions, unique keys) or whose
meaning matters (the region tree, several versions of the same value, both source kinds).

A migration that adds a CHECK constraint, or a column of a type the factory does not
know, makes :func:`fill` fail with a message naming the column to add a rule for.

Snapshots read every column through the driver, without SQLAlchemy's type conversions,
and write each value in a canonical text (floats as ``float.hex``, datetimes in UTC),
so two snapshots are equal only when every stored value is, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

# Bookkeeping whose value is meant to change: Alembic's, and the audit log's head (one
# row, made by migration 0004 and moved by every entry; test_migrations checks the chain).
IGNORED_TABLES = frozenset({"alembic_version", "audit_head"})

WIB, WITA, WIT = (timezone(timedelta(hours=h)) for h in (7, 8, 9))

TRICKY_FLOATS: tuple[float, ...] = (
    0.1 + 0.2,
    1e-9,
    -0.0,
    78.5,
    1.7976931348623157e308,
    5e-324,
    -273.15,
    1 / 3,
    2.0**53 + 2,
    123456789012.34567,
    -1e-300,
    100.0,
)
# Distinct, so an integer column in a key stays unique.
TRICKY_INTS: tuple[int, ...] = (0, 1, -1, 2**31 - 1, -(2**31), 7, 2024, 99, -42, 65_536)
TRICKY_BIG_INTS: tuple[int, ...] = (0, 2**63 - 1, -(2**63), 2**53 + 1, -1, 10**15)
TRICKY_DATETIMES: tuple[datetime, ...] = (
    datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2019, 4, 17, 7, 0, 0, tzinfo=WIB),
    datetime(1970, 1, 1, 0, 0, 0, tzinfo=UTC),
    datetime(2038, 1, 19, 3, 14, 8, 1, tzinfo=WITA),
    datetime(2026, 11, 25, 0, 30, 0, 123_456, tzinfo=WIT),
    datetime(2099, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
)
TRICKY_TEXT = (
    "Kab. Bandung Barat — “Cibeunying” 'kutip' \"ganda\"\nbaris 2\t"
    "café ñ ü Ø 中文 🇮🇩 \\ %_ ; -- "
)
LONG_URL = (
    "https://www.bps.go.id/id/statistics-table/2/MTIzNA==/indeks-demokrasi-indonesia.html"
    "?kode=32.73.01&tahun=2024&catatan=" + "%C3%A9t%C3%A9+" * 150 + "#bagian-ke-2"
)
TRICKY_LONG_TEXTS: tuple[str, ...] = (
    LONG_URL,
    "Catatan: angka sementara.\r\nRevisi 2 — “data BPS”, 'koreksi' oleh Kesbangpol\n\nñ 🇮🇩",
    "",
    "'); DROP TABLE observation; -- \\x00 \\n bukan baris baru",
    "{\"kunci\": \"nilai ü\", \"angka\": 0.30000000000000004}",
)

# The region tree the rules use: national, two provinsi, kab/kota, a kecamatan.
REGIONS: tuple[tuple[str, str, str | None, str], ...] = (
    ("ID", "nasional", None, "Indonesia"),
    ("11", "provinsi", "ID", "Aceh"),
    ("32", "provinsi", "ID", "Jawa Barat"),
    ("11.01", "kabkota", "11", "Kab. Aceh Selatan"),
    ("32.73", "kabkota", "32", "Kota Bandung"),
    ("32.73.01", "kecamatan", "32.73", "Sukasari — “Kec.” 'ü'"),
)
PROVINSI, KABKOTA = "32", "32.73"
ROLES = ("admin", "pusat", "provinsi", "kabkota", "viewer")
VERSIONS_PER_VALUE = 3  # every observed/targeted value is stored, then corrected twice

# Rows per table; tables not listed get DEFAULT_ROWS.
ROW_COUNTS = {"region": len(REGIONS), "observation": 24, "target": 12}
DEFAULT_ROWS = 6


@dataclass
class Context:
    """Rows already in the database, by table, for picking foreign keys."""

    rows: dict[str, list[dict[str, Any]]]

    def pick(self, table: str, column: str, i: int) -> Any:
        """Return the ``column`` value of the ``i``-th row (cyclically) of ``table``."""
        parents = self.rows.get(table)
        if not parents:
            raise LookupError(f"no {table} rows to point to")
        return parents[i % len(parents)][column]


Rule = Callable[[int, Context], Any]


def _region(i: int, field: int) -> Any:
    if i < len(REGIONS):
        return REGIONS[i][field]
    # Rows added after an upgrade: new kab/kota under an existing provinsi.
    return (f"32.{i}", "kabkota", PROVINSI, f"Kab. Baru {i} — “ü”")[field]


def _series(i: int) -> int:
    """Index of the value a versioned row belongs to (rows i..i+2 share one value)."""
    return i // VERSIONS_PER_VALUE


def _version(i: int, _ctx: Context) -> int:
    return i % VERSIONS_PER_VALUE + 1


def _user_region(i: int, _ctx: Context) -> str | None:
    return {"provinsi": PROVINSI, "kabkota": KABKOTA}.get(ROLES[i % len(ROLES)])


# (table, column) -> value of row i. Versioned rows share (indicator, region, period,
# source kind) in runs of VERSIONS_PER_VALUE, so every value has corrections.
RULES: dict[tuple[str, str], Rule] = {
    ("region", "code"): lambda i, _: _region(i, 0),
    ("region", "level"): lambda i, _: _region(i, 1),
    ("region", "parent_code"): lambda i, _: _region(i, 2),
    ("region", "name"): lambda i, _: _region(i, 3),
    ("indicator", "id"): lambda i, _: ("idi", "ikp", "turnout_pilpres", "konflik", "ikub")[i]
    if i < 5 else f"indikator_{i}_ü",
    ("indicator", "direction"): lambda i, _: ("higher_better", "higher_worse", "neutral")[i % 3],
    ("indicator", "aggregation"): lambda i, _: ("mean", "sum")[i % 2],
    ("indicator", "lowest_level"): lambda i, _: ("provinsi", "kabkota", "kecamatan")[i % 3],
    ("indicator", "cadence"): lambda i, _: ("annual", "5-yearly")[i % 2],
    ("indicator", "periods"): lambda i, _: ",".join(str(y) for y in range(2009, 2025 - i % 3)),
    ("indicator", "decimals"): lambda i, _: i % 4,
    ("indicator_break", "period"): lambda i, _: 2015 + i,
    ("observation", "indicator_id"): lambda i, ctx: ctx.pick("indicator", "id", _series(i)),
    ("observation", "region_code"): lambda i, ctx: ctx.pick("region", "code", _series(i)),
    ("observation", "period"): lambda i, _: 2017 + _series(i),
    ("observation", "source_kind"): lambda i, _: ("published", "simulasi")[_series(i) % 2],
    ("observation", "status"): lambda i, _: ("published", "simulasi")[_series(i) % 2],
    ("observation", "version"): _version,
    ("observation", "source_url"): lambda i, _: (LONG_URL, "", "https://kpu.go.id/")[i % 3],
    ("target", "indicator_id"): lambda i, ctx: ctx.pick("indicator", "id", _series(i)),
    ("target", "region_code"): lambda i, ctx: ctx.pick("region", "code", _series(i) * 2),
    ("target", "period"): lambda i, _: 2025 + _series(i),
    ("target", "version"): _version,
    ("app_user", "role"): lambda i, _: ROLES[i % len(ROLES)],
    ("app_user", "region_code"): _user_region,
    ("app_user", "password_hash"): lambda i, _: (
        f"$argon2id$v=19$m=65536,t=3,p=4$c2FsdC17aX0${i:043d}"),
    ("login_attempt", "remote_addr"): lambda i, _: ("203.0.113.7", "2001:db8::1",
                                                    "::ffff:192.0.2.1")[i % 3],
    ("audit_log", "remote_addr"): lambda i, _: ("127.0.0.1", "2001:db8::ff")[i % 2],
}


def _text(i: int, length: int | None) -> str:
    if length is None:
        return TRICKY_LONG_TEXTS[i % len(TRICKY_LONG_TEXTS)]
    # The row number first, so the value stays unique when cut to the column length.
    return f"{i}·{TRICKY_TEXT}"[:length]


def _datetime(i: int, aware: bool) -> datetime:
    value = TRICKY_DATETIMES[i % len(TRICKY_DATETIMES)]
    return value if aware else value.replace(tzinfo=None)


def value_for(column: sa.Column[Any], i: int, dialect: str) -> Any:
    """Return a value of the column's type for row ``i`` (NULL now and then if allowed)."""
    if column.nullable and i % 4 == 3:
        return None
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return i % 2 == 0
    if isinstance(kind, sa.BigInteger):
        return TRICKY_BIG_INTS[i] if i < len(TRICKY_BIG_INTS) else 10**12 + i
    if isinstance(kind, sa.Integer):
        return TRICKY_INTS[i] if i < len(TRICKY_INTS) else 100_000 + i
    if isinstance(kind, sa.Float):
        return TRICKY_FLOATS[i % len(TRICKY_FLOATS)]
    if isinstance(kind, sa.Numeric):
        return Decimal("-12345.678900") + i
    if isinstance(kind, sa.DateTime):
        # SQLite reflects no time zone flag; the application writes aware datetimes there.
        return _datetime(i, bool(kind.timezone) or dialect == "sqlite")
    if isinstance(kind, sa.Date):
        return (date(2024, 2, 29), date(1970, 1, 1), date(2099, 12, 31))[i % 3]
    if isinstance(kind, sa.LargeBinary):
        return bytes([0, 255, i % 256]) + "ü\n".encode()
    if isinstance(kind, sa.String):
        return _text(i, kind.length)
    raise NotImplementedError(
        f"no test value for {column.table.name}.{column.name} ({kind!r}): "
        f"add a rule to tests/migration_data.py RULES")


def _foreign_keys(table: sa.Table) -> dict[str, tuple[str, str, int]]:
    """Map each foreign-key column to (parent table, parent column, constraint number)."""
    refs: dict[str, tuple[str, str, int]] = {}
    for n, fk in enumerate(sorted(table.foreign_key_constraints,
                                  key=lambda c: tuple(c.column_keys))):
        for col, element in zip(fk.column_keys, fk.elements, strict=True):
            refs[col] = (element.column.table.name, element.column.name, n)
    return refs


def _check_rules(table: sa.Table) -> None:
    """Fail when a CHECK constraint restricts a column that has no rule."""
    for check in table.constraints:
        if not isinstance(check, sa.CheckConstraint):
            continue
        text = str(check.sqltext)
        for column in table.columns:
            if re.search(rf"\b{re.escape(column.name)}\b", text) and (
                    (table.name, column.name) not in RULES):
                raise LookupError(
                    f"{table.name}.{column.name} is restricted by CHECK ({text}): "
                    f"add a rule to tests/migration_data.py RULES")


def make_rows(table: sa.Table, ctx: Context, indexes: Iterable[int],
              dialect: str) -> list[dict[str, Any]]:
    """Return rows for ``table``: auto-numbered ids left to the database."""
    _check_rules(table)
    auto = table.autoincrement_column
    refs = _foreign_keys(table)
    rows = []
    for i in indexes:
        row: dict[str, Any] = {}
        for column in table.columns:
            if column is auto:
                continue
            rule = RULES.get((table.name, column.name))
            if rule is not None:
                row[column.name] = rule(i, ctx)
            elif column.name in refs:
                parent, parent_column, n = refs[column.name]
                # Self-references point to rows inserted before (the tree is ordered).
                row[column.name] = ctx.pick(parent, parent_column, i + n)
            else:
                row[column.name] = value_for(column, i, dialect)
        rows.append(row)
    return rows


def reflect(conn: sa.Connection) -> sa.MetaData:
    """Return the tables as they are in the database now."""
    meta = sa.MetaData()
    meta.reflect(bind=conn)
    return meta


def data_tables(meta: sa.MetaData) -> list[sa.Table]:
    """Return the application's tables, parents before children."""
    return [t for t in meta.sorted_tables if t.name not in IGNORED_TABLES]


def _read_rows(conn: sa.Connection, table: sa.Table) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(sa.select(table))]


def fill(conn: sa.Connection) -> dict[str, int]:
    """Insert representative rows into every table that exists; return rows per table."""
    meta = reflect(conn)
    ctx = Context({})
    counts = {}
    for table in data_tables(meta):
        n = ROW_COUNTS.get(table.name, DEFAULT_ROWS)
        rows = make_rows(table, ctx, range(n), conn.dialect.name)
        if table.name == "region":  # the tree: insert parents first, one by one
            for row in rows:
                conn.execute(sa.insert(table), row)
        else:
            conn.execute(sa.insert(table), rows)
        ctx.rows[table.name] = _read_rows(conn, table)
        counts[table.name] = n
    return counts


def add_one_row_each(conn: sa.Connection) -> dict[str, dict[str, Any]]:
    """Insert one more row into every table (as the application would after an upgrade).

    Returns the inserted row per table, with its auto-numbered id when there is one.
    """
    meta = reflect(conn)
    ctx = Context({t.name: _read_rows(conn, t) for t in data_tables(meta)})
    added = {}
    for table in data_tables(meta):
        # Far beyond the filled rows, so keys and unique values do not collide.
        (row,) = make_rows(table, ctx, [1000 * VERSIONS_PER_VALUE], conn.dialect.name)
        auto = table.autoincrement_column
        result = conn.execute(sa.insert(table).values(row))
        if auto is not None:
            row[auto.name] = result.inserted_primary_key[0]
        added[table.name] = row
        ctx.rows[table.name].append(row)
    return added


# --- snapshots -----------------------------------------------------------------------


def canonical(value: Any) -> str:
    """Return an exact, typed text for a value as the driver returned it."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return f"bool:{value}"
    if isinstance(value, int):
        return f"int:{value}"
    if isinstance(value, float):
        return f"float:{value.hex()}"
    if isinstance(value, Decimal):
        return f"decimal:{value}"
    if isinstance(value, str):
        return f"str:{value!r}"
    if isinstance(value, bytes | bytearray | memoryview):
        return f"bytes:{bytes(value).hex()}"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return f"naive-datetime:{value.isoformat()}"
        return f"datetime:{value.astimezone(UTC).isoformat()}"
    if isinstance(value, date):
        return f"date:{value.isoformat()}"
    raise TypeError(f"no canonical form for {type(value).__name__}: {value!r}")


@dataclass(frozen=True)
class TableSnapshot:
    """The rows of one table, ordered by primary key: driver values and their exact text."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    cells: tuple[tuple[str, ...], ...]  # canonical(value) of every value of ``rows``

    @property
    def data(self) -> bytes:
        """Return the canonical bytes of the whole table, one line per row."""
        return "\n".join("\t".join(row) for row in self.cells).encode("utf-8")


def snapshot_table(conn: sa.Connection, name: str, columns: Iterable[str],
                   key: Iterable[str]) -> TableSnapshot:
    """Read ``columns`` of every row of ``name`` as the driver returns them."""
    columns = tuple(columns)
    key = tuple(key) or columns
    # Untyped columns: no SQLAlchemy result processing, the driver's values as they are.
    table = sa.table(name, *(sa.column(c) for c in columns))
    result = conn.execute(sa.select(*table.c).order_by(*(table.c[k] for k in key)))
    rows = [tuple(r) for r in result]
    position = [columns.index(k) for k in key]
    # Sorted in Python too, so the order does not depend on the database's collation.
    rows.sort(key=lambda r: tuple((type(r[p]).__name__, r[p]) for p in position))
    cells = tuple(tuple(canonical(v) for v in row) for row in rows)
    return TableSnapshot(columns, tuple(rows), cells)


def snapshot(conn: sa.Connection) -> dict[str, TableSnapshot]:
    """Snapshot every application table with all its current columns."""
    return {
        t.name: snapshot_table(conn, t.name, t.columns.keys(), t.primary_key.columns.keys())
        for t in data_tables(reflect(conn))
    }
