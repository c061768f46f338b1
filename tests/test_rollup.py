"""Rollups: hand-computed values, DuckDB and Spark identical, incremental = full restricted."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lake.rollup import (
    DEFINITIONS,
    OUTPUT_SCHEMA,
    Definition,
    RollupError,
    definition,
    rollup,
)
from lake.streams import STREAMS
from tests.conftest import unavailable

D = date


def tps(election: str, day: date, code: str, dpt: int, voters: int | None, *, tps_no: int = 1,
        dptb: int | None = 0, invalid: int = 0, sim: bool = False) -> dict[str, Any]:
    return {"election": election, "date": day, "region_code": code, "tps": tps_no, "dpt": dpt,
            "dptb": dptb, "dpk": 0, "voters": voters, "valid_votes": 0,
            "invalid_votes": invalid, "simulated": sim}


PILPRES = D(2024, 2, 14)
TPS_ROWS = [
    # 32.73.01.1001: 540 of 1000 (54 %); 32.73.01.1002: 100 of 100 (100 %). The kecamatan
    # is 640 / 1100 = 58.18 %, while the mean of the two desa would be 77 %.
    tps("pilpres", PILPRES, "32.73.01.1001", 100, 90, invalid=9),
    tps("pilpres", PILPRES, "32.73.01.1001", 900, 450, tps_no=2, invalid=1),
    tps("pilpres", PILPRES, "32.73.01.1002", 100, 100, dptb=None, invalid=0),
    tps("pileg_dpr", PILPRES, "32.73.01.1002", 100, 80),
    tps("pilpres", D(2019, 4, 17), "32.73.01.1001", 1000, 800),
    # Province 35 is simulated; one desa has no registered voters (value missing).
    tps("pilpres", PILPRES, "35.78.01.1001", 0, 0, sim=True),
    tps("pilpres", PILPRES, "35.78.02.2001", 200, 150, dptb=None, sim=True),
    tps("pilkada", D(2024, 11, 27), "35.78.02.2001", 200, 100, sim=True),
]


def incident(event_id: str, day: date, code: str, fatalities: int | None,
             kind: str = "Riots", sim: bool = False) -> dict[str, Any]:
    return {"event_id": event_id, "date": day, "time_precision": 1, "event_type": kind,
            "fatalities": fatalities, "region_code": code, "located_by": "code",
            "simulated": sim}


INCIDENT_ROWS = [
    incident("a", D(2023, 12, 31), "32.73.01.1001", 2),
    incident("b", D(2024, 1, 1), "32.73.01", 1),          # kecamatan-coded
    incident("c", D(2024, 6, 1), "32.73.01.1002", None),
    incident("d", D(2024, 6, 2), "32.73.01.1002", 5, kind="Strategic developments"),
    incident("e", D(2024, 3, 3), "35.78.02", 0, sim=True),
]


def org(org_id: str, registered: date, expires: date | None, code: str,
        status: str = "active", sim: bool = False) -> dict[str, Any]:
    return {"org_id": org_id, "name": org_id, "field": "sosial", "legal_form": "skt",
            "date": registered, "expires": expires, "status": status, "region_code": code,
            "simulated": sim}


ORMAS_ROWS = [
    org("A", D(2020, 5, 1), None, "32.73"),                             # 2020-2024
    org("B", D(2021, 1, 1), D(2024, 3, 31), "32.73.01.1001"),           # 2021-2023
    org("C", D(2022, 2, 2), None, "32.73", status="revoked"),          # never
    org("D", D(2023, 12, 31), D(2024, 12, 31), "32.71"),                # 2023 only
    org("E", D(2024, 6, 1), D(2025, 5, 1), "35.78.02.2001", sim=True),  # 2024
]


def mention(n: int, day: date, code: str | None, tone: int, sim: bool = False) -> dict[str, Any]:
    return {"mention_id": f"m{n}", "date": day, "region_code": code, "topic": "pemilu",
            "tone": tone, "simulated": sim}


MEDIA_ROWS = [
    mention(1, D(2024, 1, 5), "32.73.01.1001", -1),
    mention(2, D(2024, 1, 5), "32.73.01", 0),
    mention(3, D(2024, 2, 5), "32.73", -1),
    mention(4, D(2024, 2, 5), "32.71", 1),
    mention(5, D(2024, 2, 5), "35.78", -1, sim=True),
    mention(6, D(2024, 2, 5), None, -1),  # located nowhere: counts in no region
]


def write(root: Path, stream: str, rows: list[dict[str, Any]], tag: str = "1") -> None:
    schema = STREAMS[stream].schema
    frame = pl.DataFrame(rows).select(
        [pl.col(c).cast(t) if c in rows[0] else pl.lit(None, t).alias(c)
         for c, t in schema.items()])
    for (year, prov), part in frame.group_by(pl.col("date").dt.year(),
                                             pl.col("region_code").str.slice(0, 2).fill_null("32")):
        folder = root / "data" / f"stream={stream}" / f"year={year}" / f"prov={prov}"
        folder.mkdir(parents=True, exist_ok=True)
        part.write_parquet(folder / f"{tag}-0.parquet")


def files_of(root: Path) -> dict[str, list[Path]]:
    return {s: sorted((root / "data" / f"stream={s}").glob("year=*/prov=*/*.parquet"))
            for s in STREAMS}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    write(root, "tps", TPS_ROWS)
    write(root, "incidents", INCIDENT_ROWS)
    write(root, "ormas", ORMAS_ROWS)
    write(root, "media", MEDIA_ROWS)
    return root


@pytest.fixture(scope="session")
def spark() -> Any:
    if shutil.which("java") is None:
        unavailable("java not found (make java installs openjdk-17-jre-headless)")
    try:
        from lake.spark import session
    except ImportError:  # pragma: no cover
        unavailable("pyspark not installed")
    spark = session("local[2]")
    yield spark
    spark.stop()


@pytest.fixture(scope="module")
def full(lake: Path) -> pl.DataFrame:
    return rollup(files_of(lake))


def same(left: pl.DataFrame, right: pl.DataFrame) -> None:
    """Assert two rollup frames hold the same rows (their order is not part of the contract)."""
    key = ["indicator_id", "region_code", "period"]
    assert_frame_equal(left.sort(key), right.sort(key))


def value(frame: pl.DataFrame, indicator: str, code: str, period: int) -> dict[str, Any]:
    rows = frame.filter((pl.col("indicator_id") == indicator) & (pl.col("region_code") == code)
                        & (pl.col("period") == period)).to_dicts()
    assert len(rows) == 1, (indicator, code, period, rows)
    return rows[0]


def test_turnout_is_the_ratio_of_sums_at_every_level(full: pl.DataFrame) -> None:
    assert value(full, "turnout_pilpres", "32.73.01.1001", 2024)["value"] == pytest.approx(54)
    kec = value(full, "turnout_pilpres", "32.73.01", 2024)
    assert kec["value"] == pytest.approx(100 * 640 / 1100)  # not (54 + 100) / 2
    assert (kec["level"], kec["records"]) == ("kecamatan", 3)
    assert value(full, "turnout_pilpres", "32", 2024)["level"] == "provinsi"
    nat = value(full, "turnout_pilpres", "ID", 2024)
    assert nat["value"] == pytest.approx(100 * 790 / 1300)
    assert (nat["level"], nat["records"], nat["simulated"]) == ("nasional", 5, True)
    assert value(full, "turnout_pilpres", "ID", 2019)["value"] == pytest.approx(80)
    assert value(full, "turnout_pileg", "32.73", 2024)["value"] == pytest.approx(80)
    assert value(full, "turnout_pilkada", "35", 2024)["value"] == pytest.approx(50)
    assert full.filter(pl.col("indicator_id") == "turnout_pilkada")["region_code"] \
        .str.starts_with("32").sum() == 0


def test_a_zero_denominator_gives_a_missing_value_not_zero(full: pl.DataFrame) -> None:
    zero = value(full, "turnout_pilpres", "35.78.01.1001", 2024)
    assert zero["value"] is None and zero["records"] == 1
    assert value(full, "turnout_pilpres", "35.78", 2024)["value"] == pytest.approx(75)
    invalid = value(full, "suara_tidak_sah_pilpres", "32.73.01.1001", 2024)
    assert invalid["value"] == pytest.approx(100 * 10 / 540)
    assert value(full, "suara_tidak_sah_pilpres", "35.78.01.1001", 2024)["value"] is None


def test_simulated_records_mark_every_value_they_reach(full: pl.DataFrame) -> None:
    pilpres = full.filter((pl.col("indicator_id") == "turnout_pilpres")
                          & (pl.col("period") == 2024))
    marked = dict(zip(pilpres["region_code"], pilpres["simulated"], strict=True))
    assert all(marked[c] for c in marked if c.startswith("35")) and marked["ID"]
    assert not any(marked[c] for c in marked if c.startswith("32"))
    assert value(full, "ormas", "ID", 2023)["simulated"] is False
    assert value(full, "ormas", "ID", 2024)["simulated"] is True


def test_incidents_count_in_their_year_down_to_kecamatan(full: pl.DataFrame) -> None:
    konflik = full.filter(pl.col("indicator_id") == "konflik")
    assert set(konflik["level"]) == {"kecamatan", "kabkota", "provinsi", "nasional"}
    assert value(full, "konflik", "32.73.01", 2023)["value"] == 1
    assert value(full, "konflik", "32.73.01", 2024)["value"] == 2  # strategic dev. excluded
    assert value(full, "konflik", "ID", 2024)["value"] == 3
    assert value(full, "konflik_korban", "32.73.01", 2024)["value"] == 1  # null counts 0
    assert value(full, "konflik_korban", "ID", 2023)["value"] == 2


def test_ormas_are_counted_as_at_the_end_of_each_year(full: pl.DataFrame) -> None:
    counts = {p: value(full, "ormas", "ID", p)["value"] for p in range(2020, 2025)}
    assert counts == {2020: 1, 2021: 2, 2022: 2, 2023: 3, 2024: 2}
    assert value(full, "ormas", "32.73", 2023)["value"] == 2
    assert value(full, "ormas", "32.71", 2023)["level"] == "kabkota"
    assert full.filter((pl.col("indicator_id") == "ormas")
                       & (pl.col("level") == "kecamatan")).height == 0
    expiring = full.filter(pl.col("indicator_id") == "ormas_kedaluwarsa")
    # A region with organisations but none expiring has 0 (known), not a missing value.
    assert value(full, "ormas_kedaluwarsa", "32.73", 2022)["value"] == 0
    assert value(full, "ormas_kedaluwarsa", "32.73", 2022)["records"] == 3  # A, B, C
    assert {(r["region_code"], r["period"]) for r in expiring.to_dicts() if r["value"]} == {
        ("32.73", 2023), ("32", 2023), ("ID", 2023),  # B, not D (expires after June)
        ("35.78", 2024), ("35", 2024), ("ID", 2024)}  # E
    new = {r["period"]: r["value"] for r in full.filter(
        (pl.col("indicator_id") == "ormas_baru") & (pl.col("region_code") == "ID")).to_dicts()}
    assert new == {2020: 1, 2021: 1, 2022: 1, 2023: 1, 2024: 1}


def test_media_counts_each_mention_at_its_own_level_and_above(full: pl.DataFrame) -> None:
    assert value(full, "media_negatif", "32.73", 2024)["value"] == pytest.approx(200 / 3)
    assert value(full, "media_negatif", "32", 2024)["value"] == pytest.approx(50)
    assert value(full, "media_negatif", "ID", 2024)["value"] == pytest.approx(60)
    assert value(full, "media_negatif", "ID", 2024)["records"] == 5


def test_the_output_follows_the_contract(full: pl.DataFrame) -> None:
    assert full.schema == OUTPUT_SCHEMA
    assert full.select("indicator_id", "region_code", "period").is_unique().all()
    assert set(full["indicator_id"]) == {d.id for d in DEFINITIONS}
    assert set(full.filter(pl.col("indicator_id") == "turnout_pilpres")["level"]) == {
        "desa", "kecamatan", "kabkota", "provinsi", "nasional"}


def test_batches_of_whole_provinces_give_the_same_frame(
        lake: Path, full: pl.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lake.rollup.BATCH_BYTES", 1)  # a query per province
    same(rollup(files_of(lake)), full)
    by_tone = Definition(id="media_nada", stream="media", lowest="desa", numerator="1",
                          period="month", by="tone")
    many = rollup(files_of(lake), [by_tone])
    assert many.filter(pl.col("level") == "provinsi")["region_code"].n_unique() == 2
    assert many.n_unique("indicator_id") > 1
    monkeypatch.setattr("lake.rollup.BATCH_BYTES", 2**40)  # one query
    same(rollup(files_of(lake), [by_tone]), many)


def test_spark_gives_the_same_frame_as_duckdb(lake: Path, full: pl.DataFrame,
                                              spark: Any) -> None:
    same(rollup(files_of(lake), engine="spark", session=spark), full)


@pytest.mark.parametrize(("years", "provs"), [([2024], ["32"]), ([2023], ["35"]),
                                              (None, ["35"]), ([2024], None)])
@pytest.mark.parametrize("cached", [False, True])
def test_an_incremental_refresh_equals_the_full_rollup_restricted(
        lake: Path, full: pl.DataFrame, tmp_path: Path, years: list[int] | None,
        provs: list[str] | None, cached: bool) -> None:
    cache = tmp_path / "cache.parquet" if cached else None
    if cache:
        rollup(files_of(lake), cache=cache)  # fills the cache
    part = rollup(files_of(lake), years=years, provs=provs, cache=cache)
    ormas = pl.col("indicator_id").str.starts_with("ormas")  # stocks: every later year
    in_period = pl.lit(True) if years is None else pl.when(ormas).then(
        pl.col("period") >= min(years)).otherwise(pl.col("period").is_in(years))
    in_region = pl.lit(True) if provs is None else (
        pl.col("region_code").str.slice(0, 2).is_in(provs) | (pl.col("region_code") == "ID"))
    expected = full.filter(in_period & in_region)
    same(part, expected)
    assert part.filter(pl.col("region_code") == "ID").height > 0


def test_a_stale_cache_entry_is_read_again(lake: Path, tmp_path: Path) -> None:
    root = tmp_path / "lake"
    shutil.copytree(lake, root)
    cache = tmp_path / "cache.parquet"
    rollup(files_of(root), cache=cache)
    write(root, "tps", [tps("pilpres", PILPRES, "35.78.02.2001", 800, 800, tps_no=9)], tag="2")
    part = rollup(files_of(root), [definition("turnout_pilpres")], years=[2024], provs=["32"],
                  cache=cache)
    assert value(part, "turnout_pilpres", "ID", 2024)["value"] == pytest.approx(
        100 * 1590 / 2100)
    assert value(part, "turnout_pilpres", "ID", 2024)["records"] == 6


def test_bad_input_is_refused_by_name(lake: Path) -> None:
    with pytest.raises(RollupError, match="engine 'polars'"):
        rollup(files_of(lake), engine="polars")
    with pytest.raises(RollupError, match="not a lake data file"):
        rollup({"tps": [lake / "x.parquet"]}, [definition("turnout_pilpres")])
    with pytest.raises(RollupError, match="no rollup definition"):
        definition("nope")
