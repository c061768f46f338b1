"""The indicator store on SQLite and PostgreSQL: schema, catalogue, imports, versions."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from geodata.registry import Registry, load_registry
from ingest.bootstrap import load_published, prepare_database
from ingest.published import ImportRejectedError, import_file, import_targets
from ingest.store import seed_regions
from queries.catalogue import load_catalogue_file, read_catalogue
from queries.db import current_revision, head_revision, make_engine
from queries.schema import metadata, observation, region, target

HEADER = ["indicator", "level", "code", "name", "year", "value", "unit", "source_url", "note"]
GOOD = ["idi", "provinsi", "32", "Jawa Barat", "2024", "78.5", "index 0-100", "https://x.test", ""]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def snapshot(engine: sa.Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(observation).order_by(observation.c.id))]


def test_migrations_match_the_tables(engine: sa.Engine) -> None:
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_catalogue_is_seeded_from_the_definitions(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        catalogue = read_catalogue(conn)
    assert catalogue == load_catalogue_file()
    assert {"idi", "ikub", "ikp", "turnout_pilpres", "turnout_pileg", "turnout_pilkada", "iap",
            "ihai", "ikn", "ormas", "konflik"} <= set(catalogue)
    assert catalogue["ikp"].direction == "higher_worse"
    assert catalogue["idi"].category_of(80, 2024).label_id == "Sedang"  # type: ignore[union-attr]
    assert catalogue["idi"].category_of(80.01, 2024).label_id == "Baik"  # type: ignore[union-attr]
    assert catalogue["ikp"].category_of(68.5, 2024).label_en == "High vulnerability"  # type: ignore[union-attr]
    assert [b.period for b in catalogue["idi"].breaks] == [2021]
    assert catalogue["konflik"].aggregation == "sum"


def test_published_files_import_once(engine: sa.Engine, registry: Registry,
                                     published_dir: Path) -> None:
    load_published(engine, published_dir, registry, echo=lambda _m: None)
    expected = sum(
        len(pl.read_csv(p, infer_schema=False)) for p in published_dir.glob("*.csv")
        if p.name != "targets.csv"
    )
    rows = snapshot(engine)
    assert len(rows) == expected
    # Importing the same files again (bypassing the fingerprint) changes nothing.
    assert import_targets(published_dir / "targets.csv", engine) == 0
    for path in sorted(set(published_dir.glob("*.csv")) - {published_dir / "targets.csv"}):
        result = import_file(path, engine, registry)
        assert result.report.inserted == result.report.corrected == 0
    assert snapshot(engine) == rows
    with engine.connect() as conn:
        n_targets = conn.scalar(sa.select(sa.func.count()).select_from(target))
    assert n_targets == len(pl.read_csv(published_dir / "targets.csv"))


def test_a_correction_adds_a_version(engine: sa.Engine, registry: Registry,
                                     tmp_path: Path) -> None:
    import_file(write_csv(tmp_path / "a.csv", [GOOD]), engine, registry)
    corrected = [*GOOD[:5], "79.0", *GOOD[6:8], "koreksi BPS"]
    b = write_csv(tmp_path / "b.csv", [corrected])
    result = import_file(b, engine, registry)
    assert result.report.corrected == 1
    o = observation.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(o.version, o.value, o.source_url, o.note, o.provenance)
                            .order_by(o.version)).all()
    assert [tuple(r) for r in rows][1] == (
        2, 79.0, "https://x.test", "koreksi BPS",
        f"b.csv row 2 sha256:{hashlib.sha256(b.read_bytes()).hexdigest()[:12]}")
    assert [tuple(r)[:2] for r in rows] == [(1, 78.5), (2, 79.0)]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (["idx", *GOOD[1:]], "indicator", "unknown indicator 'idx'"),
        ([GOOD[0], GOOD[1], "99", *GOOD[3:]], "code", "unknown region code '99'"),
        ([*GOOD[:3], "Jawa Tengah", *GOOD[4:]], "name", "does not match code 32 (Jawa Barat)"),
        ([*GOOD[:5], "101", *GOOD[6:]], "value", "outside the range of idi (0 to 100)"),
        ([*GOOD[:5], "78.5%", *GOOD[6:]], "value", "not a number: '78.5%'"),
        ([*GOOD[:4], "20x4", *GOOD[5:]], "year", "bad year '20x4'"),
        ([*GOOD[:4], "2024.5", *GOOD[5:]], "year", "bad year"),
        ([GOOD[0], "provinsi", "32.73", "Kota Bandung", *GOOD[4:]], "level",
         "is a kabkota code, but level says provinsi"),
        ([GOOD[0], "kabkota", "32.73", "Kota Bandung", *GOOD[4:]], "level",
         "idi is not defined below provinsi"),
        ([GOOD[0], "desa", *GOOD[2:]], "level", "unknown level 'desa'"),
    ],
)
def test_one_bad_row_rejects_the_file(engine: sa.Engine, registry: Registry, tmp_path: Path,
                                      row: list[str], column: str, message: str) -> None:
    import_file(write_csv(tmp_path / "before.csv",
                          [[*GOOD[:4], "2023", "77", *GOOD[6:]]]), engine, registry)
    before = snapshot(engine)
    good_2022 = [*GOOD[:4], "2022", "70", *GOOD[6:]]
    path = write_csv(tmp_path / "bad.csv", [good_2022, row])
    with pytest.raises(ImportRejectedError) as info:
        import_file(path, engine, registry)
    assert f"bad.csv: row 3, column {column}: " in str(info.value)
    assert message in str(info.value)
    assert snapshot(engine) == before


def test_common_name_forms_are_accepted(engine: sa.Engine, registry: Registry,
                                        tmp_path: Path) -> None:
    rows = [["turnout_pileg", "kabkota", "32.04", "Kab. Bandung", "2024", "80", "", "", ""],
            ["turnout_pileg", "kecamatan", "32.73.01", "SUKASARI", "2024", "81", "", "", ""],
            ["turnout_pileg", "nasional", "", "Indonesia", "2024", "82", "", "", ""]]
    result = import_file(write_csv(tmp_path / "forms.csv", rows), engine, registry)
    assert result.report.inserted == 3


def test_the_region_table_holds_every_desa(db_url: str) -> None:
    """Values computed from records exist per desa: the app's database seeds all 83,762."""
    eng = make_engine(db_url)
    try:
        prepare_database(eng)
        with eng.begin() as conn:
            levels = dict(conn.execute(sa.select(region.c.level, sa.func.count())
                                       .group_by(region.c.level)).all())
            assert seed_regions(conn, load_registry(include_desa=True)) == 0  # once only
            parent = conn.scalar(sa.select(region.c.parent_code)
                                 .where(region.c.code == "32.73.01.1001"))
    finally:
        eng.dispose()
    assert levels == {"nasional": 1, "provinsi": 38, "kabkota": 514, "kecamatan": 7285,
                      "desa": 83_762}
    assert parent == "32.73.01"
