"""Conditioning simulated values on published ones, so a roll-up never contradicts them.

See "Published values" in :mod:`ingest.demo` for the rules this module implements.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ingest.demo.tree import BoolArray, FloatArray, IntArray, Tree
from queries.catalogue import Indicator, category_index

_BISECTIONS = 80  # halvings of the shift's bracket: far below any rounding unit


def published_grid(
    published: pl.DataFrame, indicator: Indicator, tree: Tree, leaf: int, periods: IntArray
) -> list[FloatArray]:
    """Return the published values of one indicator as one array per level (regions x periods).

    Levels run from the nation down to ``leaf``; NaN marks a region-period without a
    published value. Rows of other indicators, of other periods, below ``leaf`` or of
    regions outside ``tree`` are ignored: nothing simulated lies around them.
    """
    grid = [np.full((tree.size(lvl), len(periods)), np.nan) for lvl in range(leaf + 1)]
    column = {int(p): j for j, p in enumerate(periods.tolist())}
    position = {code: (lvl, i) for lvl in range(len(tree.codes))
                for i, code in enumerate(tree.codes[lvl].tolist())}
    rows = published.filter(pl.col("indicator_id") == indicator.id)
    for code, period, value in rows.select("region_code", "period", "value").iter_rows():
        found = position.get(code)
        if found is not None and found[0] <= leaf and int(period) in column:
            grid[found[0]][found[1], column[int(period)]] = value
    return grid


def condition(
    indicator: Indicator,
    tree: Tree,
    leaf: int,
    values: FloatArray,
    present: BoolArray,
    weight: FloatArray,
    published: list[FloatArray],
    periods: IntArray,
) -> tuple[FloatArray, BoolArray]:
    """Move the simulated leaf values so that every published region's roll-up equals it.

    Parameters
    ----------
    indicator
        The indicator (aggregation, scale, decimals and categories are used).
    tree, leaf
        The region tree and the index of the indicator's lowest level.
    values, present
        Unrounded simulated values and their presence (leaves x periods).
    weight
        The roll-up weight of each leaf region.
    published
        :func:`published_grid` of the indicator.
    periods
        The periods of the columns (for the categories of each period's edition).

    Returns
    -------
    tuple of numpy.ndarray
        The new values and presence (copies; the inputs are not changed).
    """
    values, present = values.copy(), present.copy()
    fixed = ~np.isnan(published[leaf])
    values[fixed] = published[leaf][fixed]
    present |= fixed
    for lvl in range(leaf - 1, -1, -1):
        ancestor = tree.up(leaf, lvl)
        nodes, cols = np.nonzero(~np.isnan(published[lvl]))
        for node, col in zip(nodes.tolist(), cols.tolist(), strict=True):
            below = ancestor == node
            if not (below & present[:, col]).any():
                present[below, col] = True  # a published region was measured: its leaves exist
            under = np.flatnonzero(below & present[:, col])
            target = float(published[lvl][node, col])
            free = under[~fixed[under, col]]
            if len(free) == 0:
                continue  # only published leaves below: nothing simulated to move
            done = under[fixed[under, col]]
            if indicator.aggregation == "sum":
                values[free, col] = _allocate(target - values[done, col].sum(),
                                              values[free, col], weight[free])
            else:
                rest = target * weight[under].sum() - (weight[done] * values[done, col]).sum()
                values[free, col] = _shift(values[free, col], weight[free], rest,
                                           _bands(indicator, target, int(periods[col])))
        fixed |= ~np.isnan(published[lvl])[ancestor]
    return values, present


def _bands(indicator: Indicator, parent: float, period: int) -> list[tuple[float, float]]:
    """Return the ranges children may take, preferred first: the category rule, the scale.

    The first is the parent's official category in the edition of ``period`` and its
    neighbours, narrowed by one rounding unit at an excluded bound so that a rounded
    child stays inside; the last is the indicator's scale.
    """
    scale = (-np.inf if indicator.scale_min is None else indicator.scale_min,
             np.inf if indicator.scale_max is None else indicator.scale_max)
    cats = indicator.categories_for(period)
    pos = int(category_index([parent], cats)[0]) if cats else -1
    if pos < 0:
        return [scale]
    unit = 10.0**-indicator.decimals
    low, high = cats[max(pos - 1, 0)], cats[min(pos + 1, len(cats) - 1)]
    band = (max(scale[0], low.min + (0.0 if low.include_min else unit)),
            min(scale[1], high.max - (0.0 if high.include_max else unit)))
    return [band, scale]


def _shift(values: FloatArray, weight: FloatArray, total: float,
           bands: list[tuple[float, float]]) -> FloatArray:
    """Add one shift to ``values``, clipped to a band, so that ``sum(weight * v) == total``.

    The first band that holds the needed weighted mean is used. When none does, every
    value goes to the nearest bound of the last band (as close as the scale allows).
    """
    mean = total / weight.sum()
    low, high = next(((lo, hi) for lo, hi in bands if lo <= mean <= hi), bands[-1])
    if not low <= mean <= high:
        return np.full_like(values, min(max(mean, low), high))
    # At mean - max(values) every clipped value is at most the mean, at mean - min(values)
    # at least: the sum crosses ``total`` in between, and it grows with the shift.
    a, b = mean - values.max(), mean - values.min()
    for _ in range(_BISECTIONS):
        mid = (a + b) / 2
        if (weight * np.clip(values + mid, low, high)).sum() < total:
            a = mid
        else:
            b = mid
    shifted: FloatArray = np.clip(values + (a + b) / 2, low, high)
    return shifted


def _allocate(total: float, values: FloatArray, weight: FloatArray) -> FloatArray:
    """Split a whole ``total`` over counts in proportion to ``values`` (or to ``weight``).

    Largest remainders keep the sum exact and every count a non-negative integer; a
    negative total gives zeros.
    """
    whole = max(round(total), 0)
    share = values if values.sum() > 0 else weight
    raw = whole * share / share.sum()
    counts: FloatArray = np.floor(raw)
    extra = int(whole - counts.sum())
    counts[np.argsort(counts - raw, kind="stable")[:extra]] += 1
    return counts
