"""Tests for the synthetic demo data generator (ingest/demo/)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from geodata.registry import LEVELS, NATIONAL_CODE, Registry, load_registry
from ingest.bootstrap import load_published, prepare_database, published_values
from ingest.demo import (
    NEW_PAPUA_FIRST_YEAR,
    NEW_PAPUA_PROVINCES,
    SCHEMA,
    generate,
    pilkada_regions,
    weights,
)
from queries.catalogue import Indicator, category_index, load_catalogue_file, read_catalogue
from queries.db import make_engine

FIRST_YEAR, LAST_YEAR = 2015, 2024
PREFIX = {"provinsi": 2, "kabkota": 5, "kecamatan": 8}


def with_level(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the level of each region code (from its shape)."""
    dots = pl.col("region_code").str.count_matches(r"\.")
    level = (
        pl.when(pl.col("region_code") == NATIONAL_CODE)
        .then(pl.lit("nasional"))
        .otherwise(dots.replace_strict({0: "provinsi", 1: "kabkota", 2: "kecamatan"}))
    )
    return frame.with_columns(level=level)


def ancestor(level: str) -> pl.Expr:
    """The code of each row's ancestor at ``level``."""
    if level == "nasional":
        return pl.lit(NATIONAL_CODE)
    return pl.col("region_code").str.slice(0, PREFIX[level])


def below(level: str) -> str:
    return LEVELS[LEVELS.index(level) + 1]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Indicator]:
    return load_catalogue_file()


@pytest.fixture(scope="module")
def raw(registry: Registry, catalogue: dict[str, Indicator]) -> pl.DataFrame:
    return generate(registry, catalogue)


@pytest.fixture(scope="module")
def frame(raw: pl.DataFrame) -> pl.DataFrame:
    return with_level(raw)


@pytest.fixture(scope="module")
def weight_frame(registry: Registry) -> pl.DataFrame:
    return weights(registry)


def rows(frame: pl.DataFrame, indicator: str, level: str | None = None) -> pl.DataFrame:
    out = frame.filter(pl.col("indicator_id") == indicator)
    return out if level is None else out.filter(pl.col("level") == level)


# -- shape and determinism ---------------------------------------------------------------


def test_schema_and_no_missing_markers(raw: pl.DataFrame) -> None:
    assert raw.schema == SCHEMA
    assert raw.height > 100_000
    assert raw.null_count().sum_horizontal().item() == 0
    assert not raw["value"].is_nan().any()
    assert not raw.select("indicator_id", "region_code", "period").is_duplicated().any()


def test_deterministic(
    registry: Registry, catalogue: dict[str, Indicator], raw: pl.DataFrame
) -> None:
    again = generate(registry, catalogue)
    assert_frame_equal(raw, again)
    assert raw.write_ipc(None).getvalue() == again.write_ipc(None).getvalue()
    other = generate(registry, catalogue, seed=7)
    assert not raw.equals(other)
    assert set(other["indicator_id"]) == set(raw["indicator_id"])
    assert_frame_equal(weights(registry), weights(registry))
    assert not weights(registry).equals(weights(registry, seed=7))


def test_window_selects_periods_without_changing_values(
    registry: Registry, catalogue: dict[str, Indicator], raw: pl.DataFrame
) -> None:
    narrow = generate(registry, catalogue, first_year=2019, last_year=2020)
    assert_frame_equal(narrow, raw.filter(pl.col("period").is_between(2019, 2020)))
    with pytest.raises(ValueError, match="first_year"):
        generate(registry, catalogue, first_year=2024, last_year=2015)
    with pytest.raises(ValueError, match="seed"):
        generate(registry, catalogue, seed=-1)


# -- coverage -------------------------------------------------------------------------------


