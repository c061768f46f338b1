"""Deterministic synthetic indicator values for the demo, tests and benchmarks.

:func:`generate` fills every catalogue indicator at every level where it is defined
(national ``"ID"`` down to the indicator's ``lowest_level``) for its periods within a
window of years. The same registry, catalogue, seed and window give the identical frame.
The values are invented; they only look plausible.

Model
-----
Values are drawn at the indicator's lowest level from nested random effects, so
siblings are alike and provinces differ (there is no geometry to work from):

* an island-group effect keyed by the first digit of the province code (see
  :data:`ISLAND_GROUPS`), partly fixed per indicator (IKP is higher in Papua, ormas are
  more numerous in Jawa) and partly random;
* a province effect, a kab/kota effect and a small kecamatan effect;
* a linear trend per province around :data:`REFERENCE_YEAR` (a national slope plus a
  random slope per province, so some provinces rise while others fall), a national
  effect per year and idiosyncratic noise per region-year.

For indices and rates the region effects and slopes are centred on their weighted
national mean, so the national value stays near the indicator's typical level and
trend whatever the seed.

Indices and rates (``aggregation = "mean"``) are that sum, clipped to the scale. Counts
(``aggregation = "sum"``) are Poisson draws whose log-mean is that sum. Turnout in some
highland Papua kab/kota is close to 100 % (the *noken* system).

Roll-up
-------
Higher levels are computed from the lowest level, never drawn themselves:

* counts add up: a parent's value is the sum of its present children, so the
  kecamatan, kab/kota, provinsi and national totals agree exactly;
* indices and rates are weighted means. Every kecamatan has a synthetic, deterministic
  weight (a population or voter count, see :func:`weights`); a kab/kota weighs the sum
  of its kecamatan, a province the sum of its kab/kota. A parent's value is
  ``sum(w * v) / sum(w)`` over the *present* lowest-level regions below it. This is the
  same as the weighted mean of its present children when each child is weighted by the
  summed weight of its own present lowest-level regions (its full weight from
  :func:`weights` when nothing below it is missing), like turnout computed as votes
  cast over registered voters.

A parent some of whose children are missing rolls up from the present ones; a parent
whose children are all missing is missing too.

Rounding happens once, after the roll-up: parents are computed from unrounded
children, then every value is rounded to the indicator's ``decimals``. A stored parent
is therefore within ``0.5 * 10**-decimals`` of the exact weighted mean of the unrounded
values, and a re-check from the stored (rounded) children must allow
``10**-decimals``: half a unit for the parent's rounding and at most half a unit for
the children's. Rounding is monotone, so a stored mean always lies between the smallest
and the largest stored child. Counts are integers and need no tolerance.

Gaps
----
A missing value is an absent row, never a zero or NaN row.

* The four Papua provinces created in 2022 (:data:`NEW_PAPUA_PROVINCES`) and everything
  inside them have no values before :data:`NEW_PAPUA_FIRST_YEAR`.
* Each year, :data:`MISSING_SHARE` of the lowest-level regions that would otherwise
  have a value are missing at random (an exact count, so the share is about the same
  for 38 provinces as for 7,285 kecamatan).
* For indicators defined down to kecamatan, a few whole kab/kota
  (:data:`MISSING_KABKOTA_SHARE` of them) miss each year.
* Pilkada turnout exists only where voters went to the polls that year, following
  :func:`pilkada_regions`; a province's value rolls up from those kab/kota only.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import polars as pl
from numpy.typing import NDArray

from geodata.registry import LEVELS, NATIONAL_CODE, Level, Registry
from queries.catalogue import Indicator

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
StrArray = NDArray[np.str_]

SCHEMA = pl.Schema(
    {
        "indicator_id": pl.String,
        "region_code": pl.String,
        "period": pl.Int32,
        "value": pl.Float64,
    }
)
"""Columns and types of the frame :func:`generate` returns."""

ISLAND_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "1": "Sumatera",
        "2": "Kepulauan Riau",
        "3": "Jawa",
        "5": "Bali-Nusa Tenggara",
        "6": "Kalimantan",
        "7": "Sulawesi",
        "8": "Maluku",
        "9": "Papua",
    }
)
"""Island group of a province, keyed by the first digit of its code."""

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

_LEAF_LEVELS: tuple[Level, ...] = ("provinsi", "kabkota", "kecamatan")

_ISLAND_NAMES: Mapping[str, int] = MappingProxyType(
    {
        "sumatera": 1,
        "kepri": 2,
        "jawa": 3,
        "bali_nt": 5,
        "kalimantan": 6,
        "sulawesi": 7,
        "maluku": 8,
        "papua": 9,
    }
)


def _islands(**offsets: float) -> tuple[float, ...]:
    """Return fixed island-group offsets indexed by the first digit of a province code."""
    out = [0.0] * 10
    for name, value in offsets.items():
        out[_ISLAND_NAMES[name]] = value
    return tuple(out)


@dataclass(frozen=True)
class _Profile:
    """How one indicator is simulated.

    For a mean indicator the terms are in the indicator's unit; for a count they are on
    the log scale of the Poisson mean (``base`` is the log of a typical count).

    Attributes
    ----------
    base
        The national centre.
    sd_island, sd_prov, sd_kab, sd_kec
        Standard deviations of the random effects per island group, province, kab/kota
        and kecamatan (only those at or above the indicator's lowest level apply).
    trend, sd_trend
        National change per year and the standard deviation of the per-province slopes.
    sd_year
        Standard deviation of the national effect of each year.
    sd_noise
        Standard deviation of the noise per region-year.
    island
        Fixed offsets per island group, indexed by the first digit of a province code.
    noken_share
        Share of the Papua-island kab/kota that vote by *noken* (see :data:`NOKEN_SHIFT`).
    pilkada
        Whether values exist only where :func:`pilkada_regions` held an election.
    """

    base: float
    sd_island: float
    sd_prov: float
    sd_kab: float
    sd_kec: float
    trend: float
    sd_trend: float
    sd_year: float
    sd_noise: float
    island: tuple[float, ...] = field(default_factory=_islands)
    noken_share: float = 0.0
    pilkada: bool = False


def _turnout(base: float, sd_year: float, *, pilkada: bool = False) -> _Profile:
    """Return the profile shared by the three turnout indicators."""
    return _Profile(
        base=base,
        sd_island=1.0,
        sd_prov=2.5,
        sd_kab=2.5,
        sd_kec=1.0,
        trend=0.0,
        sd_trend=0.3,
        sd_year=sd_year,
        sd_noise=1.0,
        island=_islands(jawa=2.0, sumatera=-2.0, kepri=-3.0, papua=-4.0),
        noken_share=0.3,
        pilkada=pilkada,
    )


_PROFILES: Mapping[str, _Profile] = MappingProxyType(
    {
        "idi": _Profile(
            base=75.0,
            sd_island=1.0,
            sd_prov=3.0,
            sd_kab=0.0,
            sd_kec=0.0,
            trend=0.15,
            sd_trend=0.5,
            sd_year=0.8,
            sd_noise=1.0,
            island=_islands(jawa=2.0, bali_nt=1.0, papua=-6.0, maluku=-1.0),
        ),
        "ikub": _Profile(
            base=73.5,
            sd_island=0.7,
            sd_prov=2.5,
            sd_kab=0.0,
            sd_kec=0.0,
            trend=0.1,
            sd_trend=0.3,
            sd_year=0.6,
            sd_noise=0.8,
            island=_islands(bali_nt=3.0, sumatera=-1.5, sulawesi=1.0),
        ),
        "ikp": _Profile(
            base=44.0,
            sd_island=2.0,
            sd_prov=6.0,
            sd_kab=7.0,
            sd_kec=0.0,
            trend=0.0,
            sd_trend=1.0,
            sd_year=1.5,
            sd_noise=3.0,
            island=_islands(papua=20.0, maluku=3.0, jawa=-2.0),
        ),
        "turnout_pilpres": _turnout(81.5, 0.5),
        "turnout_pileg": _turnout(80.5, 0.5),
        "turnout_pilkada": _turnout(72.0, 2.0, pilkada=True),
        "iap": _Profile(
            base=74.0,
            sd_island=1.0,
            sd_prov=2.5,
            sd_kab=0.0,
            sd_kec=0.0,
            trend=0.3,
            sd_trend=0.5,
            sd_year=0.5,
            sd_noise=0.8,
            island=_islands(bali_nt=1.5, papua=-3.0),
        ),
        "ihai": _Profile(
            base=68.0,
            sd_island=2.0,
            sd_prov=4.0,
            sd_kab=4.0,
            sd_kec=0.0,
            trend=0.5,
            sd_trend=0.8,
            sd_year=0.6,
            sd_noise=1.5,
            island=_islands(papua=-5.0, bali_nt=2.0),
        ),
        "ikn": _Profile(
            base=67.0,
            sd_island=2.0,
            sd_prov=4.0,
            sd_kab=4.0,
            sd_kec=0.0,
            trend=0.4,
            sd_trend=0.6,
            sd_year=0.8,
            sd_noise=1.5,
            island=_islands(papua=-5.0, maluku=-2.0, jawa=1.5),
        ),
        "ormas": _Profile(
            base=float(np.log(220.0)),
            sd_island=0.1,
            sd_prov=0.25,
            sd_kab=0.45,
            sd_kec=0.0,
            trend=0.04,
            sd_trend=0.02,
            sd_year=0.03,
            sd_noise=0.05,
            island=_islands(
                jawa=0.8,
                bali_nt=0.1,
                kepri=-0.3,
                kalimantan=-0.2,
                sulawesi=-0.1,
                maluku=-0.5,
                papua=-0.9,
            ),
        ),
        "konflik": _Profile(
            base=float(np.log(0.3)),
            sd_island=0.1,
            sd_prov=0.35,
            sd_kab=0.45,
            sd_kec=0.35,
            trend=-0.01,
            sd_trend=0.03,
            sd_year=0.1,
            sd_noise=0.2,
            island=_islands(
                papua=1.3,
                maluku=0.6,
                sulawesi=0.3,
                bali_nt=0.2,
                sumatera=0.1,
                jawa=-0.2,
                kepri=-0.5,
            ),
        ),
    }
)


def _profile(indicator: Indicator) -> _Profile:
    """Return the simulation profile of ``indicator``, or a generic one for a new entry."""
    known = _PROFILES.get(indicator.id)
    if known is not None:
        return known
    if indicator.aggregation == "sum":
        return _Profile(
            base=float(np.log(10.0)),
            sd_island=0.1,
            sd_prov=0.3,
            sd_kab=0.4,
            sd_kec=0.3,
            trend=0.0,
            sd_trend=0.03,
            sd_year=0.1,
            sd_noise=0.2,
        )
    low = 0.0 if indicator.scale_min is None else indicator.scale_min
    high = 100.0 if indicator.scale_max is None else indicator.scale_max
    width = (high - low) / 100.0
    return _Profile(
        base=low + 0.7 * (high - low),
        sd_island=2.0 * width,
        sd_prov=4.0 * width,
        sd_kab=3.0 * width,
        sd_kec=1.0 * width,
        trend=0.2 * width,
        sd_trend=0.5 * width,
        sd_year=0.5 * width,
        sd_noise=1.0 * width,
    )


# Pilkada calendar. Governor elections by province (DIY has none: its governor is the
# Sultan); kab/kota elections follow the same three cycles (DKI's kab/kota have appointed
# heads), assigned by a fixed permutation in the real proportions; 2024 was simultaneous.
_GOVERNOR_CYCLES: tuple[tuple[tuple[int, ...], tuple[str, ...]], ...] = (
    ((2015, 2020), tuple("13 15 17 21 62 63 65 71 72".split())),
    ((2017,), tuple("11 19 31 36 75 76 92".split())),
    ((2018,), tuple("12 14 16 18 32 33 35 51 52 53 61 64 73 74 81 82 91".split())),
)
_KABKOTA_CYCLES: tuple[tuple[tuple[int, ...], int], ...] = (
    ((2015, 2020), 260),
    ((2017,), 94),
    ((2018,), 154),
)
_NO_GOVERNOR_ELECTION = ("34",)
_NO_KABKOTA_ELECTION = ("31",)
_SIMULTANEOUS_PILKADA_YEAR = 2024
_CALENDAR_SALT = "pilkada-calendar"


@dataclass(frozen=True)
class _Tree:
    """The registry as arrays: codes per level and the index of each region's parent.

    Level indices follow :data:`geodata.registry.LEVELS`: 0 nasional, 1 provinsi,
    2 kabkota, 3 kecamatan. ``parent[i]`` maps level ``i`` to level ``i - 1``.
    """

    codes: tuple[StrArray, ...]
    parent: tuple[IntArray, ...]
    island: IntArray
    kota: BoolArray

    def size(self, level: int) -> int:
        """Return the number of regions at ``level``."""
        return len(self.codes[level])

    def up(self, level: int, target: int) -> IntArray:
        """Return, for each region at ``level``, the index of its ancestor at ``target``."""
        index = np.arange(self.size(level), dtype=np.int64)
        for lvl in range(level, target, -1):
            index = self.parent[lvl][index]
        return index


def _tree(registry: Registry) -> _Tree:
    """Turn ``registry`` into index arrays (regions sorted by code within each level)."""
    regions = [registry.at_level(level) for level in LEVELS[:4]]
    if [r.code for r in regions[0]] != [NATIONAL_CODE]:
        raise ValueError(f"the registry has no national region {NATIONAL_CODE!r}")
    codes = tuple(np.array([r.code for r in level], dtype=np.str_) for level in regions)
    parent: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    for lvl in range(1, 4):
        position = {r.code: i for i, r in enumerate(regions[lvl - 1])}
        try:
            index = [position[r.parent_code or ""] for r in regions[lvl]]
        except KeyError as exc:
            bad = next(r for r in regions[lvl] if (r.parent_code or "") not in position)
            raise ValueError(
                f"region {bad.code!r} ({LEVELS[lvl]}): parent {bad.parent_code!r} is not a"
                f" {LEVELS[lvl - 1]} region of the registry"
            ) from exc
        parent.append(np.array(index, dtype=np.int64))
    island = np.array([int(r.code[0]) for r in regions[1]], dtype=np.int64)
    kota = np.array([int(r.code.split(".")[1]) >= 71 for r in regions[2]], dtype=np.bool_)
    return _Tree(codes=codes, parent=tuple(parent), island=island, kota=kota)


def _rng(seed: int, *keys: str) -> np.random.Generator:
    """Return an independent generator for ``seed`` and a stream name (stable across runs)."""
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    return np.random.default_rng([seed, *(zlib.crc32(k.encode()) for k in keys)])


def _sum_up(values: FloatArray, parent: IntArray, size: int) -> FloatArray:
    """Sum the rows of ``values`` (regions x periods) into their parents' rows."""
    periods = values.shape[1]
    flat = (parent[:, None] * periods + np.arange(periods, dtype=np.int64)[None, :]).ravel()
    summed = np.bincount(flat, weights=values.ravel(), minlength=size * periods)
    return np.asarray(summed, dtype=np.float64).reshape(size, periods)


_WEIGHT_ISLAND = np.array(
    _islands(
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


def _level_weights(tree: _Tree, seed: int) -> tuple[FloatArray, ...]:
    """Return the weight of every region, per level (index as in :class:`_Tree`)."""
    rng = _rng(seed, "weights")
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
    tree = _tree(registry)
    per_level = _level_weights(tree, seed)
    return pl.DataFrame(
        {
            "region_code": np.concatenate(tree.codes),
            "weight": np.concatenate(per_level),
        },
        schema={"region_code": pl.String, "weight": pl.Float64},
    )


def _calendar(tree: _Tree) -> dict[int, frozenset[str]]:
    """Return the pilkada calendar of :func:`pilkada_regions` for ``tree``."""
    provinces = set(tree.codes[1].tolist())
    kab_codes: list[str] = tree.codes[2].tolist()
    eligible = [c for c in kab_codes if c.split(".")[0] not in _NO_KABKOTA_ELECTION]
    order = np.random.default_rng(zlib.crc32(_CALENDAR_SALT.encode())).permutation(len(eligible))
    shuffled = [eligible[i] for i in order]
    total = sum(n for _, n in _KABKOTA_CYCLES)
    calendar: dict[int, set[str]] = {}
    start, cumulative = 0, 0
    for years, n in _KABKOTA_CYCLES:
        cumulative += n
        stop = round(len(shuffled) * cumulative / total)
        for year in years:
            calendar.setdefault(year, set()).update(shuffled[start:stop])
        start = stop
    for years, codes in _GOVERNOR_CYCLES:
        for year in years:
            calendar.setdefault(year, set()).update(c for c in codes if c in provinces)
    calendar[_SIMULTANEOUS_PILKADA_YEAR] = {
        c for c in provinces if c not in _NO_GOVERNOR_ELECTION
    } | set(eligible)
    return {year: frozenset(codes) for year, codes in sorted(calendar.items())}


def pilkada_regions(registry: Registry) -> dict[int, frozenset[str]]:
    """Return, per year, the provinsi and kab/kota that held a regional head election.

    Governor elections follow the real cycles (2015/2020, 2017, 2018; none in DIY).
    Kab/kota (except DKI Jakarta's, whose heads are appointed) are split over the same
    cycles in the real proportions by a fixed permutation that does not depend on any
    seed: about 260 in 2015 and 2020, 94 in 2017 and 154 in 2018, giving about 269, 101,
    171 and 269 regions. In 2024 every province but DIY and every kab/kota voted.

    A kecamatan has pilkada turnout in a year when its kab/kota or its province held an
    election then; the new Papua provinces still have none before
    :data:`NEW_PAPUA_FIRST_YEAR`, and random gaps apply as for every indicator.

    Parameters
    ----------
    registry
        The region tree.

    Returns
    -------
    dict[int, frozenset[str]]
        Election years (ascending) mapped to the codes that held an election.
    """
    return _calendar(_tree(registry))


def _pilkada_mask(tree: _Tree, leaf: int, periods: IntArray) -> BoolArray:
    """Return which leaf region-years had voters at the polls (leaves x periods)."""
    calendar = _calendar(tree)
    kab_prov = tree.parent[2]
    columns = []
    for year in periods.tolist():
        held = calendar.get(year, frozenset())
        prov_held = np.array([c in held for c in tree.codes[1].tolist()], dtype=np.bool_)
        kab_held = np.array([c in held for c in tree.codes[2].tolist()], dtype=np.bool_)
        kab_held |= prov_held[kab_prov]
        if leaf == 1:
            any_kab = np.bincount(kab_prov, weights=kab_held, minlength=tree.size(1)) > 0
            columns.append(prov_held | any_kab)
        else:
            columns.append(kab_held[tree.up(leaf, 2)])
    return np.stack(columns, axis=1)


def _simulate(
    indicator: Indicator,
    profile: _Profile,
    tree: _Tree,
    leaf: int,
    periods: IntArray,
    weight: FloatArray,
    seed: int,
) -> FloatArray:
    """Return unrounded values for every leaf region and period (leaves x periods).

    ``weight`` holds the roll-up weight of each leaf region.
    """
    rng = _rng(seed, indicator.id, "values")
    island_eff = np.asarray(profile.island) + rng.normal(0.0, profile.sd_island, 10)
    prov_eff = rng.normal(0.0, profile.sd_prov, tree.size(1))
    kab_eff = rng.normal(0.0, profile.sd_kab, tree.size(2))
    kec_eff = rng.normal(0.0, profile.sd_kec, tree.size(3))
    slope = profile.trend + rng.normal(0.0, profile.sd_trend, tree.size(1))
    year_eff = rng.normal(0.0, profile.sd_year, len(periods))
    papua_kab = tree.island[tree.parent[2]] == _ISLAND_NAMES["papua"]
    # The same highland kab/kota vote by noken in every election: a stream of its own.
    noken_draw = _rng(seed, "noken").random(tree.size(2))
    noken = papua_kab & (noken_draw < profile.noken_share)
    kab_eff = kab_eff + NOKEN_SHIFT * noken
    noise = rng.normal(0.0, profile.sd_noise, (tree.size(leaf), len(periods)))

    prov_of = tree.up(leaf, 1)
    region_eff = island_eff[tree.island[prov_of]] + prov_eff[prov_of]
    if leaf >= 2:
        region_eff = region_eff + kab_eff[tree.up(leaf, 2)]
    if leaf == 3:
        region_eff = region_eff + kec_eff
    region_slope = slope[prov_of]
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


def _present(
    indicator: Indicator, profile: _Profile, tree: _Tree, leaf: int, periods: IntArray, seed: int
) -> BoolArray:
    """Return which leaf region-years have a value (leaves x periods)."""
    rng = _rng(seed, indicator.id, "gaps")
    present = np.ones((tree.size(leaf), len(periods)), dtype=np.bool_)
    new_papua = np.isin(tree.codes[1], NEW_PAPUA_PROVINCES)[tree.up(leaf, 1)]
    present &= ~(new_papua[:, None] & (periods < NEW_PAPUA_FIRST_YEAR)[None, :])
    if profile.pilkada:
        present &= _pilkada_mask(tree, leaf, periods)
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


def _indicator_frames(
    indicator: Indicator,
    tree: _Tree,
    level_weights: tuple[FloatArray, ...],
    seed: int,
    first_year: int,
    last_year: int,
) -> list[pl.DataFrame]:
    """Return one frame per level (national first) for one indicator."""
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
    profile = _profile(indicator)
    values = _simulate(indicator, profile, tree, leaf, periods, level_weights[leaf], seed)
    values = values[:, keep]
    present = _present(indicator, profile, tree, leaf, periods, seed)[:, keep]
    periods = periods[keep]

    is_mean = indicator.aggregation == "mean"
    weight = level_weights[leaf][:, None] if is_mean else np.ones((tree.size(leaf), 1))
    numerator = np.where(present, weight * values, 0.0)
    denominator = np.where(present, weight, 0.0)
    count = present.astype(np.float64)
    levels: list[tuple[FloatArray, BoolArray]] = [(values, present)]
    for lvl in range(leaf, 0, -1):
        size = tree.size(lvl - 1)
        numerator = _sum_up(numerator, tree.parent[lvl], size)
        denominator = _sum_up(denominator, tree.parent[lvl], size)
        count = _sum_up(count, tree.parent[lvl], size)
        has = count > 0
        if is_mean:
            rolled = np.divide(numerator, denominator, out=np.zeros_like(numerator), where=has)
        else:
            rolled = numerator
        levels.insert(0, (rolled, has))

    frames = []
    period_values = periods.astype(np.int32)
    for lvl, (level_values, level_present) in enumerate(levels):
        rows, cols = np.nonzero(level_present)
        frames.append(
            pl.DataFrame(
                {
                    "indicator_id": np.full(len(rows), indicator.id),
                    "region_code": tree.codes[lvl][rows],
                    "period": period_values[cols],
                    "value": np.round(level_values[rows, cols], indicator.decimals),
                },
                schema=SCHEMA,
            )
        )
    return frames


def generate(
    registry: Registry,
    catalogue: Mapping[str, Indicator],
    *,
    seed: int = 2024,
    first_year: int = 2015,
    last_year: int = 2024,
) -> pl.DataFrame:
    """Generate deterministic synthetic values for every indicator of the catalogue.

    Values are drawn at each indicator's lowest level and rolled up to the nation (see
    the module documentation for the model, the roll-up, the rounding tolerance and the
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
    tree = _tree(registry)
    level_weights = _level_weights(tree, seed)
    frames = [
        frame
        for indicator in catalogue.values()
        for frame in _indicator_frames(indicator, tree, level_weights, seed, first_year, last_year)
    ]
    if not frames:
        return pl.DataFrame(schema=SCHEMA)
    return pl.concat(frames, how="vertical")
