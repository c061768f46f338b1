"""The map view: URL parsing and building, layers, and the data that colours a map."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import polars as pl
import pytest
import sqlalchemy as sa

from components.map import hideout, legend, panel
from geodata.registry import MAP_LEVELS, Registry
from queries.catalogue import load_catalogue_file, read_catalogue
from queries.indicators import CHANGE_REASONS, data_levels, indicator_values
from queries.mapview import (
    View,
    fit_view,
    layer_of,
    map_data,
    parse_view,
    summary,
    view_url,
)

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
    View(resmi=True), View(kode="32", indikator="ikp", resmi=True),
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
    assert s.highest["value"].to_list() == sorted(s.highest["value"].to_list(), reverse=True)
    colouring = hideout(data, "id")
    row = colouring["d"]["32"]
    assert row[1] == 82.8 and colouring["cats"][row[2]] == "Baik"
    assert colouring["srcs"][row[6]] == "BPS" and row[7] == 0
    simulated = [code for code, r in colouring["d"].items() if r[7]]
    assert colouring["srcs"][colouring["d"][simulated[0]][6]] == "DATA SIMULASI"
    missing = [code for code, r in colouring["d"].items() if r[0] is None]
    assert len(missing) == data.classes.missing
    published = set(data.frame.filter(pl.col("kind") == "published")["code"])
    assert published and len(published) + len(simulated) + len(missing) == 38
    box = legend(data, "id").children
    assert [i.children[2].children for i in box[2].children] == [
        *map(str, data.classes.counts), str(data.classes.missing), str(len(simulated))]
    assert box[3].children == (f"{len(published)} resmi · {len(simulated)} simulasi"
                               f" · {len(missing)} tidak tersedia")


def test_higher_is_worse_uses_a_red_palette_darker_for_higher(demo_engine: sa.Engine,
                                                             registry: Registry) -> None:
    with demo_engine.connect() as conn:
        data = map_data(conn, View(indikator="ikp"), registry, read_catalogue(conn))
    colors = hideout(data, "en")["colors"]
    assert [c.lower() for c in colors] == ["#ffeda0", "#feb24c", "#f03b20"]


def test_the_highest_five_are_the_highest_values_whatever_the_direction(
        demo_engine: sa.Engine, registry: Registry) -> None:
    # IKP: higher is worse, so its "5 tertinggi" are the most vulnerable regions.
    with demo_engine.connect() as conn:
        data = map_data(conn, View(indikator="ikp"), registry, read_catalogue(conn))
        s = summary(conn, data, registry)
    values = sorted(data.frame["value"].drop_nulls(), reverse=True)
    assert s.highest["value"].to_list() == values[:5]
    assert s.lowest["value"].to_list() == values[::-1][:5]
    text = str(panel(s, data, "id"))
    assert "5 tertinggi" in text and "5 terendah" in text


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


def _classes(items: list[Any]) -> dict[str, str]:
    """Return a legend's lines for regions without a colour: label to count."""
    return {i.children[1].children: i.children[2].children for i in items
            if getattr(i, "className", None) == "legend-missing"}


def test_change_since_an_earlier_period_says_why_a_region_has_none(
        demo_engine: sa.Engine, registry: Registry) -> None:
    view = View(kode="ID", indikator="idi", tahun=2024, tampil="perubahan", dari=2022, n=5)
    with demo_engine.connect() as conn:
        catalogue = read_catalogue(conn)
        data = map_data(conn, view, registry, catalogue)
        panel_data = summary(conn, data, registry)
        values = map_data(conn, replace(view, tampil="nilai"), registry, catalogue).frame
        before = map_data(conn, replace(view, tampil="nilai", tahun=2022), registry,
                          catalogue).frame
        national = [indicator_values(conn, catalogue["idi"], "nasional", year)["value"][0]
                    for year in (2024, 2022)]
    assert data.base == 2022 and data.method == "perubahan" and data.method_break is None
    # A change only between values of one kind: published minus published, simulated
    # minus simulated; otherwise the region says why there is none.
    expected: dict[str, tuple[str | None, object]] = {}
    for r in values.join(before, on="code", suffix="_b").iter_rows(named=True):
        expected[r["code"]] = (
            ("nilai", None) if r["value"] is None else ("dasar", None) if r["value_b"] is None
            else ("jenis", None) if r["source_kind"] != r["source_kind_b"]
            else (None, pytest.approx(r["value"] - r["value_b"])))
    frame = data.frame
    assert dict(zip(frame["code"], zip(frame["change_since_reason"], frame["change_since"],
                                       strict=True), strict=True)) == expected
    reasons = Counter(reason for reason, _ in expected.values() if reason)
    assert reasons["jenis"] >= 5 and len(expected) - reasons.total() >= 5  # both, in the demo
    assert reasons.total() == data.classes.missing

    # The legend counts the reasons; the tooltip names each region's.
    items = legend(data, "id").children[2].children
    assert _classes(items) == {data.reason_text(r, "id"): str(n) for r, n in reasons.items()}
    assert "Jenis nilai berbeda (resmi, isian, simulasi)" in _classes(items)
    colouring = hideout(data, "id")
    assert {code: None if row[8] is None else CHANGE_REASONS[row[8]]
            for code, row in colouring["d"].items()} == {
        code: reason for code, (reason, _) in expected.items()}
    assert colouring["reasons"][CHANGE_REASONS.index("dasar")] == (
        "Tidak ada nilai 2022 (tahun dasar)")

    # KPI and rankings show changes since the base year, not values or one-year changes.
    assert panel_data.change == pytest.approx(national[0] - national[1])
    best = panel_data.highest["change_since"].to_list()
    assert len(best) == 5 and best == sorted(best, reverse=True)
    assert best[0] == max(data.frame["change_since"].drop_nulls())
    text = str(panel(panel_data, data, "id"))
    assert "Perubahan sejak 2022" in text and "Perubahan'" not in text


