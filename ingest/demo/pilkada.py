"""The pilkada calendar: which provinces and kab/kota elected their heads in which year."""

from __future__ import annotations

import zlib

import numpy as np

from geodata.registry import Registry
from ingest.demo.tree import BoolArray, IntArray, Tree, build_tree

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


def _calendar(tree: Tree) -> dict[int, frozenset[str]]:
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
    :data:`ingest.demo.NEW_PAPUA_FIRST_YEAR`, and random gaps apply as for every indicator.

    Parameters
    ----------
    registry
        The region tree.

    Returns
    -------
    dict[int, frozenset[str]]
        Election years (ascending) mapped to the codes that held an election.
    """
    return _calendar(build_tree(registry))


def pilkada_mask(tree: Tree, leaf: int, periods: IntArray) -> BoolArray:
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
