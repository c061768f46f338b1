"""Official categories: one membership rule, checked at every band edge for every consumer.

The cases come from the real catalogue, one per edition (IKP 2019 and IKP 2024 have other
thresholds), so a new indicator or edition with categories is covered without editing
this file. Each edge is tested as published and "flipped" (every
``include_min``/``include_max`` negated, which hands each shared bound to the other
neighbour), so every bound is checked both inclusive and exclusive.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from geodata.registry import Registry
from geodata.vintages import provinces_missing, vintage_of
from ingest.store import NewValue, write_values
from queries.catalogue import (
    CATALOGUE_FILE,
    CatalogueError,
    Category,
    Indicator,
    category_index,
    load_catalogue_file,
    parse_indicator,
    read_catalogue,
)
from queries.classify import classify
from queries.indicators import indicator_values
from queries.schema import indicator_category

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
EPS = 1e-6
"""How far beside a bound "just inside" and "just outside" are."""

Bands = tuple[Category, ...]


def flipped(cats: Bands) -> Bands:
    """Negate every flag: each shared bound moves to the other band, outer bounds flip."""
    return tuple(replace(c, include_min=not c.include_min, include_max=not c.include_max)
                 for c in cats)


FORMS: dict[str, Callable[[Bands], Bands]] = {"published": lambda cats: cats,
                                              "flipped": flipped}
WITH_CATEGORIES = [ind for ind in load_catalogue_file().values() if ind.categories]
# Each edition, named by the first of the indicator's periods it covers.
EDITIONS = [(ind, next(p for p in ind.periods if ed.covers(p)))
            for ind in WITH_CATEGORIES for ed in ind.editions]
CASES = [pytest.param(ind, period, form, id=f"{ind.id}-{period}-{form}")
         for ind, period in EDITIONS for form in FORMS]


def in_form(ind: Indicator, period: int, form: str) -> Indicator:
    """Return ``ind`` with the bands of ``period``'s edition in ``form``."""
    return replace(ind, editions=tuple(
        replace(ed, categories=FORMS[form](ed.categories)) if ed.covers(period) else ed
        for ed in ind.editions))


def expected_at_edges(cats: Bands) -> dict[float, int | None]:
    """Map values on and beside every bound to their band's position (None: no band).

    Worked out from the flags alone: a value just inside a band is in it; a value on a
    bound is in the band whose flag includes it, else in the neighbour across the bound
    (none beyond the outer bounds); a value just beyond the outer bounds is in none.
    """
    last = len(cats) - 1
    cases: dict[float, int | None] = {cats[0].min - EPS: None, cats[-1].max + EPS: None}
    for pos, cat in enumerate(cats):
        cases[cat.min + EPS] = pos
        cases[cat.max - EPS] = pos
        cases[cat.min] = pos if cat.include_min else (pos - 1 if pos > 0 else None)
        cases[cat.max] = pos if cat.include_max else (pos + 1 if pos < last else None)
    return dict(sorted(cases.items()))


def test_edge_cases_cover_both_forms_of_every_bound() -> None:
    # Guards the generator: both forms put each shared bound in a different band.
    idi = {ind.id: ind for ind in WITH_CATEGORIES}["idi"]
    assert expected_at_edges(idi.categories) == {
        -EPS: None, 0: 0, EPS: 0, 60 - EPS: 0, 60: 1, 60 + EPS: 1,
        80 - EPS: 1, 80: 1, 80 + EPS: 2, 100 - EPS: 2, 100: 2, 100 + EPS: None}
    assert expected_at_edges(flipped(idi.categories)) == {
        -EPS: None, 0: None, EPS: 0, 60 - EPS: 0, 60: 0, 60 + EPS: 1,
        80 - EPS: 1, 80: 2, 80 + EPS: 2, 100 - EPS: 2, 100: None, 100 + EPS: None}


# --- the rule and its consumers, at every edge -------------------------------------------