def test_the_first_period_says_there_is_no_earlier_one(demo_engine: sa.Engine,
                                                     registry: Registry) -> None:
    view = View(kode="ID", indikator="turnout_pilpres", tahun=2019, n=5)
    with demo_engine.connect() as conn:
        data = map_data(conn, view, registry, read_catalogue(conn))
    assert data.period == 2019 == data.indicator.shown_periods[0]
    assert data.reason_text("dasar", "id") == "Periode pertama: tidak ada nilai sebelumnya"
    assert data.reason_text("dasar", "en") == "First period: no earlier value"


def test_a_change_across_a_method_break_is_not_computed_and_says_so(
        demo_engine: sa.Engine, registry: Registry) -> None:
    view = View(kode="ID", indikator="idi", tahun=2024, tampil="perubahan", dari=2019, n=5)
    with demo_engine.connect() as conn:
        data = map_data(conn, view, registry, read_catalogue(conn))
        panel_data = summary(conn, data, registry)
    assert data.method_break is not None and data.method_break.period == 2021
    both = data.frame.filter(pl.col("value").is_not_null() & pl.col("base_value").is_not_null()
                             & ~pl.col("code").is_in(["91", "92"]))  # these: the 2022 split
    assert both.height >= 30 and set(both["change_since_reason"]) == {"metode"}
    assert data.frame["change_since"].null_count() == data.frame.height
    box = legend(data, "id")
    assert _classes(box.children[2].children)["Metode berubah pada 2021: tidak sebanding"] == (
        str(both.height))
    warning = box.children[4]
    assert warning.className == "legend-warning"
    assert warning.children.startswith("⚠ Metode berubah pada 2021: perubahan tidak dihitung.")
    assert (panel_data.change, panel_data.change_reason) == (None, "metode")
    assert "Metode berubah pada 2021: tidak sebanding" in str(panel(panel_data, data, "id"))
    assert panel_data.highest.is_empty()


def test_the_change_to_the_previous_year_is_not_computed_across_a_method_break(
        demo_engine: sa.Engine, registry: Registry) -> None:
    with demo_engine.connect() as conn:
        catalogue = read_catalogue(conn)
        data = map_data(conn, View(indikator="idi", tahun=2021), registry, catalogue)
        panel_data = summary(conn, data, registry)
        later = map_data(conn, View(indikator="idi", tahun=2022), registry, catalogue).frame
    both = data.frame.filter(pl.col("value").is_not_null()
                             & pl.col("previous_value").is_not_null())
    assert both.height >= 30 and set(both["change_reason"]) == {"metode"}
    assert both["change"].null_count() == both.height
    colouring = hideout(data, "id")  # the tooltip says why
    assert {colouring["reasons"][colouring["d"][code][8]] for code in both["code"]} == {
        "Metode berubah pada 2021: tidak sebanding"}
    assert (panel_data.change, panel_data.change_reason) == (None, "metode")
    assert "Metode berubah pada 2021: tidak sebanding" in str(panel(panel_data, data, "id"))
    assert later["change"].drop_nulls().len() >= 5  # 2021 to 2022: one method


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


def test_a_change_across_the_papua_split_is_not_computed(demo_engine: sa.Engine,
                                                         registry: Registry) -> None:
    """Papua and Papua Barat of 2019 covered the four provinces formed in 2022."""
    view = View(indikator="ikp", tahun=2024, tampil="perubahan", dari=2019)
    with demo_engine.connect() as conn:
        catalogue = read_catalogue(conn)
        since = map_data(conn, view, registry, catalogue)
        values = map_data(conn, View(indikator="ikp", tahun=2024), registry, catalogue)
        later = map_data(conn, View(indikator="idi", tahun=2024, tampil="perubahan", dari=2022),
                         registry, catalogue)
    for data, column in ((since, "change_since_reason"), (values, "change_reason")):
        rows = {r["code"]: r for r in data.frame.iter_rows(named=True)}
        assert {code: rows[code][column] for code in ("91", "92")} == {
            "91": "batas", "92": "batas"}, column
        assert rows["91"]["value"] is not None and rows["91"]["previous_value"] is not None
        assert rows["32"][column] != "batas"
    assert "Batas wilayah berubah (pemekaran 2022): tidak sebanding" in {
        label for label, _ in since.missing_lines("id")}
    assert "batas" not in set(later.frame["change_since_reason"].drop_nulls())
