"""The map view: URL parsing and building, layers, and the data that colours a map."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import polars as pl
import pytest
import sqlalchemy as sa

from components.map import hideout, legend
from geodata.registry import MAP_LEVELS, Registry
from queries.catalogue import load_catalogue_file, read_catalogue
from queries.indicators import data_levels
from queries.mapview import View, fit_view, layer_of, map_data, parse_view, summary, view_url

CATALOGUE = load_catalogue_file()


def parse(url: str, registry: Registry) -> tuple[View, list[tuple[str, dict[str, object]]]]:
    parts = urlsplit(url)
    kode = parts.path.removeprefix("/wilayah/") if parts.path.startswith("/wilayah/") else None
    return parse_view(kode, dict(parse_qsl(parts.query)), registry, CATALOGUE)


def test_the_issue_example_url(registry: Registry) -> None:
    view, messages = parse("/wilayah/32.73?indikator=idi&tahun=2024&kelas=jenks&n=5", registry)
    assert messages == []
    assert view == View(kode="32.73", indikator="idi", tahun=2024, kelas="jenks", n=5)


@pytest.mark.parametrize("view", [
    View(), View(kode="32"), View(kode="32.73.01", indikator="konflik", tahun=2019),
    View(indikator="ikp", tampil="perubahan", dari=2019, kelas="kuantil", n=7, palet="Reds"),
    View(tingkat="kecamatan", indikator="turnout_pilpres", kelas="interval", n=3),
])
def test_urls_round_trip(view: View, registry: Registry) -> None:
    assert parse(view_url(view), registry) == (view, [])


@pytest.mark.parametrize(("url", "key", "expected"), [
    ("/wilayah/99.99?indikator=idi", "peta.error.kode", View()),
    ("/wilayah/32.73.01.1001", "peta.error.kode", View()),
    ("/wilayah/abc", "peta.error.kode", View()),
    ("/?indikator=nope", "peta.error.indikator", View()),
    ("/?tahun=20x4", "peta.error.tahun", View()),
    ("/?kelas=magic", "peta.error.kelas", View()),
])
def test_bad_url_parts_fall_back_with_a_message(url: str, key: str, expected: View,
                                                registry: Registry) -> None:
    view, messages = parse(url, registry)
    assert view == expected
    assert [m[0] for m in messages] == [key]


def test_numbers_are_clamped(registry: Registry) -> None:
    assert parse("/?n=99", registry)[0].n == 9
    assert parse("/?n=0", registry)[0].n == 2
    assert parse("/?tingkat=desa", registry)[0].tingkat is None


def test_layers(registry: Registry) -> None:
    def key(view: View) -> str:
        return layer_of(view, registry, MAP_LEVELS).key

    assert key(View()) == "provinsi:ID"
    assert key(View(tingkat="kecamatan")) == "kecamatan:ID"
    assert key(View(kode="32")) == "kabkota:32"
    assert key(View(kode="32", tingkat="kecamatan")) == "kecamatan:32"
    assert key(View(kode="32.73")) == "kecamatan:32.73"
    selected = layer_of(View(kode="32.73.01"), registry, MAP_LEVELS)
    assert (selected.key, selected.selected) == ("kecamatan:32.73", "32.73.01")


@pytest.mark.parametrize(("view", "levels", "key", "selected"), [
    (View(kode="32"), ("provinsi",), "provinsi:ID", "32"),
    (View(kode="32.73"), ("provinsi",), "provinsi:ID", "32"),
    (View(kode="32.73.01"), ("provinsi",), "provinsi:ID", "32"),
    (View(kode="32.73"), ("provinsi", "kabkota"), "kabkota:32", "32.73"),
    (View(kode="32.73.01"), ("provinsi", "kabkota"), "kabkota:32", "32.73"),
    (View(kode="32", tingkat="kecamatan"), ("provinsi", "kabkota"), "kabkota:32", None),
    (View(tingkat="kecamatan"), ("provinsi",), "provinsi:ID", None),
    (View(tingkat="kecamatan"), ("provinsi", "kabkota"), "kabkota:ID", None),
])
def test_a_layer_below_the_data_gives_way_to_the_finest_level_with_data(
        view: View, levels: tuple[str, ...], key: str, selected: str | None,
        registry: Registry) -> None:
    layer = layer_of(fit_view(view, levels), registry, levels)  # type: ignore[arg-type]
    assert (layer.key, layer.selected) == (key, selected)


def test_fit_view_keeps_tingkat_within_the_levels_with_data() -> None:
    assert fit_view(View(tingkat="kecamatan"), ("provinsi",)).tingkat is None
    assert fit_view(View(tingkat="kecamatan"), ("provinsi", "kabkota")).tingkat == "kabkota"
    assert fit_view(View(kode="32", tingkat="kecamatan"), ("provinsi", "kabkota")).tingkat is None
    assert fit_view(View(tingkat="kecamatan"), MAP_LEVELS).tingkat == "kecamatan"


def test_levels_come_from_the_data(loaded_engine: sa.Engine, demo_engine: sa.Engine) -> None:
    with demo_engine.connect() as conn:
        catalogue = read_catalogue(conn)
        demo = {i: data_levels(conn, catalogue[i]) for i in ("idi", "ikub", "iap", "ikp",
                                                             "konflik")}
    with loaded_engine.connect() as conn:  # published figures only: none below provinsi
        published = {i: data_levels(conn, catalogue[i]) for i in ("ikp", "konflik")}
    assert demo == {"idi": ("provinsi",), "ikub": ("provinsi",), "iap": ("provinsi",),
                    "ikp": ("provinsi", "kabkota"), "konflik": MAP_LEVELS}
    assert published == {"ikp": ("provinsi",), "konflik": ("provinsi",)}


def test_national_idi_map(demo_engine: sa.Engine, registry: Registry) -> None:
    with demo_engine.connect() as conn:
        catalogue = read_catalogue(conn)
        data = map_data(conn, View(), registry, catalogue)
        s = summary(conn, data, registry)
    assert data.period == 2024 and data.method == "kategori"
    assert data.frame.height == 38
    assert sum(data.classes.counts) + data.classes.missing == 38
    assert data.classes.missing == data.frame["value"].null_count()
    jabar = data.frame.filter(pl.col("code") == "32").row(0, named=True)
    assert (jabar["value"], jabar["simulated"], jabar["source"]) == (82.8, False, "BPS")
    assert data.any_simulated and data.sources == ["BPS"]
    assert s.value == 79.81 and not s.simulated  # the published national IDI 2024
    assert [label for label, _ in s.category_counts] == ["Buruk", "Sedang", "Baik"]
    assert sum(n for _, n in s.category_counts) == 38 - data.classes.missing
    assert s.best["value"].to_list() == sorted(s.best["value"].to_list(), reverse=True)
    colouring = hideout(data, "id")
    row = colouring["d"]["32"]
    assert row[1] == 82.8 and colouring["cats"][row[2]] == "Baik"
    assert colouring["srcs"][row[6]] == "BPS"
    missing = [code for code, r in colouring["d"].items() if r[0] is None]
    assert len(missing) == data.classes.missing
    items = legend(data, "id").children[2].children
    assert [i.children[2].children for i in items] == [
        *map(str, data.classes.counts), str(data.classes.missing)]


def test_higher_is_worse_uses_a_red_palette_darker_for_higher(demo_engine: sa.Engine,
                                                             registry: Registry) -> None:
    with demo_engine.connect() as conn:
        data = map_data(conn, View(indikator="ikp"), registry, read_catalogue(conn))
    colors = hideout(data, "en")["colors"]
    assert [c.lower() for c in colors] == ["#ffeda0", "#feb24c", "#f03b20"]


def test_a_year_without_data(demo_engine: sa.Engine, registry: Registry) -> None:
    with demo_engine.connect() as conn:
        data = map_data(conn, View(tahun=2030), registry, read_catalogue(conn))
    assert data.period == 2024
    assert [m[0] for m in data.messages] == ["peta.error.tahun_kosong"]


def test_drilling_below_the_data_keeps_a_useful_map(demo_engine: sa.Engine,
                                                    registry: Registry) -> None:
    # IDI exists down to the province: Jawa Barat is the national map with it selected
    # (never 27 hatched kab/kota), and the indicators with kab/kota values are offered.
    with demo_engine.connect() as conn:
        catalogue = read_catalogue(conn)
        below = map_data(conn, View(kode="32", indikator="idi"), registry, catalogue)
        national = map_data(conn, View(tingkat="kecamatan", indikator="idi"), registry,
                            catalogue)
        kabkota = {i.id for i in catalogue.values() if "kabkota" in data_levels(conn, i)}
    assert (below.layer.key, below.layer.selected, below.levels) == (
        "provinsi:ID", "32", ("provinsi",))
    assert below.frame.height == 38 and below.frame["value"].null_count() <= 1
    assert [m[0] for m in below.messages] == ["peta.error.tingkat"]
    assert below.asked == "kabkota"
    assert {i.id for i in below.offers} == kabkota and "ikp" in kabkota
    assert (national.layer.key, national.view.tingkat) == ("provinsi:ID", None)
    assert [m[0] for m in national.messages] == ["peta.error.tingkat"]
    assert national.asked == "kecamatan" and "konflik" in {i.id for i in national.offers}


def test_change_since_an_earlier_period(demo_engine: sa.Engine, registry: Registry) -> None:
    view = View(kode="ID", indikator="idi", tahun=2024, tampil="perubahan", dari=2019, n=5)
    with demo_engine.connect() as conn:
        catalogue = read_catalogue(conn)
        data = map_data(conn, view, registry, catalogue)
        values = map_data(conn, replace(view, tampil="nilai"), registry, catalogue).frame
        before = map_data(conn, replace(view, tampil="nilai", tahun=2019), registry,
                          catalogue).frame
    assert data.base == 2019 and data.method == "perubahan"
    # A change only between values of one kind: published minus published, simulated
    # minus simulated; a published value against a simulated one is no change.
    expected = {
        r["code"]: pytest.approx(r["value"] - r["value_2019"])
        if r["source_kind"] == r["source_kind_2019"] and None not in (r["value"], r["value_2019"])
        else None
        for r in values.join(before, on="code", how="left", suffix="_2019").iter_rows(named=True)}
    assert dict(zip(data.frame["code"], data.frame["change_since"], strict=True)) == expected
    changes = [v for v in expected.values() if v is not None]
    assert 10 <= len(changes) < len(expected)  # both cases, in the demo data
    low, high = data.classes.bounds[0], data.classes.bounds[-1]
    assert low == pytest.approx(-high)  # symmetric around zero


def test_kecamatan_of_a_kabkota_and_selection(demo_engine: sa.Engine,
                                              registry: Registry) -> None:
    with demo_engine.connect() as conn:
        data = map_data(conn, View(kode="32.73.01", indikator="konflik"), registry,
                        read_catalogue(conn))
    assert data.frame.height == len(registry.children("32.73"))
    assert hideout(data, "id")["sel"] == "32.73.01"


@pytest.mark.parametrize(("value", "previous", "expected"), [
    (2024, 2023, 2024), (2023.95, 2024, 2023), (2019.05, 2019, 2020), (None, None, 2024),
    (2015.1, None, 2015), (2014.9, 2015, 2015), (2024.05, 2024, 2024),
])
def test_slider_values_snap_to_periods(value: float | None, previous: int | None,
                                       expected: int) -> None:
    from queries.mapview import snap_period

    assert snap_period(value, previous, tuple(range(2015, 2025))) == expected
    assert snap_period(2023.95, 2024, (2019, 2024)) == 2019
