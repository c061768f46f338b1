"""Boundary vintages: the 34 provinces before the 2022 Papua split, and the map of 2019."""

from __future__ import annotations

from pathlib import Path

import flask
import geopandas as gpd
import orjson
import polars as pl
import pytest
import sqlalchemy as sa

from geodata.boundaries import old_provinces, read_layer
from geodata.http import boundaries_blueprint
from geodata.importer import import_boundaries
from geodata.registry import Registry
from geodata.serve import BoundaryStore, UnknownViewError
from geodata.vintages import (
    PRE_SPLIT,
    SPLIT_FROM,
    province_then,
    provinces_missing,
    vintage_file,
    vintage_of,
)
from queries.catalogue import read_catalogue
from queries.mapview import View, map_data

NEW = {"93": "Papua Selatan", "94": "Papua Tengah", "95": "Papua Pegunungan",
       "96": "Papua Barat Daya"}


def test_the_crosswalk_agrees_with_the_registry(registry: Registry) -> None:
    assert {code: registry.name(code) for code in SPLIT_FROM} == NEW
    assert {registry.name(old) for old in SPLIT_FROM.values()} == {"Papua", "Papua Barat"}
    assert all(registry.level(c) == "provinsi" for c in (*SPLIT_FROM, *SPLIT_FROM.values()))
    then = {province_then(r.code, PRE_SPLIT) for r in registry.at_level("kabkota")}
    assert len(then) == 34 and not then & set(SPLIT_FROM)
    assert province_then("93.01", PRE_SPLIT) == "91"  # Merauke was in Papua
    assert province_then("96.71.01", PRE_SPLIT) == "92"  # a kecamatan of Kota Sorong
    assert province_then("93.01", None) == "93" and province_then("32.73", PRE_SPLIT) == "32"
    assert (vintage_of(2019), vintage_of(2021), vintage_of(2022), vintage_of(None)) == (
        PRE_SPLIT, PRE_SPLIT, None, None)
    assert provinces_missing(PRE_SPLIT) == tuple(sorted(NEW)) and provinces_missing(None) == ()


def _area(frame: gpd.GeoDataFrame, codes: set[str]) -> float:
    return float(frame[frame["code"].isin(codes)].to_crs("EPSG:6933").area.sum())


def test_old_papua_is_the_union_of_its_current_kabkota(boundaries_dir: Path,
                                                       registry: Registry) -> None:
    kabkota = read_layer(boundaries_dir, "kabkota")
    provinsi = read_layer(boundaries_dir, "provinsi")
    old = old_provinces(kabkota, registry)
    assert len(old) == 34 and list(old["code"]) == sorted(old["code"])
    assert set(old["code"]) == {r.code for r in registry.at_level("provinsi")} - set(SPLIT_FROM)
    assert old.set_index("code").loc["91", "name"] == "Papua"
    papua = {"91", "93", "94", "95"}
    of_papua = {c for c in kabkota["code"] if c[:2] in papua}
    assert _area(old, {"91"}) == pytest.approx(_area(kabkota, of_papua), rel=1e-6)
    assert _area(old, {"92"}) == pytest.approx(_area(provinsi, {"92", "96"}), rel=0.01)
    # Old Papua and Papua Barat together cover the six current provinces.
    assert _area(old, {"91", "92"}) == pytest.approx(
        _area(provinsi, {"91", "92", *NEW}), rel=0.01)
    # The other 32 keep their outline (up to the coarser simplification of provinsi.parquet).
    others = old[~old["code"].isin(["91", "92"])].set_index("code").geometry
    current = provinsi.set_index("code").geometry
    assert all(others[c].intersection(current[c]).area > 0.95 * others[c].union(current[c]).area
               for c in others.index)
    with pytest.raises(ValueError, match="unknown boundary vintage 'x'"):
        old_provinces(kabkota, registry, "x")


def test_the_store_serves_34_provinces_for_2019_and_38_today(boundaries_dir: Path,
                                                            registry: Registry) -> None:
    store = BoundaryStore(boundaries_dir, registry)  # no vintage file: dissolved on use
    app = flask.Flask(__name__)
    app.register_blueprint(boundaries_blueprint(store))
    http = app.test_client()
    then = orjson.loads(http.get(f"/geo/provinsi.json?vintage={PRE_SPLIT}").data)["features"]
    now = orjson.loads(http.get("/geo/provinsi.json").data)["features"]
    assert (len(then), len(now)) == (34, 38)
    assert not {f["id"] for f in then} & set(SPLIT_FROM)
    assert len(store.simplified("kabkota", vintage=PRE_SPLIT)) == 514  # only provinces change
    refused = http.get("/geo/provinsi.json?vintage=1999")
    assert refused.status_code == 404 and "unknown boundary vintage" in refused.json["error"]
    with pytest.raises(UnknownViewError):
        store.payload("provinsi", vintage="1999")


def test_warming_the_store_dissolves_the_old_provinces_before_any_request(
        boundaries_dir: Path, registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    store = BoundaryStore(boundaries_dir, registry)
    store.warm()
    def no_more(*_args: object) -> None:
        raise AssertionError("dissolved on a request, after warm()")
    monkeypatch.setattr(store, "_build", no_more)
    assert store.payload("provinsi", vintage=PRE_SPLIT).body


def test_the_import_writes_the_old_provinces(boundaries_dir: Path, registry: Registry,
                                             tmp_path: Path) -> None:
    report = import_boundaries(boundaries_dir / "kabkota.parquet", level="kabkota",
                               code_column="code", out_dir=tmp_path, registry=registry)
    path = tmp_path / vintage_file(PRE_SPLIT)
    assert path in report.files
    old = gpd.read_parquet(path)
    assert len(old) == 34 and old.crs.to_epsg() == 4326
    assert len(BoundaryStore(tmp_path, registry).simplified("provinsi", vintage=PRE_SPLIT)) == 34


def test_a_2019_map_has_34_provinces_and_2024_has_38(demo_engine: sa.Engine,
                                                     registry: Registry,
                                                     published_dir: Path) -> None:
    with demo_engine.connect() as conn:
        catalogue = read_catalogue(conn)
        then = map_data(conn, View(indikator="idi", tahun=2019), registry, catalogue)
        now = map_data(conn, View(indikator="idi", tahun=2024), registry, catalogue)
        selected = map_data(conn, View(kode="94", indikator="idi", tahun=2019), registry,
                            catalogue)
    assert (then.layer.key, then.frame.height) == (f"provinsi:ID@{PRE_SPLIT}", 34)
    assert (now.layer.key, now.frame.height) == ("provinsi:ID", 38)
    assert not set(then.frame["code"]) & set(SPLIT_FROM)
    assert sum(then.classes.counts) + then.classes.missing == 34
    published = pl.read_csv(published_dir / "idi.csv", infer_schema=False).filter(
        (pl.col("year") == "2019") & pl.col("code").is_in(["91", "92"]))
    shown = dict(zip(then.frame["code"], then.frame["value"], strict=True))
    expected = {r["code"]: float(r["value"]) for r in published.iter_rows(named=True)}
    assert "91" in expected  # Papua's published IDI 2019, drawn on old Papua
    assert expected == {c: shown[c] for c in expected}
    assert selected.layer.selected == "91"  # Papua Tengah was part of Papua in 2019
