"""Drawing an indicator's values and gaps at its lowest level, from nested random effects."""

from __future__ import annotations

import zlib

import numpy as np

from ingest.demo.pilkada import pilkada_mask
from ingest.demo.profiles import ISLAND_DIGITS, Profile
from ingest.demo.tree import BoolArray, FloatArray, IntArray, Tree
from queries.catalogue import Indicator

NEW_PAPUA_PROVINCES: tuple[str, ...] = ("93", "94", "95", "96")
"""Papua Selatan, Papua Tengah, Papua Pegunungan and Papua Barat Daya (created 2022)."""

NEW_PAPUA_FIRST_YEAR = 2023
"""The first year with values inside :data:`NEW_PAPUA_PROVINCES`."""

MISSING_SHARE = 0.025
"""Share of the lowest-level regions left missing at random each year."""

MISSING_KABKOTA_SHARE = 0.006
"""Share of kab/kota missing whole each year (indicators defined down to kecamatan)."""

REFERENCE_YEAR = 2020
"""The year the per-province trends pivot on."""

NOKEN_SHIFT = 20.0
"""Turnout added in a *noken* kab/kota (clipped to the scale, so close to 100 %)."""


def random_stream(seed: int, *keys: str) -> np.random.Generator:
    """Return an independent generator for ``seed`` and a stream name (stable across runs)."""
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.default_rng([seed, *(zlib.crc32(k.encode()) for k in keys)])


def simulate(
    indicator: Indicator,
    profile: Profile,
    tree: Tree,
    leaf: int,
    periods: IntArray,
    weight: FloatArray,
    seed: int,
) -> FloatArray:
    """Return unrounded values for every leaf region and period (leaves x periods).

    ``weight`` holds the roll-up weight of each leaf region.
    """
    rng = random_stream(seed, indicator.id, "values")
    region_eff, region_slope, year_eff = _effects(rng, profile, tree, leaf, len(periods), seed)
    noise = rng.normal(0.0, profile.sd_noise, (tree.size(leaf), len(periods)))
    if indicator.aggregation == "mean" and len(region_eff) > 0:
        # Centre the effects on the weighted national mean, so that the national value
        # follows base + trend whatever the draws (the regions still differ).
        region_eff = region_eff - np.average(region_eff, weights=weight)
        region_slope = region_slope - np.average(region_slope, weights=weight) + profile.trend
    years = (periods - REFERENCE_YEAR).astype(np.float64)
    eta = (
        profile.base
        + region_eff[:, None]
        + region_slope[:, None] * years[None, :]
        + year_eff[None, :]
        + noise
    )
    values = rng.poisson(np.exp(eta)).astype(np.float64) if indicator.aggregation == "sum" else eta
    if indicator.scale_min is not None:
        values = np.maximum(values, indicator.scale_min)
    if indicator.scale_max is not None:
        values = np.minimum(values, indicator.scale_max)
    return values


def _effects(
    rng: np.random.Generator, profile: Profile, tree: Tree, leaf: int, n_periods: int, seed: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw the random effects: return each leaf region's effect and slope, and each year's."""
    island_eff = np.asarray(profile.island) + rng.normal(0.0, profile.sd_island, 10)
    prov_eff = rng.normal(0.0, profile.sd_prov, tree.size(1))
    kab_eff = rng.normal(0.0, profile.sd_kab, tree.size(2)) + NOKEN_SHIFT * _noken(
        profile, tree, seed
    )
    kec_eff = rng.normal(0.0, profile.sd_kec, tree.size(3))
    slope = profile.trend + rng.normal(0.0, profile.sd_trend, tree.size(1))
    year_eff = rng.normal(0.0, profile.sd_year, n_periods)

    prov_of = tree.up(leaf, 1)
    region_eff = island_eff[tree.island[prov_of]] + prov_eff[prov_of]
    if leaf >= 2:
        region_eff = region_eff + kab_eff[tree.up(leaf, 2)]
    if leaf == 3:
        region_eff = region_eff + kec_eff
    return region_eff, slope[prov_of], year_eff


def _noken(profile: Profile, tree: Tree, seed: int) -> BoolArray:
    """Return which kab/kota vote by *noken*: a share of those on the Papua island group.

    The same highland kab/kota vote by noken in every election: a stream of its own.
    """
    papua_kab = tree.island[tree.parent[2]] == ISLAND_DIGITS["papua"]
    draw = random_stream(seed, "noken").random(tree.size(2))
    noken: BoolArray = papua_kab & (draw < profile.noken_share)
    return noken


def presence(
    indicator: Indicator, profile: Profile, tree: Tree, leaf: int, periods: IntArray, seed: int
) -> BoolArray:
    """Return which leaf region-years have a value (leaves x periods)."""
    rng = random_stream(seed, indicator.id, "gaps")
    present = np.ones((tree.size(leaf), len(periods)), dtype=np.bool_)
    new_papua = np.isin(tree.codes[1], NEW_PAPUA_PROVINCES)[tree.up(leaf, 1)]
    present &= ~(new_papua[:, None] & (periods < NEW_PAPUA_FIRST_YEAR)[None, :])
    if profile.pilkada:
        present &= pilkada_mask(tree, leaf, periods)
    n_kab_gone = round(MISSING_KABKOTA_SHARE * tree.size(2)) if leaf == 3 else 0
    for j in range(len(periods)):
        # An exact share of the region-years that would have a value, so that even the
        # 38 provinces lose about one a year.
        candidates = np.flatnonzero(present[:, j])
        n_gone = round(MISSING_SHARE * len(candidates))
        present[rng.choice(candidates, size=n_gone, replace=False), j] = False
        if n_kab_gone:
            kab_gone = rng.choice(tree.size(2), size=n_kab_gone, replace=False)
            present[np.isin(tree.parent[3], kab_gone), j] = False
    return present