def test_exclude_leaves_out_exactly_those_indicator_periods(
    registry: Registry, catalogue: dict[str, Indicator], raw: pl.DataFrame
) -> None:
    exclude = {"konflik": [2015, 2016], "turnout_pilpres": [2024]}
    out = generate(registry, catalogue, exclude=exclude)
    left_out = (
        ((pl.col("indicator_id") == "konflik") & pl.col("period").is_in([2015, 2016]))
        | ((pl.col("indicator_id") == "turnout_pilpres") & (pl.col("period") == 2024))
    )
    assert_frame_equal(out, raw.filter(~left_out))
    assert raw.filter(left_out).height > 7_000


def test_every_indicator_at_each_of_its_levels(
    frame: pl.DataFrame, catalogue: dict[str, Indicator]
) -> None:
    assert set(frame["indicator_id"]) == set(catalogue)
    for ind in catalogue.values():
        levels = set(rows(frame, ind.id)["level"])
        assert levels == set(ind.levels()), ind.id


def test_periods_are_the_indicator_periods_within_the_window(
    frame: pl.DataFrame, catalogue: dict[str, Indicator]
) -> None:
    for ind in catalogue.values():
        expected = {p for p in ind.periods if FIRST_YEAR <= p <= LAST_YEAR}
        assert set(rows(frame, ind.id)["period"]) == expected, ind.id
        # The nation always has a value: no year is empty everywhere.
        assert set(rows(frame, ind.id, "nasional")["period"]) == expected, ind.id


def test_values_within_scale_and_rounded(
    frame: pl.DataFrame, catalogue: dict[str, Indicator]
) -> None:
    for ind in catalogue.values():
        values = rows(frame, ind.id)["value"]
        if ind.scale_min is not None:
            assert values.min() >= ind.scale_min, ind.id
        if ind.scale_max is not None:
            assert values.max() <= ind.scale_max, ind.id
        off = (values - values.round(ind.decimals)).abs().max()
        assert off < 1e-9, ind.id


def test_papua_new_provinces_absent_before_2023(frame: pl.DataFrame) -> None:
    in_new = pl.col("region_code").str.slice(0, 2).is_in(NEW_PAPUA_PROVINCES)
    assert frame.filter(in_new, pl.col("period") < NEW_PAPUA_FIRST_YEAR).height == 0
    after = frame.filter(in_new, pl.col("period") >= NEW_PAPUA_FIRST_YEAR)
    assert set(after["region_code"].str.slice(0, 2)) == set(NEW_PAPUA_PROVINCES)
    assert set(after["level"]) == {"provinsi", "kabkota", "kecamatan"}


def test_gaps_at_the_lowest_level(
    frame: pl.DataFrame, registry: Registry, catalogue: dict[str, Indicator]
) -> None:
    calendar = pilkada_regions(registry)
    for ind in catalogue.values():
        level = ind.lowest_level
        codes = [r.code for r in registry.at_level(level)]
        expected = 0
        for period in (p for p in ind.periods if FIRST_YEAR <= p <= LAST_YEAR):
            eligible = [
                c
                for c in codes
                if period >= NEW_PAPUA_FIRST_YEAR or c[:2] not in NEW_PAPUA_PROVINCES
            ]
            if ind.id == "turnout_pilkada":
                held = calendar[period]
                eligible = [c for c in eligible if c[:5] in held or c[:2] in held]
            expected += len(eligible)
        share = 1 - rows(frame, ind.id, level).height / expected
        # 2.5 % at random, plus a few whole kab/kota a year for kecamatan-level indicators.
        assert 0.015 < share < 0.045, (ind.id, share)


def test_a_few_whole_kabkota_missing_each_year(frame: pl.DataFrame, registry: Registry) -> None:
    all_kab = {r.code for r in registry.at_level("kabkota")}
    konflik = rows(frame, "konflik", "kabkota")
    for period, group in konflik.group_by("period"):
        assert 0 < len(all_kab - set(group["region_code"])) <= 40, period


