"""Records to the map: ingest into the lake, roll up, store; incremental refresh; the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cli import main
from geodata.registry import Registry, load_registry
from ingest.aggregates import refresh
from ingest.store import seed_regions
from lake.ingest import ingest
from lake.store import Lake
from queries.catalogue import read_catalogue
from queries.indicators import indicator_values
from queries.schema import observation

HEADER = ["pemilu", "tanggal", "kode_desa", "no_tps", "dpt", "dptb", "dpk",
          "pengguna_hak_pilih", "suara_sah", "suara_tidak_sah"]
# Two desa of Sukasari (Kota Bandung) with two TPS each, one desa in Aceh.
TPS = [
    ["pilpres", "2024-02-14", "32.73.01.1001", "1", "200", "0", "0", "100", "98", "2"],
    ["pilpres", "2024-02-14", "32.73.01.1001", "2", "200", "0", "0", "180", "176", "4"],
    ["pilpres", "2024-02-14", "32.73.01.1002", "1", "600", "0", "0", "540", "530", "10"],
    ["pilpres", "2024-02-14", "32.73.01.1002", "2", "0", "0", "0", "0", "0", "0"],
    ["pilpres", "2024-02-14", "11.01.01.2001", "1", "300", "0", "0", "210", "205", "5"],
]


@pytest.fixture(scope="module")
def desa_registry() -> Registry:
    return load_registry(include_desa=True)


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([HEADER, *rows])
    return path


def _stored(engine: sa.Engine) -> dict[str, tuple[float, int, int]]:
    """Return the newest rolled-up turnout per region: (value, records, version)."""
    o = observation.c
    query = (sa.select(o.region_code, o.value, o.records, o.version)
             .where(o.indicator_id == "turnout_pilpres", o.source_kind == "agregat")
             .order_by(o.region_code, o.version))
    with engine.connect() as conn:
        return {code: (value, records, version)
                for code, value, records, version in conn.execute(query)}


def test_records_reach_every_level_and_an_ingest_refreshes_only_its_partitions(
        engine: sa.Engine, desa_registry: Registry, tmp_path: Path) -> None:
    with engine.begin() as conn:
        seed_regions(conn, desa_registry)
    lake = Lake(tmp_path / "lake")
    ingest(lake, "tps", [_csv(tmp_path / "tps.csv", TPS)], registry=desa_registry)
    refresh(engine, lake)

    stored = _stored(engine)
    # Turnout is the ratio of sums at every level, never a mean of the TPS or desa ratios.
    assert stored["32.73.01.1001"] == (pytest.approx(70.0), 2, 1)
    assert stored["32.73.01.1002"] == (pytest.approx(90.0), 2, 1)
    assert stored["32.73.01"] == (pytest.approx(100 * 820 / 1000), 4, 1)
    for code in ("32.73", "32"):
        assert stored[code][:2] == (pytest.approx(82.0), 4)
    assert stored["ID"] == (pytest.approx(100 * 1030 / 1300), 5, 1)
    assert stored["11.01.01.2001"] == (pytest.approx(70.0), 1, 1)
    with engine.connect() as conn:
        ind = read_catalogue(conn)["turnout_pilpres"]
        desa = indicator_values(conn, ind, "desa", 2024, "32.73.01")
    shown = desa.filter(desa["code"] == "32.73.01.1001").row(0, named=True)
    assert shown["kind"] == "aggregated" and not shown["simulated"]
    assert "dihitung dari 2 catatan" in shown["provenance"]

    # A correction of one TPS in Jawa Barat: only that province and the nation change.
    fix = [["pilpres", "2024-02-14", "32.73.01.1001", "1", "200", "0", "0", "160", "157", "3"]]
    result = ingest(lake, "tps", [_csv(tmp_path / "fix.csv", fix)], registry=desa_registry)
    assert result.partitions == {(2024, "32")}
    report = refresh(engine, lake, partitions=result.partitions)
    after = _stored(engine)
    assert after["32.73.01.1001"] == (pytest.approx(85.0), 2, 2)
    assert after["32.73.01"][0] == pytest.approx(100 * 880 / 1000)
    assert after["ID"] == (pytest.approx(100 * 1090 / 1300), 5, 2)
    assert after["11.01.01.2001"] == stored["11.01.01.2001"]  # Aceh: not even read again
    assert after["32.73.01.1002"] == stored["32.73.01.1002"]  # unchanged: no new version
    # Desa 1001 and the four levels above it, for turnout and for the invalid-vote share;
    # desa 1002 is read again and unchanged; nothing of Aceh is read.
    assert (report.corrected, report.unchanged) == (10, 2)
    assert refresh(engine, lake, partitions=set()).inserted == 0


def test_lake_commands_ingest_and_roll_up_into_the_store(
        tmp_path: Path, desa_registry: Registry, boundaries_dir: Path) -> None:
    env = {"MATA_GARUDA_VAR_DIR": str(tmp_path / "var"),
           "MATA_GARUDA_BOUNDARIES_DIR": str(boundaries_dir)}
    runner = CliRunner()
    file = _csv(tmp_path / "tps.csv", TPS)
    done = runner.invoke(main, ["lake", "ingest", "tps", str(file)], env=env)
    assert done.exit_code == 0, done.output
    assert "5 stored" in done.output
    assert "rollup of 2 partition(s): " in done.output
    again = runner.invoke(main, ["lake", "rollup"], env=env)
    assert again.exit_code == 0, again.output
    assert "rollup (duckdb): 0 new, 0 changed" in again.output
    for command in ("status", "ingest", "rollup", "vacuum"):
        shown = runner.invoke(main, ["lake", command, "--help"], env=env)
        assert shown.exit_code == 0 and "Usage:" in shown.output
