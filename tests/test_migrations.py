"""Alembic migrations keep every stored value: data made at each older revision survives head.

For every revision before head, on SQLite and PostgreSQL: migrate an empty database to
that revision, fill every table it has (see ``tests/migration_data.py``), snapshot the
rows exactly, upgrade to head and compare. The revisions come from the Alembic script
directory, so a new migration is tested as soon as it exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory

from auth.audit import verify_chain
from queries.db import MIGRATIONS_DIR, current_revision, head_revision, make_engine, upgrade
from queries.schema import metadata
from tests.migration_data import (
    IGNORED_TABLES,
    REGIONS,
    VERSIONS_PER_VALUE,
    TableSnapshot,
    add_one_row_each,
    canonical,
    data_tables,
    fill,
    reflect,
    snapshot,
    snapshot_table,
)

SCRIPTS = ScriptDirectory(str(MIGRATIONS_DIR))
# Oldest first.
REVISIONS: list[Script] = list(reversed(list(SCRIPTS.walk_revisions())))
HEAD = SCRIPTS.get_current_head()
OLDER = [s.revision for s in REVISIONS if s.revision != HEAD]


def _first_difference(before: TableSnapshot, after: TableSnapshot) -> str:
    """Describe the first row that differs, naming only the columns that changed."""
    for n, (old, new) in enumerate(zip(before.cells, after.cells, strict=False)):
        if old != new:
            changed = [f"  {column}: {a[:120]} -> {b[:120]}"
                       for column, a, b in zip(before.columns, old, new, strict=True) if a != b]
            return f"row {n} ({before.columns[0]} {old[0]}):\n" + "\n".join(changed)
    return f"{len(before.cells)} rows before, {len(after.cells)} after"


def _assert_kept(conn: sa.Connection, before: dict[str, TableSnapshot]) -> None:
    """Every table, column, row and value of ``before`` is in the database unchanged."""
    tables = {t.name: t for t in data_tables(reflect(conn))}
    for name, old in before.items():
        assert name in tables, f"table {name} is gone after the upgrade"
        missing = set(old.columns) - set(tables[name].columns.keys())
        assert not missing, f"{name}: columns {sorted(missing)} are gone after the upgrade"
        key = [c for c in tables[name].primary_key.columns.keys() if c in old.columns]
        new = snapshot_table(conn, name, old.columns, key)
        assert new.data == old.data, f"{name} changed: {_first_difference(old, new)}"
        assert new.rows == old.rows


def _assert_no_nulls_where_required(conn: sa.Connection) -> None:
    """Columns the model declares NOT NULL hold no NULL, also in rows made before them."""
    for table in metadata.sorted_tables:
        required = [c for c in table.columns if not c.nullable]
        nulls = conn.scalar(sa.select(sa.func.count()).select_from(table)
                            .where(sa.or_(*(c.is_(None) for c in required))))
        assert nulls == 0, f"{table.name}: {nulls} rows with NULL in a NOT NULL column"


def _assert_schema_is_head(conn: sa.Connection) -> None:
    """The upgraded, populated database has the schema of the model, CHECKs included."""
    assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    inspector = sa.inspect(conn)
    for table in metadata.sorted_tables:
        wanted = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert found == wanted, f"{table.name}: CHECK constraints {found}, expected {wanted}"


@pytest.mark.parametrize("revision", OLDER)
def test_upgrade_to_head_keeps_every_value(db_url: str, revision: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, revision)
        assert current_revision(engine) == revision
        with engine.begin() as conn:
            counts = fill(conn)
        assert counts and all(counts.values())
        with engine.connect() as conn:
            before = snapshot(conn)
        assert set(before) == set(counts)
        assert {name: len(s.rows) for name, s in before.items()} == counts

        upgrade(engine, "head")

        assert current_revision(engine) == head_revision(engine) == HEAD
        with engine.connect() as conn:
            _assert_kept(conn, before)
            _assert_no_nulls_where_required(conn)
            _assert_schema_is_head(conn)
        # The upgraded store goes on: every table takes a new row, and auto-numbered
        # ids continue after the old ones (a copied table must keep its sequence).
        with engine.begin() as conn:
            added = add_one_row_each(conn)
            numbered = {t.name: t.autoincrement_column.name for t in data_tables(reflect(conn))
                        if t.autoincrement_column is not None and t.name in before}
        assert {"observation", "target"} <= numbered.keys()  # there since 0001
        for name, column in numbered.items():
            position = before[name].columns.index(column)
            assert added[name][column] > max(r[position] for r in before[name].rows), name
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision", ["0002", "0003"])  # the audit log before its chain
def test_upgrade_chains_the_audit_entries_already_there(db_url: str, revision: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, revision)
        with engine.begin() as conn:
            entries = fill(conn)["audit_log"]
        upgrade(engine, "head")
        with engine.connect() as conn:
            chain = verify_chain(conn)
    finally:
        engine.dispose()
    assert chain.intact and chain.entries == entries > 0, chain.problem


def test_older_revisions_exist() -> None:
    """Guard: the parametrised test above really runs (0001 is older than head)."""
    assert OLDER and OLDER[0] == "0001"


def test_test_data_is_representative(db_url: str) -> None:
    """The factory, at head, makes what the upgrade test needs to prove anything."""
    engine = make_engine(db_url)
    try:
        upgrade(engine, "head")
        with engine.begin() as conn:
            fill(conn)
        with engine.connect() as conn:
            tables = snapshot(conn)
    finally:
        engine.dispose()
    assert set(tables) == {t.name for t in metadata.sorted_tables} - IGNORED_TABLES
    assert all(s.rows for s in tables.values())
    obs = tables["observation"]
    col = {name: n for n, name in enumerate(obs.columns)}
    versions: dict[tuple[object, ...], list[int]] = {}
    for row in obs.rows:
        key = tuple(row[col[c]] for c in ("indicator_id", "region_code", "period",
                                          "source_kind"))
        versions.setdefault(key, []).append(row[col["version"]])
    assert all(sorted(v) == list(range(1, VERSIONS_PER_VALUE + 1))
               for v in versions.values())
    assert {k[3] for k in versions} == {"published", "simulasi"}
    values = {canonical(row[col["value"]]) for row in obs.rows}
    assert {canonical(0.1 + 0.2), canonical(1e-9), canonical(5e-324)} <= values
    assert {r[0] for r in tables["region"].rows} == {code for code, *_ in REGIONS}
    texts = [v for row in obs.rows for v in row if isinstance(v, str)]
    assert any("\n" in t and "“" in t for t in texts)
    assert any(r[tables["indicator"].columns.index("scale_min")] is None
               for r in tables["indicator"].rows)


# --- the migration scripts themselves ----------------------------------------------------


def test_revisions_form_one_linear_chain() -> None:
    assert len(SCRIPTS.get_heads()) == 1, f"several heads: {SCRIPTS.get_heads()}"
    assert len(SCRIPTS.get_bases()) == 1, f"several bases: {SCRIPTS.get_bases()}"
    for script in REVISIONS:
        assert not script.is_merge_point, f"{script.revision} merges branches"
        assert not script.is_branch_point, f"{script.revision} starts a branch"
        assert not script.branch_labels and not script.dependencies, script.revision
    # Following down_revision from head visits every revision once, oldest last.
    chain, current = [], HEAD
    while current is not None:
        chain.append(current)
        current = SCRIPTS.get_revision(current).down_revision  # type: ignore[union-attr]
    assert chain == [s.revision for s in reversed(REVISIONS)]
    assert len(set(chain)) == len(chain)


def test_every_migration_file_is_a_documented_revision() -> None:
    files = {p.resolve() for p in (MIGRATIONS_DIR / "versions").glob("*.py")
             if p.name != "__init__.py"}
    scripts = {Path(s.path).resolve(): s for s in REVISIONS}
    assert files == set(scripts), "a file in migrations/versions is not an Alembic revision"
    for path, script in scripts.items():
        doc = script.module.__doc__ or ""
        assert doc.strip().splitlines()[0].strip(), f"{path.name} has no docstring"
        assert path.name.startswith(f"{script.revision}_"), path.name
        assert re.search(rf"^Revision ID: {re.escape(script.revision)}$", doc, re.M), path.name
        revises = re.search(r"^Revises: *(\S*)$", doc, re.M)
        assert revises is not None and revises[1] == (script.down_revision or ""), (
            f"{path.name}: docstring says Revises {revises and revises[1]!r}, "
            f"down_revision is {script.down_revision!r}")


def test_0006_leaves_old_values_without_a_record_count_and_takes_agregat(db_url: str) -> None:
    """Values stored before 0006 were not computed from records; after it, rollups fit."""
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0005")
        with engine.begin() as conn:
            fill(conn)
        upgrade(engine, "head")
        obs = sa.Table("observation", sa.MetaData(), autoload_with=engine)
        ind = sa.Table("indicator", sa.MetaData(), autoload_with=engine)
        with engine.begin() as conn:
            assert conn.scalar(sa.select(sa.func.count()).where(obs.c.records.is_not(None))) == 0
            assert set(conn.scalars(sa.select(ind.c.from_records))) == {False}
            row = dict(conn.execute(sa.select(obs).limit(1)).mappings().one())
            del row["id"]
            conn.execute(sa.insert(obs).values({**row, "source_kind": "agregat", "version": 1,
                                                "records": 2**40}))
            assert conn.scalar(sa.select(obs.c.records).where(
                obs.c.source_kind == "agregat")) == 2**40
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.insert(obs).values({**row, "source_kind": "rumor", "version": 1}))
    finally:
        engine.dispose()