def test_every_edition_is_a_case() -> None:
    # Guards the cases: IKP has two editions with their own bands.
    assert {(ind.id, period) for ind, period in EDITIONS} >= {("idi", 2015), ("ikub", 2015),
                                                              ("ikp", 2019), ("ikp", 2024)}
    ikp = {ind.id: ind for ind in WITH_CATEGORIES}["ikp"]
    assert ikp.categories_for(2019) != ikp.categories_for(2024)
    assert ikp.categories_for(2022) == ()  # no edition: no official category


@pytest.mark.parametrize(("ind", "period", "form"), CASES)
def test_category_index(ind: Indicator, period: int, form: str) -> None:
    cats = in_form(ind, period, form).categories_for(period)
    expected = expected_at_edges(cats)
    got = category_index(list(expected), cats).tolist()
    assert dict(zip(expected, got, strict=True)) == {
        v: -1 if pos is None else pos for v, pos in expected.items()}


@pytest.mark.parametrize(("ind", "period", "form"), CASES)
def test_category_of(ind: Indicator, period: int, form: str) -> None:
    ind = in_form(ind, period, form)
    cats = ind.categories_for(period)
    expected = expected_at_edges(cats)
    assert {v: ind.category_of(v, period) for v in expected} == {
        v: None if pos is None else cats[pos] for v, pos in expected.items()}
    assert ind.category_of(None, period) is None


@pytest.mark.parametrize(("ind", "period", "form"), CASES)
def test_classify_kategori(ind: Indicator, period: int, form: str) -> None:
    cats = in_form(ind, period, form).categories_for(period)
    inside = {v: pos for v, pos in expected_at_edges(cats).items() if pos is not None}
    result = classify([*inside, None], "kategori", 3, categories=cats)
    assert dict(zip(inside, result.index[:-1], strict=True)) == inside
    assert result.index[-1] is None


@pytest.mark.parametrize(("ind", "period", "form"), CASES)
def test_classify_refuses_values_in_no_category(ind: Indicator, period: int, form: str) -> None:
    cats = in_form(ind, period, form).categories_for(period)
    outside = [v for v, pos in expected_at_edges(cats).items() if pos is None]
    assert len(outside) >= 2  # at least just below the lowest and above the highest bound
    for value in outside:
        with pytest.raises(ValueError, match=rf"value {value:g} at position 1 falls in no"):
            classify([cats[0].min + EPS, value], "kategori", 3, categories=cats)


@pytest.mark.parametrize(("ind", "period", "form"), CASES)
def test_indicator_values_columns(ind: Indicator, period: int, form: str, engine: sa.Engine,
                                  registry: Registry) -> None:
    ind = in_form(ind, period, form)
    cats = ind.categories_for(period)
    expected = expected_at_edges(cats)
    gone = provinces_missing(vintage_of(period))  # e.g. 93-96 before the 2022 split
    provinces = [r.code for r in registry.at_level("provinsi") if r.code not in gone]
    assert len(provinces) > len(expected)
    placed = dict(zip(provinces, expected, strict=False))
    with engine.begin() as conn:
        write_values(conn, [NewValue(ind.id, code, period, value, "test")
                            for code, value in placed.items()],
                     source_kind="published", status="published",
                     source_of={ind.id: "test"}, recorded_by="test")
    with engine.connect() as conn:
        frame = indicator_values(conn, ind, "provinsi", period)
    rows = {r["code"]: r for r in frame.iter_rows(named=True)}
    assert {v: rows[code]["category_index"] for code, v in placed.items()} == expected
    assert {v: rows[code]["category"] for code, v in placed.items()} == {
        v: None if pos is None else cats[pos].label_id for v, pos in expected.items()}
    without_value = [code for code in provinces if code not in placed]
    assert [rows[code]["category_index"] for code in without_value] == [None] * len(
        without_value)