def test_pilkada_only_where_elections_were_held(frame: pl.DataFrame, registry: Registry) -> None:
    calendar = pilkada_regions(registry)
    assert sorted(calendar) == [2015, 2017, 2018, 2020, 2024]
    held = {year: len(codes) for year, codes in calendar.items()}
    assert 260 <= held[2015] <= 280
    assert 95 <= held[2017] <= 110
    assert 160 <= held[2018] <= 180
    assert 260 <= held[2020] <= 280
    assert held[2024] >= 37 + 500
    kab = rows(frame, "turnout_pilkada", "kabkota")
    for (period,), group in kab.group_by("period"):
        codes = calendar[int(period)]
        voted = {c for c in group["region_code"] if c in codes or c[:2] in codes}
        assert voted == set(group["region_code"]), period
    counts = dict(kab.group_by("period").len().iter_rows())
    assert counts[2017] < counts[2015] < counts[2024]
    assert counts[2024] > 0.9 * len(registry.at_level("kabkota"))


# -- roll-up consistency -----------------------------------------------------------------


def test_parent_present_exactly_when_a_child_is(
    frame: pl.DataFrame, catalogue: dict[str, Indicator]
) -> None:
    for ind in catalogue.values():
        levels = ind.levels()
        for parent, child in zip(levels, levels[1:], strict=False):
            got = set(rows(frame, ind.id, parent).select("region_code", "period").iter_rows())
            want = set(
                rows(frame, ind.id, child)
                .select(ancestor(parent).alias("region_code"), "period")
                .iter_rows()
            )
            assert got == want, (ind.id, parent)


def test_counts_add_up_exactly(frame: pl.DataFrame, catalogue: dict[str, Indicator]) -> None:
    sums = [ind for ind in catalogue.values() if ind.aggregation == "sum"]
    assert {ind.id for ind in sums} == {"ormas", "konflik"}
    for ind in sums:
        levels = ind.levels()
        for parent, child in zip(levels, levels[1:], strict=False):
            children = (
                rows(frame, ind.id, child)
                .group_by(ancestor(parent).alias("region_code"), "period")
                .agg(pl.col("value").sum())
            )
            joined = rows(frame, ind.id, parent).join(
                children, on=["region_code", "period"], how="full", validate="1:1"
            )
            assert joined.null_count().sum_horizontal().item() == 0, (ind.id, parent)
            assert (joined["value"] == joined["value_right"]).all(), (ind.id, parent)
            assert (joined["value"] == joined["value"].round()).all()
    konflik = rows(frame, "konflik")
    totals = konflik.group_by("level", "period").agg(pl.col("value").sum())
    per_period = totals.group_by("period").agg(pl.col("value").n_unique())
    assert (per_period["value"] == 1).all()


def test_weights_nest(weight_frame: pl.DataFrame, registry: Registry) -> None:
    w = with_level(weight_frame)
    assert w.height == len(registry)
    assert (w["weight"] >= 1).all()
    for parent, child in (
        ("kabkota", "kecamatan"),
        ("provinsi", "kabkota"),
        ("nasional", "provinsi"),
    ):
        summed = (
            w.filter(pl.col("level") == child)
            .group_by(ancestor(parent).alias("region_code"))
            .agg(pl.col("weight").sum())
        )
        joined = w.filter(pl.col("level") == parent).join(summed, on="region_code", validate="1:1")
        assert (joined["weight"] == joined["weight_right"]).all(), parent
    kec = w.filter(pl.col("level") == "kecamatan")
    java_city = pl.col("region_code").str.slice(0, 1) == "3"
    city = pl.col("region_code").str.slice(3, 1) == "7"
    assert (
        kec.filter(java_city & city)["weight"].median()
        > 2 * kec.filter(~java_city)["weight"].median()
    )


