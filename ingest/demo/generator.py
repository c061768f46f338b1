"""The generator: roll-up weights, values at every level, and the frame of all indicators."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import polars as pl

from geodata.registry import LEVELS, Level, Registry
from ingest.demo.condition import condition, published_grid
from ingest.demo.profiles import islands, profile_for
from ingest.demo.tree import BoolArray, FloatArray, IntArray, StrArray, Tree, build_tree, sum_up
from ingest.demo.values import presence, random_stream, simulate
from queries.catalogue import Indicator

SCHEMA = pl.Schema(
    {
        "indicator_id": pl.String,
        "region_code": pl.String,
        "period": pl.Int32,
        "value": pl.Float64,
    }
)
"""Columns and types of the frame :func:`generate` returns."""

_LEAF_LEVELS: tuple[Level, ...] = ("provinsi", "kabkota", "kecamatan")

_WEIGHT_ISLAND = np.array(
    islands(
        sumatera=-0.2,
        kepri=-0.2,
        jawa=0.9,
        bali_nt=-0.1,
        kalimantan=-0.4,
        sulawesi=-0.4,
        maluku=-0.6,
        papua=-1.6,
    )
)


def _level_weights(tree: Tree, seed: int) -> tuple[FloatArray, ...]:
    """Return the weight of every region, per level (level indices as in ``Tree``)."""
    rng = random_stream(seed, "weights")
    prov_of, kab_of = tree.up(3, 1), tree.up(3, 2)
    log_w = (
        np.log(22_000.0)
        + _WEIGHT_ISLAND[tree.island[prov_of]]
        + 0.5 * tree.kota[kab_of]
        + rng.normal(0.0, 0.3, tree.size(1))[prov_of]
        + rng.normal(0.0, 0.35, tree.size(2))[kab_of]
        + rng.normal(0.0, 0.5, tree.size(3))
    )
    kec = np.maximum(np.rint(np.exp(log_w)), 1.0)
    out = [kec]
    for lvl in (3, 2, 1):
        above = np.bincount(tree.parent[lvl], weights=out[0], minlength=tree.size(lvl - 1))
        out.insert(0, np.where(above > 0, above, 1.0))
    return tuple(out)


def weights(registry: Registry, seed: int = 2024) -> pl.DataFrame:
    """Return the synthetic roll-up weight of every region.

    Each kecamatan gets a lognormal population/voter count (larger in Jawa and in kota,
    smaller in Papua), rounded to a whole number; a kab/kota weighs the sum of its
    kecamatan, a province the sum of its kab/kota and the nation the sum of all. A
    region without children in the registry weighs 1.

    Parameters
    ----------
    registry
        The region tree.
    seed
        Non-negative seed; :func:`generate` with the same seed uses these weights.

    Returns
    -------
    polars.DataFrame
        Columns ``region_code`` (str) and ``weight`` (Float64), national first, then
        provinsi, kab/kota and kecamatan, each sorted by code.
    """
    tree = build_tree(registry)
    per_level = _level_weights(tree, seed)
    return pl.DataFrame(
        {
            "region_code": np.concatenate(tree.codes),
            "weight": np.concatenate(per_level),
        },
        schema={"region_code": pl.String, "weight": pl.Float64},
    )


def _indicator_frames(
    indicator: Indicator,
    tree: Tree,
    level_weights: tuple[FloatArray, ...],
    seed: int,
    first_year: int,
    last_year: int,
    published: pl.DataFrame,
) -> list[pl.DataFrame]:
    """Return one frame per level (national first) for one indicator.

    The values are conditioned on ``published`` and the published region-periods
    themselves are left out.
    """
    if indicator.lowest_level not in _LEAF_LEVELS:
        raise ValueError(
            f"indicator {indicator.id!r}: lowest_level must be one of"
            f" {', '.join(_LEAF_LEVELS)}, got {indicator.lowest_level!r}"
        )
    # Draw over all the indicator's periods so that a value does not depend on the window.
    periods = np.array(sorted(set(indicator.periods)), dtype=np.int64)
    keep = (periods >= first_year) & (periods <= last_year)
    if not keep.any():
        return []
    leaf = LEVELS.index(indicator.lowest_level)
    profile = profile_for(indicator)
    values = simulate(indicator, profile, tree, leaf, periods, level_weights[leaf], seed)
    present = presence(indicator, profile, tree, leaf, periods, seed)
    periods = periods[keep]
    grid = published_grid(published, indicator, tree, leaf, periods)
    values, present = condition(
        indicator, tree, leaf, values[:, keep], present[:, keep], level_weights[leaf], grid,
        periods,
    )
    levels = _roll_up(
        tree, leaf, values, present, level_weights[leaf], mean=indicator.aggregation == "mean"
    )
    return [
        _frame(indicator, tree.codes[lvl], periods, level_values, level_present & np.isnan(pub))
        for lvl, ((level_values, level_present), pub) in enumerate(zip(levels, grid, strict=True))
    ]


def _roll_up(
    tree: Tree,
    leaf: int,
    values: FloatArray,
    present: BoolArray,
    weight: FloatArray,
    *,
    mean: bool,
) -> list[tuple[FloatArray, BoolArray]]:
    """Return the values and presence of every level, national first, down to ``leaf``.

    A parent is the sum of its present leaf regions, or with ``mean`` their mean
    weighted by ``weight`` (one per leaf region); it is present when any of them is.
    """
    w = weight[:, None] if mean else np.ones((tree.size(leaf), 1))
    numerator = np.where(present, w * values, 0.0)
    denominator = np.where(present, w, 0.0)
    count = present.astype(np.float64)
    levels: list[tuple[FloatArray, BoolArray]] = [(values, present)]
    for lvl in range(leaf, 0, -1):
        size = tree.size(lvl - 1)
        numerator = sum_up(numerator, tree.parent[lvl], size)
        denominator = sum_up(denominator, tree.parent[lvl], size)
        count = sum_up(count, tree.parent[lvl], size)
        has = count > 0
        if mean:
            rolled = np.divide(numerator, denominator, out=np.zeros_like(numerator), where=has)
        else:
            rolled = numerator
        levels.insert(0, (rolled, has))
    return levels


def _frame(
    indicator: Indicator,
    codes: StrArray,
    periods: IntArray,
    values: FloatArray,
    present: BoolArray,
) -> pl.DataFrame:
    """Return the present values of one level (regions x periods), rounded, as rows."""
    rows, cols = np.nonzero(present)
    return pl.DataFrame(
        {
            "indicator_id": np.full(len(rows), indicator.id),
            "region_code": codes[rows],
            "period": periods.astype(np.int32)[cols],
            "value": np.round(values[rows, cols], indicator.decimals),
        },
        schema=SCHEMA,
    )


def generate(
    registry: Registry,
    catalogue: Mapping[str, Indicator],
    *,
    seed: int = 2024,
    first_year: int = 2015,
    last_year: int = 2024,
    published: pl.DataFrame | None = None,
    exclude: Mapping[str, Iterable[int]] | None = None,
) -> pl.DataFrame:
    """Generate deterministic synthetic values for every indicator of the catalogue.

    Values are drawn at each indicator's lowest level and rolled up to the nation (see
    :mod:`ingest.demo` for the model, the roll-up, the rounding tolerance and the
    deliberate gaps). Missing values are absent rows.

    Parameters
    ----------
    registry
        The region tree, e.g. :func:`geodata.registry.load_registry`.
    catalogue
        Indicators keyed by id, e.g. :func:`queries.catalogue.load_catalogue_file`.
    seed
        Non-negative seed; the same inputs give the identical frame.
    first_year, last_year
        The window of periods to fill (inclusive). A value does not depend on the
        window: a narrower window gives a subset of the rows of a wider one.
    published
        Published values to condition on (columns as in :data:`SCHEMA`; rows of other
        indicators, of other periods or of regions outside the registry are ignored).
        The simulated values around them are moved so that no roll-up contradicts
        them, and the published region-periods get no simulated row (see "Published
        values" in :mod:`ingest.demo`).
    exclude
        Indicator id -> periods left out of the frame at every level, e.g.
        :data:`ingest.demo.records.RECORD_DERIVED` (the values the roll-up of the demo
        records writes). Leaving them out changes no other value.

    Returns
    -------
    polars.DataFrame
        Columns as in :data:`SCHEMA`: ``indicator_id``, ``region_code``, ``period`` and
        ``value``; sorted by catalogue order, then level (national first), region code
        and period.

    Raises
    ------
    ValueError
        If ``first_year > last_year``, ``seed`` is negative, an indicator's lowest level
        is not provinsi, kabkota or kecamatan, or the registry is not a tree.
    """
    if first_year > last_year:
        raise ValueError(f"first_year ({first_year}) is after last_year ({last_year})")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    tree = build_tree(registry)
    level_weights = _level_weights(tree, seed)
    fixed = pl.DataFrame(schema=SCHEMA) if published is None else published
    frames = [
        frame
        for indicator in catalogue.values()
        for frame in _indicator_frames(
            indicator, tree, level_weights, seed, first_year, last_year, fixed
        )
    ]
    if not frames:
        return pl.DataFrame(schema=SCHEMA)
    out = pl.concat(frames, how="vertical")
    if exclude:
        left_out = pl.DataFrame(
            [(ind, period) for ind, periods in exclude.items() for period in periods],
            schema={"indicator_id": pl.String, "period": pl.Int32}, orient="row",
        )
        out = out.join(left_out, on=["indicator_id", "period"], how="anti", maintain_order="left")
    return out