def test_labels_follow_the_language(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        write_values(conn, [NewValue("idi", "32", 2024, 80.0, "test")], source_kind="published",
                     status="published", source_of={"idi": "BPS"}, recorded_by="test")
    with engine.connect() as conn:
        ind = read_catalogue(conn)["idi"]
        frame = indicator_values(conn, ind, "provinsi", 2024, lang="en")
    assert frame.filter(code="32").select("category", "category_index").row(0) == (
        "Moderate", 1)


# --- the catalogue refuses bands that put a value in two categories or in none -------------


def test_real_catalogue_bands_cover_the_scale() -> None:
    # Values of exactly 0 and 100 (the ends of the scale) have a category.
    for ind, period in EDITIONS:
        cats = ind.categories_for(period)
        assert ind.category_of(ind.scale_min, period) == cats[0], (ind.id, period)
        assert ind.category_of(ind.scale_max, period) == cats[-1], (ind.id, period)


def idi_entry() -> dict[str, Any]:
    with CATALOGUE_FILE.open("rb") as fh:
        entries = tomllib.load(fh)["indicator"]
    return next(e for e in entries if e["id"] == "idi")


def band(label: str, low: float, high: float, include_min: bool,
         include_max: bool) -> dict[str, Any]:
    return {"label_id": label, "label_en": label, "min": low, "max": high,
            "include_min": include_min, "include_max": include_max}


BAD_BANDS = {
    "overlap": ([band("A", 0, 60, True, False), band("B", 50, 100, True, True)],
                r"categories A \[0, 60\) and B \[50, 100\] overlap from 50 to 60"),
    "gap": ([band("A", 0, 60, True, True), band("B", 70, 100, False, True)],
            r"categories A \[0, 60\] and B \(70, 100\] leave a gap from 60 to 70"),
    "order": ([band("B", 60, 100, True, True), band("A", 0, 60, True, False)],
              r"categories B \[60, 100\] and A \[0, 60\) are not in ascending order"),
    "min above max": ([band("A", 60, 0, True, True)], r"category A \[60, 0\] must have min"),
    "empty band": ([band("A", 60, 60, True, True)], r"category A \[60, 60\] must have min"),
    "both include": ([band("A", 0, 60, True, True), band("B", 60, 100, True, True)],
                     r"categories A \[0, 60\] and B \[60, 100\] both include 60"),
    "neither includes": ([band("A", 0, 60, True, False), band("B", 60, 100, False, True)],
                         r"categories A \[0, 60\) and B \(60, 100\] both exclude 60,"
                         r" which would be in no category"),
}


@pytest.mark.parametrize(("bands", "message"), list(BAD_BANDS.values()), ids=list(BAD_BANDS))
def test_catalogue_file_refuses_bad_bands(bands: list[dict[str, Any]], message: str) -> None:
    entry = idi_entry()
    parse_indicator(entry)  # the published bands pass
    with pytest.raises(CatalogueError, match=rf"indicator 'idi': {message}"):
        parse_indicator({**entry, "categories": bands})


@pytest.mark.parametrize(("bands", "message"), list(BAD_BANDS.values()), ids=list(BAD_BANDS))
def test_classify_refuses_bad_bands(bands: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(CatalogueError, match=rf"official categories: {message}"):
        classify([10.0], "kategori", 3, categories=[Category(**b) for b in bands])


def test_database_catalogue_refuses_bad_bands(engine: sa.Engine) -> None:
    c = indicator_category.c
    with engine.begin() as conn:
        read_catalogue(conn)  # the published bands pass
        conn.execute(indicator_category.update()
                     .where(c.indicator_id == "idi", c.label_id == "Sedang")
                     .values(include_min=False))
    with engine.connect() as conn, pytest.raises(
            CatalogueError, match=r"indicator 'idi': categories Buruk \[0, 60\) and Sedang"
                                  r" \(60, 80\] both exclude 60"):
        read_catalogue(conn)


# --- categories by edition: the period shown picks the bands ------------------------------


IKP_EDGES = {  # value: (category in IKP 2019, category in IKP 2024)
    21.7: ("Rawan rendah", "Rawan sedang"), 33.0: ("Rawan rendah", "Rawan sedang"),
    33.01: ("Rawan sedang", "Rawan sedang"), 60.0: ("Rawan sedang", "Rawan sedang"),
    60.01: ("Rawan tinggi", "Rawan sedang"), 68.5: ("Rawan tinggi", "Rawan tinggi"),
}


def test_ikp_values_are_classed_with_their_editions_bands(engine: sa.Engine,
                                                          registry: Registry) -> None:
    from components.map import hideout, legend
    from export.tables import map_export
    from queries.mapview import View, map_data, summary

    codes = dict(zip(IKP_EDGES, ("11", "12", "13", "31", "32", "33"), strict=True))
    with engine.begin() as conn:
        write_values(conn, [NewValue("ikp", code, year, value, "test")
                            for value, code in codes.items() for year in (2019, 2024)],
                     source_kind="published", status="published",
                     source_of={"ikp": "Bawaslu"}, recorded_by="test")
    for column, year in enumerate((2019, 2024)):
        expected = {code: IKP_EDGES[value][column] for value, code in codes.items()}
        with engine.connect() as conn:
            catalogue = read_catalogue(conn)  # the editions come back from the database
            data = map_data(conn, View(indikator="ikp", tahun=year), registry, catalogue)
            panel = summary(conn, data, registry)
            table = map_export(conn, View(indikator="ikp", tahun=year), registry, catalogue,
                               NOW)
        assert data.method == "kategori"
        rows = {r["code"]: r for r in data.frame.iter_rows(named=True)}
        assert {code: rows[code]["category"] for code in codes.values()} == expected
        labels = (data.classes.labels or ())
        assert {code: labels[data.classes.index[list(rows).index(code)]]  # type: ignore[index]
                for code in codes.values()} == expected
        colouring = hideout(data, "id")  # the tooltip's category
        assert {code: colouring["cats"][colouring["d"][code][2]]
                for code in codes.values()} == expected
        bounds = "33,00" if year == 2019 else "21,70"  # the legend shows the edition's bands
        assert bounds in str(legend(data, "id").children[2].children)
        counts = dict(panel.category_counts)
        assert counts == {label: list(expected.values()).count(label)
                          for label in ("Rawan rendah", "Rawan sedang", "Rawan tinggi")}
        exported = {r["code"]: r["category"] for r in table.frame.iter_rows(named=True)}
        assert {code: exported[code] for code in codes.values()} == expected


def ikp_entry() -> dict[str, Any]:
    with CATALOGUE_FILE.open("rb") as fh:
        entries = tomllib.load(fh)["indicator"]
    return next(e for e in entries if e["id"] == "ikp")


BAD_EDITIONS = {
    "overlap": (lambda eds: [{**eds[0], "valid_to": 2024}, eds[1]],
                r"indicator 'ikp': editions -2024 and 2024- overlap"),
    "order": (lambda eds: [eds[1], eds[0]], r"indicator 'ikp': editions 2024- and -2019"
                                            r" overlap"),
    "backwards": (lambda eds: [{**eds[0], "valid_from": 2020}, eds[1]],
                  r"indicator 'ikp': edition 2020-2019 ends before it starts"),
    "bad band": (lambda eds: [{**eds[0], "categories": [band("A", 0, 60, True, False),
                                                         band("B", 50, 100, True, True)]},
                              eds[1]],
                 r"indicator 'ikp', edition -2019: categories A \[0, 60\) and B \[50, 100\]"
                 r" overlap"),
}


@pytest.mark.parametrize(("change", "message"), list(BAD_EDITIONS.values()),
                         ids=list(BAD_EDITIONS))
def test_catalogue_file_refuses_bad_editions(change: Callable[[list[dict[str, Any]]],
                                                               list[dict[str, Any]]],
                                             message: str) -> None:
    entry = ikp_entry()
    parse_indicator(entry)  # the published editions pass
    with pytest.raises(CatalogueError, match=message):
        parse_indicator({**entry, "editions": change(entry["editions"])})


def test_catalogue_file_refuses_categories_beside_editions() -> None:
    entry = ikp_entry()
    with pytest.raises(CatalogueError, match="give categories or editions, not both"):
        parse_indicator({**entry, "categories": entry["editions"][0]["categories"]})