def test_means_are_weighted_means_of_present_children(
    frame: pl.DataFrame, catalogue: dict[str, Indicator], weight_frame: pl.DataFrame
) -> None:
    means = [ind for ind in catalogue.values() if ind.aggregation == "mean"]
    weight = weight_frame.select("region_code", "weight")
    unweighted_differs = 0
    for ind in means:
        # Stored values are rounded after the roll-up: allow half a unit for the parent's
        # rounding and half a unit for the children's.
        tolerance = 10.0**-ind.decimals + 1e-9
        leaves = rows(frame, ind.id, ind.lowest_level).join(
            weight, on="region_code", validate="m:1"
        )
        levels = ind.levels()
        for parent in levels[:-1]:
            child = below(parent)
            bounds = (
                rows(frame, ind.id, child)
                .group_by(ancestor(parent).alias("region_code"), "period")
                .agg(low=pl.col("value").min(), high=pl.col("value").max())
            )
            recomputed = leaves.group_by(ancestor(parent).alias("region_code"), "period").agg(
                weighted=(pl.col("value") * pl.col("weight")).sum() / pl.col("weight").sum(),
                plain=pl.col("value").mean(),
            )
            checked = (
                rows(frame, ind.id, parent)
                .join(bounds, on=["region_code", "period"], validate="1:1")
                .join(recomputed, on=["region_code", "period"], validate="1:1")
            )
            assert checked.height == rows(frame, ind.id, parent).height
            assert (checked["value"] >= checked["low"] - 1e-9).all(), (ind.id, parent)
            assert (checked["value"] <= checked["high"] + 1e-9).all(), (ind.id, parent)
            error = (checked["value"] - checked["weighted"]).abs().max()
            assert error <= tolerance, (ind.id, parent, error)
            unweighted = (checked["value"] - checked["plain"]).abs()
            unweighted_differs += int((unweighted > tolerance).sum())
    assert unweighted_differs > 100  # the weights matter: plain means would not pass


# -- plausibility ---------------------------------------------------------------------------


def test_siblings_are_alike_and_provinces_differ(frame: pl.DataFrame) -> None:
    kec = rows(frame, "turnout_pilpres", "kecamatan").filter(pl.col("period") == 2024)
    kec = kec.sort("region_code").with_columns(kab=ancestor("kabkota"))
    sibling_gap = (
        kec.with_columns(prev=pl.col("value").shift().over("kab"))
        .drop_nulls("prev")
        .select((pl.col("value") - pl.col("prev")).abs().mean())
        .item()
    )
    rng = np.random.default_rng(0)
    values = kec["value"].to_numpy()
    province = kec["region_code"].str.slice(0, 2).to_numpy()
    a, b = rng.integers(0, len(kec), (2, 20_000))
    apart = province[a] != province[b]
    random_gap = float(np.abs(values[a] - values[b])[apart].mean())
    assert sibling_gap < 0.6 * random_gap, (sibling_gap, random_gap)


def test_idi_trends_go_both_ways(frame: pl.DataFrame) -> None:
    slopes = (
        rows(frame, "idi", "provinsi")
        .group_by("region_code")
        .agg(
            slope=pl.cov("period", "value") / pl.col("period").var(),
            n=pl.len(),
        )
        .filter(pl.col("n") >= 5)
    )
    assert slopes.filter(pl.col("slope") > 0.2).height >= 3
    assert slopes.filter(pl.col("slope") < -0.2).height >= 3


def test_levels_are_realistic(frame: pl.DataFrame) -> None:
    national = frame.filter(pl.col("level") == "nasional")

    def between(indicator: str, level: str, low: float, high: float) -> bool:
        values = rows(frame, indicator, level)["value"]
        return low <= values.min() and values.max() <= high

    assert between("idi", "nasional", 68, 82)
    assert between("idi", "provinsi", 55, 90)
    assert between("ikub", "nasional", 70, 78)
    assert between("iap", "nasional", 70, 78)
    assert between("turnout_pilpres", "nasional", 75, 90)
    assert between("ihai", "provinsi", 45, 90)
    pilkada = rows(national, "turnout_pilkada")["value"].mean()
    pilpres = rows(national, "turnout_pilpres")["value"].mean()
    assert pilkada < pilpres

    papua = pl.col("region_code").str.slice(0, 1) == "9"
    java = pl.col("region_code").str.slice(0, 1) == "3"
    ikp = rows(frame, "ikp", "kabkota")
    medium = ikp["value"].is_between(21.7, 68.5, closed="left").mean()
    assert medium > 0.85
    high_in_papua = (ikp.filter(papua)["value"] >= 68.5).mean()
    high_elsewhere = (ikp.filter(~papua)["value"] >= 68.5).mean()
    assert high_in_papua > 2 * high_elsewhere, (high_in_papua, high_elsewhere)
    assert ikp.filter(papua)["value"].mean() > ikp.filter(~papua)["value"].mean() + 8

    ormas = rows(frame, "ormas", "kabkota")
    assert 100 < ormas["value"].median() < 1000
    assert ormas.filter(java)["value"].mean() > ormas.filter(~java)["value"].mean()

    konflik = rows(frame, "konflik", "kecamatan")
    assert (konflik["value"] == 0).mean() > 0.5
    assert konflik.filter(papua)["value"].mean() > 2 * konflik.filter(~papua)["value"].mean()


