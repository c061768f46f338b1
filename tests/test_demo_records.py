"""Tests for the synthetic record streams of the demo (ingest/demo/records.py)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import shapely
from polars.testing import assert_frame_equal

from geodata.boundaries import read_layer
from geodata.registry import NATIONAL_CODE, Registry, load_registry
from ingest.demo import NEW_PAPUA_FIRST_YEAR, NEW_PAPUA_PROVINCES
from ingest.demo.records import (
    ELECTION_INDICATOR,
    MEDIA_TOPICS,
    ORMAS_AS_OF,
    RECORD_DERIVED,
    SCALES,
    TPS_TOTALS,
    Scale,
    _tps_layout,
    _world,
    condition_turnout,
    generate_records,
    hit_total,
    read_published,
    registered,
    write_demo_records,
)
from lake.streams import ACLED_EVENT_TYPES, ELECTIONS, ORMAS_FORMS, ORMAS_STATUS, STREAMS

SEED = 11


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(include_desa=True)


@pytest.fixture(scope="module")
def published(published_dir: Path) -> pl.DataFrame:
    return read_published(published_dir)


def collect(registry: Registry, boundaries: Path, published: pl.DataFrame,
            seed: int = SEED) -> dict[str, pl.DataFrame]:
    streams = generate_records(registry, boundaries, scale="small", seed=seed,
                               published=published)
    out = {}
    for name, frames in streams.items():
        parts = list(frames)
        for part in parts:
            assert part.schema == STREAMS[name].schema, name
        out[name] = pl.concat(parts)
    return out


@pytest.fixture(scope="module")
def small(registry: Registry, boundaries_dir: Path,
          published: pl.DataFrame) -> dict[str, pl.DataFrame]:
    start = time.perf_counter()
    out = collect(registry, boundaries_dir, published)
    sizes = ", ".join(f"{k} {len(v):,}" for k, v in out.items())
    print(f"\nsmall demo records in {time.perf_counter() - start:.1f} s: {sizes}")
    return out


def level_of(code: pl.Expr) -> pl.Expr:
    return code.str.count_matches(r"\.").replace_strict(
        {0: "provinsi", 1: "kabkota", 2: "kecamatan", 3: "desa"})


# -- shape and determinism ---------------------------------------------------------------


def test_schemas_are_the_stored_ones_and_rows_are_simulated(
        small: dict[str, pl.DataFrame], registry: Registry) -> None:
    assert set(small) == set(STREAMS)
    for name, frame in small.items():
        assert frame.schema == STREAMS[name].schema
        assert frame.height > 0
        assert frame["simulated"].all(), name
        assert frame.select("region_code", "date").null_count().sum_horizontal().item() == 0
        assert not frame.select(STREAMS[name].key).is_duplicated().any(), name
        levels = set(frame.select(level_of(pl.col("region_code")))["region_code"])
        assert levels <= set(STREAMS[name].levels), name
        codes = set(frame["region_code"].unique())
        assert not codes - {r.code for r in registry}, name


def test_deterministic(small: dict[str, pl.DataFrame], registry: Registry,
                       boundaries_dir: Path, published: pl.DataFrame) -> None:
    again = collect(registry, boundaries_dir, published)
    for name in STREAMS:
        assert_frame_equal(small[name], again[name])
    other = collect(registry, boundaries_dir, published, seed=SEED + 1)
    for name in STREAMS:
        assert not small[name].equals(other[name]), name


def test_bad_arguments_are_refused(registry: Registry, boundaries_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        generate_records(registry, boundaries_dir, scale="huge")
    with pytest.raises(ValueError, match="seed must be"):
        generate_records(registry, boundaries_dir, seed=-1)
    with pytest.raises(ValueError, match="no desa"):
        generate_records(load_registry(), boundaries_dir)


def test_nothing_in_the_new_papua_provinces_before_they_existed(
        small: dict[str, pl.DataFrame]) -> None:
    for name, frame in small.items():
        early = frame.filter(pl.col("date").dt.year() < NEW_PAPUA_FIRST_YEAR,
                             pl.col("region_code").str.slice(0, 2).is_in(NEW_PAPUA_PROVINCES))
        assert early.is_empty(), name
        late = frame.filter(pl.col("region_code").str.slice(0, 2).is_in(NEW_PAPUA_PROVINCES))
        assert not late.is_empty(), name


# -- TPS ---------------------------------------------------------------------------------


def test_tps_roll_up_to_every_published_turnout(small: dict[str, pl.DataFrame],
                                                published_dir: Path) -> None:
    tps = small["tps"]
    election_of = {v: k for k, v in ELECTION_INDICATOR.items()}
    checked = 0
    for path in sorted(published_dir.glob("turnout_*.csv")):
        rows = pl.read_csv(path, infer_schema=False)
        for row in rows.iter_rows(named=True):
            year = int(row["year"])
            records = tps.filter(pl.col("election") == election_of[row["indicator"]],
                                 pl.col("date").dt.year() == year)
            if records.is_empty():
                assert (row["indicator"], year) not in {
                    (ind, p) for ind, periods in RECORD_DERIVED.items() for p in periods}
                continue
            if row["level"] == "provinsi":
                records = records.filter(pl.col("region_code").str.starts_with(row["code"] + "."))
            turnout = records.select(pl.col("voters").sum() / registered().sum() * 100).item()
            text = row["value"]
            decimals = len(text.split(".")[1]) if "." in text else 0
            assert round(turnout, decimals) == float(text), row
            checked += 1
    assert checked == 21  # pilpres 3, pileg 16, pilkada 2024 2 (national, Sumatera Utara)


def test_tps_records_are_consistent(small: dict[str, pl.DataFrame]) -> None:
    tps = small["tps"]
    assert (tps["voters"] <= tps.select(registered()).to_series()).all()
    assert (tps["valid_votes"] + tps["invalid_votes"] == tps["voters"]).all()
    assert tps.select(pl.min_horizontal("dpt", "dptb", "dpk", "voters", "valid_votes",
                                        "invalid_votes").min()).item() >= 0
    assert tps["dpt"].min() >= 1 and tps["tps"].min() == 1
    assert set(tps["election"]) == set(ELECTIONS)
    # Pilpres and pileg of one polling day share their TPS and voter lists.
    for year in (2019, 2024):
        lists = [tps.filter(pl.col("election") == e, pl.col("date").dt.year() == year)
                 .select("region_code", "tps", "dpt", "dptb", "dpk")
                 for e in ("pilpres", "pileg_dpr")]
        assert_frame_equal(*lists)
    share = tps.group_by("election").agg(
        (pl.col("invalid_votes").sum() / pl.col("voters").sum()).alias("invalid"),
        pl.col("region_code").n_unique().alias("desa"))
    invalid = dict(share.select("election", "invalid").iter_rows())
    assert 0.02 <= invalid["pilpres"] <= 0.04
    assert invalid["pileg_dpr"] > invalid["pilpres"]
    # Every desa votes (the new Papua provinces only from 2023).
    assert tps.filter(pl.col("election") == "pilkada")["region_code"].n_unique() == 83_762
    # TPS numbers run 1..n within each desa.
    numbers = tps.group_by("election", "date", "region_code").agg(
        pl.col("tps").max() == pl.len())
    assert numbers["tps"].all()
    # Turnout varies between kecamatan, as it does.
    kec = tps.filter(pl.col("election") == "pilpres", pl.col("date").dt.year() == 2024) \
        .group_by(pl.col("region_code").str.slice(0, 8)) \
        .agg((pl.col("voters").sum() / registered().sum()).alias("t"))
    assert kec["t"].std() > 0.02


def test_full_scale_tps_counts(registry: Registry) -> None:
    world = _world(registry, SEED)
    for day, total in TPS_TOTALS.items():
        desa, number = _tps_layout(world, day, SCALES["full"])
        assert len(desa) == total
        assert number.min() == 1


def test_hit_total_seats_exactly_the_target() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(150, 300, 1_000)
    rate = rng.uniform(0.6, 0.95, 1_000)
    for total in (0, 123_456, int(base.sum() * 0.8), int(base.sum())):
        voters = hit_total(rate, base, total)
        assert voters.sum() == total
        assert ((voters >= 0) & (voters <= base)).all()
    with pytest.raises(ValueError, match="cannot seat"):
        hit_total(rate, base, int(base.sum()) + 1)


def test_condition_turnout_moves_only_unpublished_provinces_for_the_nation() -> None:
    rng = np.random.default_rng(5)
    base = rng.integers(150, 300, 3_000)
    rate = rng.uniform(0.6, 0.95, 3_000)
    prov = np.array(["11", "12", "13"])[rng.integers(0, 3, 3_000)]
    free = condition_turnout(rate, base, prov, {})
    voters = condition_turnout(rate, base, prov, {"11": 70.0, NATIONAL_CODE: 80.0})
    assert voters[prov == "11"].sum() == round(0.7 * base[prov == "11"].sum())
    assert voters.sum() == round(0.8 * base.sum())
    # Without targets the voters follow the rates; a published province's own TPS keep
    # their order (one shift for all).
    assert np.abs(free - rate * base).max() <= 0.5
    order = np.argsort(rate[prov == "11"])
    shifted = voters[prov == "11"] / base[prov == "11"]
    assert np.corrcoef(shifted[order], rate[prov == "11"][order])[0, 1] > 0.99


# -- ormas -------------------------------------------------------------------------------


def test_ormas_registry_is_consistent(small: dict[str, pl.DataFrame]) -> None:
    ormas = small["ormas"]
    assert ormas.height == SCALES["small"].ormas
    assert set(ormas["legal_form"]) == set(ORMAS_FORMS)
    assert set(ormas["status"]) == set(ORMAS_STATUS)
    assert ormas["date"].min() >= date(2000, 1, 1)
    assert ormas["date"].max() <= date(2024, 12, 31)
    skt = ormas.filter(pl.col("legal_form") == "skt")
    assert (skt["expires"] == skt["date"].dt.offset_by("5y")).all()
    assert ormas.filter(pl.col("legal_form") == "badan_hukum")["expires"].null_count() == \
        ormas.filter(pl.col("legal_form") == "badan_hukum").height
    assert (ormas.drop_nulls("expires").select(pl.col("expires") >= pl.col("date"))
            .to_series().all())
    # Status at ORMAS_AS_OF: an SKT past its date is expired unless revoked; nothing
    # active has expired; a permanent registration never expires.
    past = pl.col("expires") < ORMAS_AS_OF
    assert ormas.filter(pl.col("status") == "expired").select(
        (pl.col("legal_form") == "skt") & past).to_series().all()
    assert ormas.filter(pl.col("status") == "active").select(
        pl.col("expires").is_null() | ~past).to_series().all()
    assert ormas.filter((pl.col("legal_form") == "skt") & past).select(
        pl.col("status").is_in(["expired", "revoked"])).to_series().all()
    levels = ormas.select(level_of(pl.col("region_code")))["region_code"].value_counts()
    assert set(levels["region_code"]) == {"desa", "kabkota"}
    # More organisations in Jawa than in Papua, as the demo's ormas indicator.
    island = ormas.group_by(pl.col("region_code").str.slice(0, 1)).len()
    by_island = dict(island.iter_rows())
    assert by_island["3"] > 5 * by_island["9"]


# -- incidents ---------------------------------------------------------------------------


def test_incidents_look_like_acled(small: dict[str, pl.DataFrame]) -> None:
    incidents = small["incidents"]
    assert set(incidents["event_type"]) == set(ACLED_EVENT_TYPES)
    assert (incidents["located_by"] == "code").all()
    assert set(incidents.select(level_of(pl.col("region_code")))["region_code"]) == \
        {"kecamatan"}
    assert set(incidents["time_precision"]) == {1, 2, 3}
    assert incidents["notes"].str.starts_with("DATA SIMULASI").all()
    assert incidents.filter(pl.col("fatalities") == 0).height > 0.9 * incidents.height
    per_year = incidents.group_by(pl.col("date").dt.year()).len()
    assert sorted(per_year["date"]) == list(range(2015, 2025))
    assert per_year["len"].min() >= 10_000
    # Hot spots: more incidents per kecamatan in Papua than in Jawa (since the new
    # provinces exist).
    recent = incidents.filter(pl.col("date").dt.year() >= NEW_PAPUA_FIRST_YEAR)
    per_kec = recent.group_by(pl.col("region_code").str.slice(0, 1).alias("island")).agg(
        (pl.len() / pl.col("region_code").n_unique()).alias("per_kec"))
    rate = dict(per_kec.iter_rows())
    assert rate["9"] > 2 * rate["3"]
    # Seasonality: the busiest month is well above the quietest.
    months = incidents.group_by(pl.col("date").dt.month()).len()["len"]
    assert months.max() > 1.2 * months.min()


def test_incident_points_lie_in_their_kecamatan(small: dict[str, pl.DataFrame],
                                                boundaries_dir: Path) -> None:
    layer = read_layer(boundaries_dir, "kecamatan")
    polygon = dict(zip(layer["code"], layer.geometry, strict=True))
    sample = small["incidents"].sample(3_000, seed=1)
    geoms = np.array([polygon[c] for c in sample["region_code"]], dtype=object)
    inside = shapely.contains_xy(geoms, sample["longitude"].to_numpy(),
                                 sample["latitude"].to_numpy())
    assert inside.all(), sample.filter(~pl.Series(inside)).head()


# -- media -------------------------------------------------------------------------------


def test_media_signals(small: dict[str, pl.DataFrame]) -> None:
    media = small["media"]
    assert media.height == SCALES["small"].media
    assert media["mention_id"].n_unique() == media.height
    assert set(media["topic"]) == set(MEDIA_TOPICS)
    assert set(media["tone"]) == {-1, 0, 1}
    assert media["date"].min() >= date(2020, 1, 1)
    assert media["date"].max() <= date(2024, 12, 31)
    levels = set(media.select(level_of(pl.col("region_code")))["region_code"])
    assert levels == {"kabkota", "kecamatan", "desa"}
    # "pemilu" rises before the 2024 polls.
    share = media.group_by(pl.col("date").dt.year()).agg(
        (pl.col("topic") == "pemilu").mean().alias("pemilu"))
    by_year = dict(share.iter_rows())
    assert by_year[2024] > 1.3 * by_year[2022]


def test_media_chunks_do_not_repeat_ids(registry: Registry, boundaries_dir: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SCALES, "small", Scale(tps_fraction=1 / 8, ormas=100,
                                               incidents_per_year=100, media=25_000,
                                               media_chunk=10_000))
    frames = list(generate_records(registry, boundaries_dir, seed=SEED)["media"])
    assert [len(f) for f in frames] == [10_000, 10_000, 5_000]
    ids = pl.concat(frames)["mention_id"]
    assert ids.n_unique() == 25_000


# -- files -------------------------------------------------------------------------------


def test_write_demo_records(tmp_path: Path, registry: Registry, boundaries_dir: Path,
                            published: pl.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SCALES, "small", Scale(tps_fraction=1 / 8, ormas=1_000,
                                               incidents_per_year=1_000, media=30_000,
                                               media_chunk=20_000))
    written = write_demo_records(tmp_path, registry, boundaries_dir, "small", SEED,
                                 published=published)
    expected = generate_records(registry, boundaries_dir, seed=SEED, published=published)
    assert [p.name for p in written["media"]] == ["media-00000.parquet", "media-00001.parquet"]
    for name, paths in written.items():
        assert all(p.parent == tmp_path / name for p in paths)
        assert not list((tmp_path / name).glob("*.tmp"))
        stored = pl.read_parquet(paths)
        assert stored.schema == STREAMS[name].schema
        assert_frame_equal(stored, pl.concat(list(expected[name])))
    with pytest.raises(FileExistsError, match="already holds Parquet files"):
        write_demo_records(tmp_path, registry, boundaries_dir, "small", SEED)
