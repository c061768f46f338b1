"""The region registry as index arrays: codes per level and each region's parent."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geodata.registry import LEVELS, NATIONAL_CODE, Registry

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
StrArray = NDArray[np.str_]


@dataclass(frozen=True)
class Tree:
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


def build_tree(registry: Registry) -> Tree:
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
    return Tree(codes=codes, parent=tuple(parent), island=island, kota=kota)


def sum_up(values: FloatArray, parent: IntArray, size: int) -> FloatArray:
    """Sum the rows of ``values`` (regions x periods) into their parents' rows."""
    periods = values.shape[1]
    flat = (parent[:, None] * periods + np.arange(periods, dtype=np.int64)[None, :]).ravel()
    summed = np.bincount(flat, weights=values.ravel(), minlength=size * periods)
    return np.asarray(summed, dtype=np.float64).reshape(size, periods)
