"""How each indicator is simulated: its centre, spread, trend and island-group offsets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from queries.catalogue import Indicator

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

ISLAND_DIGITS: Mapping[str, int] = MappingProxyType(
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
"""The first digit of a province code, by the short island-group name :func:`islands` takes."""


def islands(**offsets: float) -> tuple[float, ...]:
    """Return fixed island-group offsets indexed by the first digit of a province code."""
    out = [0.0] * 10
    for name, value in offsets.items():
        out[ISLAND_DIGITS[name]] = value
    return tuple(out)


@dataclass(frozen=True)
class Profile:
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
        Share of the Papua-island kab/kota that vote by *noken* (see ``NOKEN_SHIFT``).
    pilkada
        Whether values exist only where :func:`ingest.demo.pilkada_regions` held an election.
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
    island: tuple[float, ...] = field(default_factory=islands)
    noken_share: float = 0.0
    pilkada: bool = False


def _turnout(base: float, sd_year: float, *, pilkada: bool = False) -> Profile:
    """Return the profile shared by the three turnout indicators."""
    return Profile(
        base=base,
        sd_island=1.0,
        sd_prov=2.5,
        sd_kab=2.5,
        sd_kec=1.0,
        trend=0.0,
        sd_trend=0.3,
        sd_year=sd_year,
        sd_noise=1.0,
        island=islands(jawa=2.0, sumatera=-2.0, kepri=-3.0, papua=-4.0),
        noken_share=0.3,
        pilkada=pilkada,
    )


PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        "idi": Profile(
            base=75.0,
            sd_island=1.0,
            sd_prov=3.0,
            sd_kab=0.0,
            sd_kec=0.0,
            trend=0.15,
            sd_trend=0.5,
            sd_year=0.8,
            sd_noise=1.0,
            island=islands(jawa=2.0, bali_nt=1.0, papua=-6.0, maluku=-1.0),
        ),
        "ikub": Profile(
            base=73.5,
            sd_island=0.7,
            sd_prov=2.5,
            sd_kab=0.0,
            sd_kec=0.0,
            trend=0.1,
            sd_trend=0.3,
            sd_year=0.6,
            sd_noise=0.8,
            island=islands(bali_nt=3.0, sumatera=-1.5, sulawesi=1.0),
        ),
        "ikp": Profile(
            base=44.0,
            sd_island=2.0,
            sd_prov=6.0,
            sd_kab=7.0,
            sd_kec=0.0,
            trend=0.0,
            sd_trend=1.0,
            sd_year=1.5,
            sd_noise=3.0,
            island=islands(papua=20.0, maluku=3.0, jawa=-2.0),
        ),
        "turnout_pilpres": _turnout(81.5, 0.5),
        "turnout_pileg": _turnout(80.5, 0.5),
        "turnout_pilkada": _turnout(72.0, 2.0, pilkada=True),
        "iap": Profile(
            base=74.0,
            sd_island=1.0,
            sd_prov=2.5,
            sd_kab=0.0,
            sd_kec=0.0,
            trend=0.3,
            sd_trend=0.5,
            sd_year=0.5,
            sd_noise=0.8,
            island=islands(bali_nt=1.5, papua=-3.0),
        ),
        "ihai": Profile(
            base=68.0,
            sd_island=2.0,
            sd_prov=4.0,
            sd_kab=4.0,
            sd_kec=0.0,
            trend=0.5,
            sd_trend=0.8,
            sd_year=0.6,
            sd_noise=1.5,
            island=islands(papua=-5.0, bali_nt=2.0),
        ),
        "ikn": Profile(
            base=67.0,
            sd_island=2.0,
            sd_prov=4.0,
            sd_kab=4.0,
            sd_kec=0.0,
            trend=0.4,
            sd_trend=0.6,
            sd_year=0.8,
            sd_noise=1.5,
            island=islands(papua=-5.0, maluku=-2.0, jawa=1.5),
        ),
        "ormas": Profile(
            base=float(np.log(220.0)),
            sd_island=0.1,
            sd_prov=0.25,
            sd_kab=0.45,
            sd_kec=0.0,
            trend=0.04,
            sd_trend=0.02,
            sd_year=0.03,
            sd_noise=0.05,
            island=islands(
                jawa=0.8,
                bali_nt=0.1,
                kepri=-0.3,
                kalimantan=-0.2,
                sulawesi=-0.1,
                maluku=-0.5,
                papua=-0.9,
            ),
        ),
        "konflik": Profile(
            base=float(np.log(0.3)),
            sd_island=0.1,
            sd_prov=0.35,
            sd_kab=0.45,
            sd_kec=0.35,
            trend=-0.01,
            sd_trend=0.03,
            sd_year=0.1,
            sd_noise=0.2,
            island=islands(
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


def profile_for(indicator: Indicator) -> Profile:
    """Return the simulation profile of ``indicator``, or a generic one for a new entry."""
    known = PROFILES.get(indicator.id)
    if known is not None:
        return known
    if indicator.aggregation == "sum":
        return Profile(
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
    return Profile(
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