# -- conditioning on published values (issue 11, finding 2) ---------------------------------


@pytest.fixture(scope="module")
def published(
    registry: Registry, published_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> pl.DataFrame:
    """The shared published figures as the demo load reads them back from the database."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('published') / 'published.db'}")
    prepare_database(engine, registry)
    load_published(engine, published_dir, registry, echo=lambda _msg: None)
    with engine.connect() as conn:
        frame = published_values(conn, read_catalogue(conn))
    engine.dispose()
    return frame


@pytest.fixture(scope="module")
def conditioned(
    registry: Registry, catalogue: dict[str, Indicator], published: pl.DataFrame
) -> pl.DataFrame:
    return generate(registry, catalogue, published=published)


def shown(published: pl.DataFrame, simulated: pl.DataFrame) -> pl.DataFrame:
    """What the map shows: published values, and simulated ones where nothing is published."""
    simulated = simulated.join(published, on=["indicator_id", "region_code", "period"],
                               how="anti")
    return with_level(pl.concat([published.with_columns(published=True),
                                 simulated.with_columns(published=False)]))


def rolled_up(view: pl.DataFrame, ind: Indicator, weight: pl.DataFrame) -> pl.DataFrame:
    """Every shown parent of ``ind`` beside the roll-up of its shown children.

    A child weighs the summed weight of its shown lowest-level regions (the generator's
    rule); ``simulated`` and ``published_children`` count the children of each kind.
    """
    leaves = rows(view, ind.id, ind.lowest_level).select("region_code", "period").join(
        weight, on="region_code", validate="m:1")
    levels = ind.levels()
    out = []
    for parent, child in zip(levels, levels[1:], strict=False):
        child_weight = leaves.group_by(ancestor(child).alias("region_code"), "period").agg(
            w=pl.col("weight").sum())
        children = rows(view, ind.id, child).join(
            child_weight, on=["region_code", "period"], how="left", validate="1:1")
        assert children["w"].null_count() == 0, (ind.id, child)
        if ind.aggregation == "mean":
            rolled = (pl.col("value") * pl.col("w")).sum() / pl.col("w").sum()
        else:
            rolled = pl.col("value").sum()
        summary = children.group_by(ancestor(parent).alias("region_code"), "period").agg(
            rolled=rolled, simulated=(~pl.col("published")).sum(),
            published_children=pl.col("published").sum())
        out.append(rows(view, ind.id, parent).join(summary, on=["region_code", "period"],
                                                   validate="1:1"))
    return pl.concat(out)


def keys(frame: pl.DataFrame) -> set[tuple[str, str, int]]:
    return set(frame.select("indicator_id", "region_code", "period").iter_rows())


def test_published_region_periods_get_no_simulated_row(
    conditioned: pl.DataFrame, published: pl.DataFrame
) -> None:
    assert ("ikp", "32", 2024) in keys(published)
    assert not keys(conditioned) & keys(published)
    assert conditioned.schema == SCHEMA


def test_published_values_equal_the_roll_up_of_their_children(
    conditioned: pl.DataFrame,
    published: pl.DataFrame,
    catalogue: dict[str, Indicator],
    weight_frame: pl.DataFrame,
) -> None:
    view = shown(published, conditioned)
    checked: set[tuple[str, str, int]] = set()
    for ind in catalogue.values():
        parents = rolled_up(view, ind, weight_frame).filter(
            pl.col("published"), pl.col("simulated") > 0)
        # The stored children are rounded; the published parent is exact.
        tolerance = 0.5 * 10.0**-ind.decimals + 1e-9
        error = (parents["value"] - parents["rolled"]).abs()
        assert (error <= tolerance).all(), (ind.id, parents.filter(error > tolerance))
        checked |= keys(parents)
    # Finding 2 (Jawa Barat's IKP 2024 over its kab/kota), the IDI nation over its
    # provinces, and turnout at both levels: the nation around Jawa Barat.
    assert {("ikp", "32", 2024), ("idi", "ID", 2024), ("turnout_pilpres", "32", 2019),
            ("turnout_pilpres", "ID", 2019)} <= checked
    assert len(checked) > 50


def test_simulated_parents_never_contradict_published_children(
    conditioned: pl.DataFrame,
    published: pl.DataFrame,
    catalogue: dict[str, Indicator],
    weight_frame: pl.DataFrame,
) -> None:
    view = shown(published, conditioned)
    checked: set[tuple[str, str, int]] = set()
    for ind in catalogue.values():
        parents = rolled_up(view, ind, weight_frame).filter(
            ~pl.col("published"), pl.col("published_children") > 0)
        # Parent and children are rounded: a unit (see ingest.demo, "Roll-up").
        tolerance = 10.0**-ind.decimals + 1e-9
        error = (parents["value"] - parents["rolled"]).abs()
        assert (error <= tolerance).all(), (ind.id, parents.filter(error > tolerance))
        checked |= keys(parents)
    # Finding 2: the simulated national IKP 2024 beside 23 published provinces.
    assert ("ikp", "ID", 2024) in checked
    national = rows(view, "ikp", "nasional").filter(pl.col("period") == 2024)["value"].item()
    provinces = rows(view, "ikp", "provinsi").filter(pl.col("period") == 2024)["value"]
    assert provinces.min() < national < provinces.max()


def category_gap(view: pl.DataFrame, ind: Indicator) -> pl.DataFrame:
    """Each simulated region below a published one, with how many categories apart they are.

    The published region is the nearest published ancestor in the same period.
    """
    values = rows(view, ind.id)
    above = ind.levels()[:-1]
    simulated = values.filter(~pl.col("published"))
    anchors = values.filter(pl.col("published")).select("region_code", "period", "value")
    for level in above:
        simulated = simulated.with_columns(at=ancestor(level)).join(
            anchors.rename({"region_code": "at", "value": f"value_{level}"}),
            on=["at", "period"], how="left", validate="m:1").drop("at")
    nearest = pl.coalesce([f"value_{level}" for level in reversed(above)])
    simulated = simulated.with_columns(anchor=nearest).drop_nulls("anchor")
    # Each period's value in the categories of its edition (IKP 2019 has its own bands).
    child, anchor = (np.full(simulated.height, -1) for _ in range(2))
    for period in simulated["period"].unique().to_list():
        at = (simulated["period"] == period).to_numpy()
        cats = ind.categories_for(period)
        child[at] = category_index(simulated["value"].to_numpy()[at], cats)
        anchor[at] = category_index(simulated["anchor"].to_numpy()[at], cats)
    return simulated.with_columns(gap=pl.Series(np.abs(child - anchor)), child=pl.Series(child))


def test_category_rule_in_the_published_data(
    conditioned: pl.DataFrame, published: pl.DataFrame, catalogue: dict[str, Indicator]
) -> None:
    view = shown(published, conditioned)
    checked = 0
    for ind in (ind for ind in catalogue.values() if ind.categories):
        gaps = category_gap(view, ind)
        assert (gaps["gap"] <= 1).all(), (ind.id, gaps.filter(pl.col("gap") > 1))
        checked += gaps.height
    assert checked > 1000
    # Finding 2: most of Jawa Barat's kab/kota are now "rawan tinggi" like the province.
    jabar = rows(view, "ikp", "kabkota").filter(
        pl.col("period") == 2024, pl.col("region_code").str.starts_with("32."))
    assert (jabar["value"] >= 68.5).mean() > 0.5


def jawa_barat_ikp(
    registry: Registry, catalogue: dict[str, Indicator], weight_frame: pl.DataFrame,
    free_mean: float,
) -> tuple[pl.DataFrame, float, float]:
    """Publish IKP 2024 for Jawa Barat and its heaviest kab/kota (at 0), rawan rendah.

    The kab/kota left simulated (a fifth of the weight or less) must average
    ``free_mean`` for the province's roll-up. Returns the simulated kab/kota of Jawa
    Barat, the province's published value and the weighted mean of all its kab/kota.
    """
    ikp = {"ikp": catalogue["ikp"]}
    plain = generate(registry, ikp, first_year=2024, last_year=2024)
    kab = (rows(with_level(plain), "ikp", "kabkota")
           .filter(pl.col("region_code").str.starts_with("32."))
           .join(weight_frame, on="region_code", validate="1:1")
           .sort("weight", descending=True))
    total = kab["weight"].sum()
    fixed = kab.filter(kab["weight"].cum_sum() - kab["weight"] < 0.8 * total).with_columns(
        value=pl.lit(0.0))
    share = 1 - fixed["weight"].sum() / total
    province = round(free_mean * share, 2)
    assert catalogue["ikp"].category_of(province, 2024).label_en == "Low vulnerability"
    pub = pl.concat([
        fixed.select(SCHEMA.names()),
        pl.DataFrame([("ikp", "32", 2024, province)], schema=SCHEMA, orient="row"),
    ])
    out = generate(registry, ikp, first_year=2024, last_year=2024, published=pub)
    simulated = out.filter(pl.col("region_code").str.starts_with("32.")).join(
        weight_frame, on="region_code", validate="1:1")
    assert simulated.height == kab.height - fixed.height
    both = pl.concat([fixed.select("value", "weight"), simulated.select("value", "weight")])
    return simulated, province, (both["value"] * both["weight"]).sum() / both["weight"].sum()


def test_category_rule_holds_where_the_scale_alone_would_break_it(
    registry: Registry, catalogue: dict[str, Indicator], weight_frame: pl.DataFrame
) -> None:
    # Jawa Barat is "rawan rendah": its simulated kab/kota may be rendah or sedang, never
    # tinggi (from 68.5), though they must average 62 and spread by several points.
    simulated, province, rolled = jawa_barat_ikp(registry, catalogue, weight_frame, 62.0)
    child = category_index(simulated["value"].to_numpy(), catalogue["ikp"].categories_for(2024))
    assert child.max() == 1
    assert (simulated["value"] == 68.49).any()  # the rule binds: values wait at its edge
    assert abs(rolled - province) <= 0.005 + 1e-9


def test_roll_up_wins_when_the_category_rule_cannot_hold(
    registry: Registry, catalogue: dict[str, Indicator], weight_frame: pl.DataFrame
) -> None:
    # Here the free kab/kota must average 90: only "rawan tinggi" can give that.
    simulated, province, rolled = jawa_barat_ikp(registry, catalogue, weight_frame, 90.0)
    assert abs(rolled - province) <= 0.005 + 1e-9
    assert simulated["value"].max() <= 100


def test_published_counts_are_split_exactly(
    registry: Registry, catalogue: dict[str, Indicator]
) -> None:
    ormas = {"ormas": catalogue["ormas"]}
    plain = with_level(generate(registry, ormas, first_year=2024, last_year=2024))
    national = rows(plain, "ormas", "nasional")["value"].item()
    jabar = plain.filter(pl.col("region_code") == "32")["value"].item()
    pub = pl.DataFrame([("ormas", "ID", 2024, national + 5_003.0),
                        ("ormas", "32", 2024, round(jabar / 2) + 0.0)],
                       schema=SCHEMA, orient="row")
    out = with_level(generate(registry, ormas, first_year=2024, last_year=2024, published=pub))
    kab = rows(out, "ormas", "kabkota")
    assert (kab["value"] >= 0).all() and (kab["value"] == kab["value"].round()).all()
    in_jabar = kab.filter(pl.col("region_code").str.starts_with("32."))
    assert in_jabar["value"].sum() == round(jabar / 2)
    assert (in_jabar["value"] > 0).mean() > 0.9  # split in proportion, not piled on one
    provinces = rows(out, "ormas", "provinsi")["value"].sum()
    assert provinces + round(jabar / 2) == national + 5_003


def test_a_published_region_is_never_a_gap(
    registry: Registry, catalogue: dict[str, Indicator], weight_frame: pl.DataFrame
) -> None:
    # A province the random gaps drop (IDI), and one with no pilkada in the calendar:
    # published, each counts in the national roll-up, and the second gets kab/kota.
    sub = {k: catalogue[k] for k in ("idi", "turnout_pilkada")}
    plain = with_level(generate(registry, sub, first_year=2017, last_year=2017))
    provinces = {r.code for r in registry.at_level("provinsi")} - set(NEW_PAPUA_PROVINCES)
    gap = min(provinces - set(rows(plain, "idi", "provinsi")["region_code"]))
    no_pilkada = min(provinces - set(rows(plain, "turnout_pilkada", "provinsi")["region_code"]))
    # Far from the national value, so that leaving one out would show in the roll-up.
    pub = pl.DataFrame([("idi", gap, 2017, 30.0), ("turnout_pilkada", no_pilkada, 2017, 30.0)],
                       schema=SCHEMA, orient="row")
    out = generate(registry, sub, first_year=2017, last_year=2017, published=pub)
    view = shown(pub, out)
    for ind in sub.values():
        parents = rolled_up(view, ind, weight_frame)
        national = parents.filter(pl.col("region_code") == NATIONAL_CODE)
        assert national["published_children"].item() == 1, ind.id
        assert abs(national["value"].item() - national["rolled"].item()) <= 0.01 + 1e-9
    kab = rows(view, "turnout_pilkada", "kabkota")
    assert kab.filter(pl.col("region_code").str.starts_with(no_pilkada + ".")).height > 0


def test_conditioning_is_deterministic_and_does_not_depend_on_the_window(
    registry: Registry,
    catalogue: dict[str, Indicator],
    published: pl.DataFrame,
    conditioned: pl.DataFrame,
) -> None:
    assert_frame_equal(conditioned, generate(registry, catalogue, published=published))
    narrow = generate(registry, catalogue, first_year=2019, last_year=2020, published=published)
    assert_frame_equal(narrow, conditioned.filter(pl.col("period").is_between(2019, 2020)))


def test_conditioned_values_within_scale_and_rounded(
    conditioned: pl.DataFrame, catalogue: dict[str, Indicator]
) -> None:
    for ind in catalogue.values():
        values = conditioned.filter(pl.col("indicator_id") == ind.id)["value"]
        if ind.scale_min is not None:
            assert values.min() >= ind.scale_min, ind.id
        if ind.scale_max is not None:
            assert values.max() <= ind.scale_max, ind.id
        assert (values - values.round(ind.decimals)).abs().max() < 1e-9, ind.id


def test_published_rows_with_nothing_simulated_around_them_change_nothing(
    registry: Registry, catalogue: dict[str, Indicator], raw: pl.DataFrame
) -> None:
    # A region outside the registry, a year outside the window, an unknown indicator.
    pub = pl.DataFrame([("idi", "99", 2024, 50.0), ("idi", NATIONAL_CODE, 2009, 67.3),
                        ("unknown", NATIONAL_CODE, 2024, 1.0)], schema=SCHEMA, orient="row")
    assert_frame_equal(generate(registry, catalogue, published=pub), raw)
