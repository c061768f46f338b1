"""Synthetic record streams for the demo (DATA SIMULASI): TPS, ormas, incidents, media.

:func:`generate_records` draws the four streams of :mod:`lake.streams` with exactly their
stored schemas and ``simulated=True``, as lazy iterators of polars frames (the full media
stream never sits in memory); :func:`write_demo_records` writes them as Parquet files for
the lake ingest. The same registry, boundaries, scale, seed and published values give
identical frames.

The records reuse the demo model (:mod:`ingest.demo`): its kecamatan weights, its random
effects and its streams of random numbers, so the records look like the directly
simulated indicators they replace (see :data:`RECORD_DERIVED`).

* **TPS**: pilpres and pileg DPR on 17 April 2019 and 14 February 2024 (pilpres and pileg
  of one polling day share their TPS and voter lists), pilkada on 27 November 2024. The
  voter list of a desa follows its synthetic population; the number of TPS is allocated
  so that the nation has :data:`TPS_TOTALS` of them at the full scale, an eighth at the
  small one (at least one per desa); a TPS has about 250 voters at either scale (the small
  one has fewer voters in all, never TPS of thousands). Turnout per TPS is the demo's
  kecamatan turnout plus desa and TPS noise, then moved (:func:`condition_turnout`) so
  that every published province and the nation roll up *exactly* to the published
  figure: ``sum(voters) / sum(dpt + dptb + dpk)`` equals it to the last voter.
* **Ormas**: registrations 2000-2024, domiciled at kab/kota or desa (more in Jawa, as
  the demo's ``ormas`` indicator), SKT valid five years; status as at
  :data:`ORMAS_AS_OF` (:func:`ormas_status`). Nothing is published per region, so
  nothing is conditioned.
* **Incidents** in ACLED's columns: counts per kecamatan and year from the demo's
  ``konflik`` effects (hot spots in Papua, Maluku and Sulawesi), raised to tens of
  thousands a year; months with seasonality and election spikes; a point drawn uniformly
  inside the kecamatan polygon.
* **Media signals**: mentions of six tension topics, 2020-2024, coded to kab/kota,
  kecamatan or desa in proportion to population; ``pemilu`` rises before polling days.

As in the demo, nothing lies in the four Papua provinces created in 2022 before
:data:`ingest.demo.NEW_PAPUA_FIRST_YEAR`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import shapely
from numpy.typing import NDArray

from geodata.boundaries import read_layer
from geodata.registry import NATIONAL_CODE, Registry
from ingest.demo.condition import _allocate
from ingest.demo.generator import SCHEMA, _level_weights
from ingest.demo.profiles import PROFILES, profile_for
from ingest.demo.tree import BoolArray, FloatArray, IntArray, StrArray, Tree, build_tree
from ingest.demo.values import (
    NEW_PAPUA_FIRST_YEAR,
    NEW_PAPUA_PROVINCES,
    REFERENCE_YEAR,
    _effects,
    random_stream,
    simulate,
)
from lake.streams import ACLED_EVENT_TYPES, INCIDENTS, MEDIA, ORMAS, STREAMS, TPS
from queries.catalogue import Indicator, load_catalogue_file

DEMO_RECORDS_SEED = 2024
RECORDS_VERSION = 2  # bump when the records change, so a demo writes and loads them anew

POLLS: tuple[tuple[str, date], ...] = (
    ("pilpres", date(2019, 4, 17)),
    ("pileg_dpr", date(2019, 4, 17)),
    ("pilpres", date(2024, 2, 14)),
    ("pileg_dpr", date(2024, 2, 14)),
    ("pilkada", date(2024, 11, 27)),
)
"""The elections the TPS stream holds: (election, polling day)."""

ELECTION_INDICATOR = {"pilpres": "turnout_pilpres", "pileg_dpr": "turnout_pileg",
                      "pilkada": "turnout_pilkada"}
"""The turnout indicator (catalogue id) of each election."""

TPS_TOTALS = {date(2019, 4, 17): 810_000, date(2024, 2, 14): 820_161,
              date(2024, 11, 27): 426_000}
"""TPS in the nation per polling day at the full scale (KPU: 2024 820,161; 2019 ~810,000)."""

DPT_TOTALS = {date(2019, 4, 17): 192_770_000, date(2024, 2, 14): 204_422_181,
              date(2024, 11, 27): 203_290_000}
"""About the registered voters (DPT) in the nation per polling day."""

INVALID_SHARE = {"pilpres": 0.025, "pileg_dpr": 0.10, "pilkada": 0.035}
"""Mean share of invalid votes per election."""

ORMAS_AS_OF = date(2024, 12, 31)
"""The day the registry's statuses refer to."""

ORMAS_FIELDS = ("sosial", "keagamaan", "pendidikan", "kepemudaan", "kebudayaan",
                "lingkungan hidup", "kesehatan", "ekonomi", "hukum dan HAM", "perempuan")
MEDIA_TOPICS = ("pemilu", "sara", "konflik_lahan", "radikalisme", "hoaks", "demonstrasi")
INCIDENT_YEARS = tuple(range(2015, 2025))
MEDIA_FIRST, MEDIA_LAST = date(2020, 1, 1), date(2024, 12, 31)

RECORD_DERIVED: dict[str, tuple[int, ...]] = {
    "turnout_pilpres": (2019, 2024),
    "turnout_pileg": (2019, 2024),
    "turnout_pilkada": (2024,),
    "ormas": tuple(range(2015, 2025)),
    "konflik": INCIDENT_YEARS,
}
"""Indicator periods the records' roll-up writes: the direct demo leaves them out
(``generate(..., exclude=RECORD_DERIVED)``), so the two never disagree."""


@dataclass(frozen=True)
class Scale:
    """How many records each stream gets."""

    tps_fraction: float       # of TPS_TOTALS (at least one TPS per desa)
    ormas: int                # organisations
    incidents_per_year: int   # mean incidents a year
    media: int                # mentions
    media_chunk: int          # mentions per frame


SCALES: dict[str, Scale] = {
    "small": Scale(tps_fraction=1 / 8, ormas=20_000, incidents_per_year=25_000,
                   media=1_000_000, media_chunk=1_000_000),
    "full": Scale(tps_fraction=1.0, ormas=400_000, incidents_per_year=25_000,
                  media=100_000_000, media_chunk=5_000_000),
}


@dataclass(frozen=True)
class _World:
    """The registry as arrays, with the demo's weights and the desa below each kecamatan."""

    tree: Tree
    names: Mapping[str, str]
    kec_weight: FloatArray          # per kecamatan
    desa_codes: StrArray
    desa_kec: IntArray              # kecamatan index of each desa
    desa_pop: FloatArray            # synthetic population of each desa
    seed: int

    def new_papua(self, level: int) -> BoolArray:
        """Return which regions of ``level`` (3 = kecamatan, 4 = desa) lie in 93-96."""
        kec = np.isin(self.tree.codes[1], NEW_PAPUA_PROVINCES)[self.tree.up(3, 1)]
        return kec if level == 3 else kec[self.desa_kec]

    def rng(self, *keys: str) -> np.random.Generator:
        """Return the random stream of this seed for ``keys``."""
        return random_stream(self.seed, "records", *keys)


def _world(registry: Registry, seed: int) -> _World:
    tree = build_tree(registry)
    desa = sorted(registry.at_level("desa"), key=lambda r: r.code)
    if not desa:
        raise ValueError("the registry has no desa: load it with include_desa=True")
    position = {code: i for i, code in enumerate(tree.codes[3].tolist())}
    desa_kec = np.array([position[r.parent_code or ""] for r in desa], dtype=np.int64)
    kec_weight = _level_weights(tree, seed)[3]
    raw = random_stream(seed, "records", "desa-shares").lognormal(0.0, 0.6, len(desa))
    within = raw / np.bincount(desa_kec, weights=raw, minlength=tree.size(3))[desa_kec]
    return _World(tree=tree, names={r.code: r.name for r in registry},
                  kec_weight=kec_weight, desa_codes=np.array([r.code for r in desa]),
                  desa_kec=desa_kec, desa_pop=kec_weight[desa_kec] * within, seed=seed)


# --------------------------------------------------------------------------- published


def read_published(directory: Path) -> pl.DataFrame:
    """Read the published turnout figures (``turnout_*.csv``) of a published directory.

    Returns
    -------
    polars.DataFrame
        Columns ``indicator_id``, ``region_code`` (``"ID"`` for the nation), ``period``,
        ``value``, like :data:`ingest.demo.SCHEMA`; empty when there are no files.
    """
    frames = [
        pl.read_csv(path, schema_overrides={"code": pl.String, "value": pl.Float64})
        .select(pl.col("indicator").alias("indicator_id"),
                pl.col("code").fill_null(NATIONAL_CODE).alias("region_code"),
                pl.col("year").cast(pl.Int32).alias("period"), "value")
        for path in sorted(directory.glob("turnout_*.csv"))
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema=SCHEMA)


# --------------------------------------------------------------------------- TPS


def registered() -> pl.Expr:
    """Return the registered voters of a TPS row: ``dpt + dptb + dpk`` (turnout's base)."""
    return pl.col("dpt") + pl.col("dptb") + pl.col("dpk")


def hit_total(rate: FloatArray, base: IntArray, total: int) -> IntArray:
    """Return whole voters per TPS, near ``rate * base``, that add up to exactly ``total``.

    One shift is added to every rate (clipped to 0..1; found by bisection), then the
    voters are rounded down and the remaining ones go to the largest fractions, never
    past ``base``.

    Raises
    ------
    ValueError
        If ``total`` is negative or more than ``base.sum()``.
    """
    if not 0 <= total <= int(base.sum()):
        raise ValueError(f"cannot seat {total} voters on {int(base.sum())} registered")
    low, high = -1.0, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        if (np.clip(rate + mid, 0.0, 1.0) * base).sum() < total:
            low = mid
        else:
            high = mid
    raw = np.clip(rate + high, 0.0, 1.0) * base
    voters = np.minimum(np.floor(raw), base).astype(np.int64)
    extra = total - int(voters.sum())
    room = np.flatnonzero(voters < base)
    order = room[np.argsort(voters[room] - raw[room], kind="stable")]
    if extra > len(order):
        raise ValueError(f"cannot seat {extra} more voters on {len(order)} TPS")
    voters[order[:extra]] += 1
    return voters


def condition_turnout(rate: FloatArray, base: IntArray, prov: StrArray,
                      targets: Mapping[str, float]) -> IntArray:
    """Return voters per TPS so that published provinces and the nation hit their turnout.

    ``targets`` maps province codes and :data:`NATIONAL_CODE` to published turnout (%).
    A published province's TPS are moved to give exactly ``round(target * registered)``
    voters; the nation then moves only the TPS of unpublished provinces. Without any
    target the voters are ``rate * base`` rounded.
    """
    voters = np.rint(np.clip(rate, 0.0, 1.0) * base).astype(np.int64)
    fixed = np.zeros(len(rate), dtype=np.bool_)
    for code, target in sorted(targets.items()):
        if code == NATIONAL_CODE:
            continue
        idx = np.flatnonzero(prov == code)
        if len(idx):
            voters[idx] = hit_total(rate[idx], base[idx], round(target / 100 * base[idx].sum()))
            fixed[idx] = True
    national = targets.get(NATIONAL_CODE)
    free = np.flatnonzero(~fixed)
    if national is not None and len(free):
        total = round(national / 100 * base.sum()) - int(voters[fixed].sum())
        voters[free] = hit_total(rate[free], base[free], total)
    return voters


def _tps_layout(world: _World, day: date, scale: Scale) -> tuple[IntArray, IntArray]:
    """Return, per TPS, its desa index and its number within the desa (from 1)."""
    eligible = ~world.new_papua(4) if day.year < NEW_PAPUA_FIRST_YEAR else np.ones(
        len(world.desa_codes), dtype=np.bool_)
    pop = np.where(eligible, world.desa_pop, 0.0)
    n_eligible = int(eligible.sum())
    wanted = max(round(TPS_TOTALS[day] * scale.tps_fraction), n_eligible)
    n_tps = eligible.astype(np.int64) + _allocate(wanted - n_eligible, pop, pop).astype(np.int64)
    desa = np.repeat(np.arange(len(pop)), n_tps)
    first = np.cumsum(n_tps) - n_tps
    number = np.arange(len(desa)) - first[desa] + 1
    return desa, number


def _tps_frame(world: _World, election: str, day: date, scale: Scale,
               catalogue: Mapping[str, Indicator], published: pl.DataFrame) -> pl.DataFrame:
    tree = world.tree
    desa, number = _tps_layout(world, day, scale)
    # The voter list belongs to the polling day (pilpres and pileg share it).
    lists = world.rng("tps", day.isoformat())
    pop = world.desa_pop[desa]
    per_desa = np.bincount(desa, minlength=len(world.desa_codes))[desa]
    share = pop / per_desa / (world.desa_pop[np.unique(desa)].sum())
    registered = DPT_TOTALS[day] * len(desa) / TPS_TOTALS[day]  # ~250 a TPS at any scale
    dpt = np.maximum(np.rint(registered * share * lists.uniform(0.85, 1.15, len(desa))),
                     1).astype(np.int64)
    dptb = lists.poisson(dpt * 0.006)
    dpk = lists.poisson(dpt * 0.004)
    base = dpt + dptb + dpk

    indicator = catalogue[ELECTION_INDICATOR[election]]
    periods = np.array(sorted(set(indicator.periods)), dtype=np.int64)
    kec = simulate(indicator, profile_for(indicator), tree, 3, periods, world.kec_weight,
                   world.seed)[:, int(np.flatnonzero(periods == day.year)[0])]
    rng = world.rng("tps", election, day.isoformat())
    desa_eff = rng.normal(0.0, 2.0, len(world.desa_codes))
    rate = (kec[world.desa_kec[desa]] + desa_eff[desa] + rng.normal(0.0, 2.5, len(desa))) / 100
    prov = tree.codes[1][tree.up(3, 1)][world.desa_kec[desa]]
    rows = published.filter((pl.col("indicator_id") == indicator.id)
                            & (pl.col("period") == day.year))
    targets = dict(zip(rows["region_code"].to_list(), rows["value"].to_list(), strict=True))
    voters = condition_turnout(rate, base, prov, targets)

    p_invalid = np.clip(INVALID_SHARE[election] * rng.lognormal(0.0, 0.35, len(desa)), 0, 0.5)
    invalid = rng.binomial(voters, p_invalid)
    return pl.DataFrame({
        "election": np.full(len(desa), election),
        "date": np.full(len(desa), np.datetime64(day, "D")),
        "region_code": world.desa_codes[desa],
        "tps": number,
        "dpt": dpt,
        "dptb": dptb,
        "dpk": dpk,
        "voters": voters,
        "valid_votes": voters - invalid,
        "invalid_votes": invalid,
        "simulated": np.ones(len(desa), dtype=np.bool_),
    }, schema=TPS.schema)


def tps_frames(world: _World, scale: Scale, catalogue: Mapping[str, Indicator],
               published: pl.DataFrame) -> Iterator[pl.DataFrame]:
    """Yield the TPS records, one frame per election of :data:`POLLS`."""
    for election, day in POLLS:
        yield _tps_frame(world, election, day, scale, catalogue, published)


# --------------------------------------------------------------------------- ormas


def ormas_status(legal_form: pl.Expr, expires: pl.Expr, revoked: pl.Expr) -> pl.Expr:
    """Return the status at :data:`ORMAS_AS_OF`: revoked, expired (an SKT past its date), active."""
    return (pl.when(revoked).then(pl.lit("revoked"))
            .when((legal_form == "skt") & (expires < ORMAS_AS_OF)).then(pl.lit("expired"))
            .otherwise(pl.lit("active")))


_ORMAS_PREFIX = ("Yayasan", "Perkumpulan", "Lembaga", "Forum", "Ikatan", "Himpunan",
                 "Paguyuban", "Gerakan", "Persatuan", "Komunitas", "Laskar", "Aliansi")
_ORMAS_WORD = ("Peduli Bangsa", "Pemuda", "Masyarakat", "Cinta Tanah Air", "Bakti Sosial",
               "Harapan", "Nusantara", "Kebangsaan", "Pelestari Budaya", "Anak Negeri",
               "Swadaya", "Kerukunan Warga", "Merah Putih", "Insan Cendekia", "Lingkungan")


def ormas_frames(world: _World, scale: Scale) -> Iterator[pl.DataFrame]:
    """Yield the ormas registry in frames of at most 200,000 organisations."""
    tree, n = world.tree, scale.ormas
    rng = world.rng("ormas")
    years = np.arange(2000, 2025)
    year_w = np.exp(0.09 * (years - 2000)) * np.where((years >= 2013) & (years <= 2017), 1.4, 1)
    year = rng.choice(years, size=n, p=year_w / year_w.sum())
    start = np.array([date(int(y), 1, 1) for y in years], dtype="datetime64[D]")
    registered_on = start[year - 2000] + rng.integers(0, 365, n).astype("timedelta64[D]")
    # Domicile: kab/kota weighted like the demo's ormas indicator (Jawa more, Papua fewer).
    kab_w = np.bincount(tree.parent[3], weights=world.kec_weight, minlength=tree.size(2))
    island = np.exp(np.asarray(PROFILES["ormas"].island))[tree.island[tree.parent[2]]]
    kab_w = kab_w**0.8 * island
    kab_new = np.isin(tree.codes[1][tree.parent[2]], NEW_PAPUA_PROVINCES)
    kab = np.empty(n, dtype=np.int64)
    old = year < NEW_PAPUA_FIRST_YEAR
    for mask, weight in ((old, np.where(kab_new, 0.0, kab_w)), (~old, kab_w)):
        kab[mask] = rng.choice(tree.size(2), size=int(mask.sum()), p=weight / weight.sum())
    code = tree.codes[2][kab]
    # A third are coded to a desa of their kab/kota, drawn by population.
    at_desa = np.flatnonzero(rng.random(n) < 0.35)
    desa_kab = tree.parent[3][world.desa_kec]
    order = np.argsort(desa_kab, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(world.desa_pop[order])])
    bounds = np.searchsorted(desa_kab[order], np.arange(tree.size(2) + 1))
    lo, hi = bounds[kab[at_desa]], bounds[kab[at_desa] + 1]
    at_desa, lo, hi = at_desa[hi > lo], lo[hi > lo], hi[hi > lo]
    point = cum[lo] + rng.random(len(at_desa)) * (cum[hi] - cum[lo])
    pick_desa = np.clip(np.searchsorted(cum, point, side="right") - 1, lo, hi - 1)
    code = code.astype(object)  # desa codes are longer than kab/kota ones
    code[at_desa] = world.desa_codes[order[pick_desa]]
    frame = pl.DataFrame({
        "date": registered_on,
        "region_code": code.astype(str),
        "prefix": rng.integers(0, len(_ORMAS_PREFIX), n),
        "word": rng.integers(0, len(_ORMAS_WORD), n),
        "field": np.array(ORMAS_FIELDS)[rng.integers(0, len(ORMAS_FIELDS), n)],
        "skt": rng.random(n) < 0.6,
        "revoked": rng.random(n) < 0.015,
        "kab": kab,
    }).sort("date", "region_code", maintain_order=True)
    kab_names = [world.names[c] for c in tree.codes[2].tolist()]

    def pick(column: str, options: tuple[str, ...] | list[str]) -> pl.Expr:
        return pl.col(column).replace_strict(dict(enumerate(options)), return_dtype=pl.String)

    out = frame.with_columns(
        pl.when(pl.col("skt")).then(pl.lit("skt")).otherwise(pl.lit("badan_hukum"))
        .alias("legal_form"),
        pl.when(pl.col("skt")).then(pl.col("date").dt.offset_by("5y")).alias("expires"),
    ).select(
        pl.format("ORM-{}", (pl.int_range(pl.len()) + 1).cast(pl.String).str.zfill(7))
        .alias("org_id"),
        pl.concat_str(pick("prefix", _ORMAS_PREFIX), pick("word", _ORMAS_WORD),
                      pick("kab", kab_names), separator=" ").alias("name"),
        "field", "legal_form", "date", "expires",
        ormas_status(pl.col("legal_form"), pl.col("expires"), pl.col("revoked")).alias("status"),
        "region_code",
        pl.lit(True).alias("simulated"),
    ).cast(dict(ORMAS.schema))  # type: ignore[arg-type]
    for offset in range(0, len(out), 200_000):
        yield out.slice(offset, 200_000)


# --------------------------------------------------------------------------- incidents

_SUB_EVENTS: dict[str, tuple[str, ...]] = {
    "Battles": ("Armed clash", "Government regains territory",
                "Non-state actor overtakes territory"),
    "Violence against civilians": ("Attack", "Abduction/forced disappearance",
                                   "Sexual violence"),
    "Explosions/Remote violence": ("Remote explosive/landmine/IED", "Grenade",
                                   "Shelling/artillery/missile attack"),
    "Riots": ("Violent demonstration", "Mob violence"),
    "Protests": ("Peaceful protest", "Protest with intervention",
                 "Excessive force against protesters"),
    "Strategic developments": ("Arrests", "Looting/property destruction", "Agreement",
                               "Other"),
}
_ACTORS: dict[str, tuple[tuple[str, ...], tuple[str | None, ...]]] = {
    "Battles": (("Military Forces of Indonesia (2014-2024)", "TPNPB: West Papua National "
                 "Liberation Army", "Police Forces of Indonesia (2014-2024)"),
                ("TPNPB: West Papua National Liberation Army",
                 "Military Forces of Indonesia (2014-2024)")),
    "Violence against civilians": (("Unidentified Armed Group (Indonesia)",
                                    "TPNPB: West Papua National Liberation Army",
                                    "Police Forces of Indonesia (2014-2024)"),
                                   ("Civilians (Indonesia)",)),
    "Explosions/Remote violence": (("Unidentified Armed Group (Indonesia)",
                                    "JAD: Jamaah Ansharut Daulah"), ("Civilians (Indonesia)",
                                                                     None)),
    "Riots": (("Rioters (Indonesia)",), ("Rioters (Indonesia)", "Civilians (Indonesia)",
                                         "Police Forces of Indonesia (2014-2024)", None)),
    "Protests": (("Protesters (Indonesia)",), (None, None, None,
                                               "Police Forces of Indonesia (2014-2024)")),
    "Strategic developments": (("Police Forces of Indonesia (2014-2024)",
                                "Government of Indonesia (2014-2024)"), (None,)),
}
_FATALITY_MEAN = {"Battles": 0.8, "Violence against civilians": 0.35,
                  "Explosions/Remote violence": 0.3, "Riots": 0.05, "Protests": 0.002,
                  "Strategic developments": 0.0}
# Shares of the event types (in ACLED_EVENT_TYPES order), in Papua and elsewhere.
_TYPE_SHARE_PAPUA = (0.14, 0.16, 0.02, 0.12, 0.46, 0.10)
_TYPE_SHARE = (0.01, 0.07, 0.01, 0.10, 0.74, 0.07)
_SOURCES = ("Kompas", "Detik", "Tempo", "Antara", "CNN Indonesia", "Jubi", "Tribun News")
_INCIDENT_INTENSITY = replace(PROFILES["konflik"], sd_noise=0.3)


def _month_weights(year: int) -> FloatArray:
    """Return the relative intensity of the 12 months of ``year`` (seasons, unrest peaks)."""
    month = np.arange(1, 13)
    weight = 1.0 + 0.2 * np.cos(2 * np.pi * (month - 9) / 12)
    spikes = {(2019, 4): 1.5, (2019, 5): 1.8, (2019, 9): 1.6, (2020, 10): 1.7,
              (2022, 9): 1.4, (2024, 2): 1.5, (2024, 8): 1.5, (2024, 11): 1.3}
    for (y, m), factor in spikes.items():
        if y == year:
            weight[m - 1] *= factor
    share: FloatArray = weight / weight.sum()
    return share


def incident_counts(world: _World, scale: Scale) -> IntArray:
    """Return the incidents per kecamatan and year (kecamatan x :data:`INCIDENT_YEARS`).

    The demo's ``konflik`` effects (island, province, kab/kota, kecamatan, trends, years)
    give the pattern; the mean national total is ``scale.incidents_per_year``.
    """
    tree, years = world.tree, np.array(INCIDENT_YEARS)
    rng = world.rng("incidents", "counts")
    region_eff, slope, year_eff = _effects(rng, _INCIDENT_INTENSITY, tree, 3, len(years),
                                           world.seed)
    eta = (region_eff[:, None] + slope[:, None] * (years - REFERENCE_YEAR)[None, :]
           + year_eff[None, :] + rng.normal(0.0, _INCIDENT_INTENSITY.sd_noise,
                                            (tree.size(3), len(years))))
    intensity = np.exp(eta)
    intensity[world.new_papua(3)[:, None] & (years < NEW_PAPUA_FIRST_YEAR)[None, :]] = 0.0
    intensity *= scale.incidents_per_year * len(years) / intensity.sum()
    counts: IntArray = rng.poisson(intensity).astype(np.int64)
    return counts


def points_in(geometry: NDArray[np.object_], rng: np.random.Generator) -> FloatArray:
    """Return one point (lon, lat) drawn uniformly inside each polygon of ``geometry``.

    Points are drawn in each bounding box until they fall inside; after 200 rounds (a
    sliver its box hardly covers) the polygon's point on surface is taken.
    """
    shapely.prepare(geometry)
    bounds = shapely.bounds(geometry)
    points = np.full((len(geometry), 2), np.nan)
    todo = np.arange(len(geometry))
    for _ in range(200):
        if not len(todo):
            break
        box = bounds[todo]
        x = box[:, 0] + rng.random(len(todo)) * (box[:, 2] - box[:, 0])
        y = box[:, 1] + rng.random(len(todo)) * (box[:, 3] - box[:, 1])
        inside = shapely.contains_xy(geometry[todo], x, y)
        points[todo[inside]] = np.column_stack([x[inside], y[inside]])
        todo = todo[~inside]
    points[todo] = shapely.get_coordinates(shapely.point_on_surface(geometry[todo]))
    return points


def incident_frames(world: _World, scale: Scale, boundaries: Path) -> Iterator[pl.DataFrame]:
    """Yield the incidents, one frame per year of :data:`INCIDENT_YEARS`."""
    tree = world.tree
    layer = read_layer(boundaries, "kecamatan")
    position = {code: i for i, code in enumerate(layer["code"].tolist())}
    counts = incident_counts(world, scale)
    missing = [c for c, k in zip(tree.codes[3].tolist(), counts.sum(axis=1).tolist(),
                                 strict=True) if k and c not in position]
    if missing:
        raise ValueError(f"{len(missing)} kecamatan have incidents but no polygon in "
                         f"{boundaries}, e.g. {missing[0]}")
    # Incidents are laid out kecamatan by kecamatan, years within each.
    kec_of = np.repeat(np.arange(tree.size(3)), counts.sum(axis=1))
    year_of = np.concatenate([np.repeat(np.array(INCIDENT_YEARS), row) for row in counts])
    polygons = np.asarray(layer.geometry.values, dtype=object)
    rows_of = np.array([position.get(c, -1) for c in tree.codes[3].tolist()])
    points = points_in(polygons[rows_of[kec_of]], world.rng("incidents", "points"))
    papua = (tree.island[tree.up(3, 1)] == 9)[kec_of]
    kab_of, prov_of = tree.up(3, 2)[kec_of], tree.up(3, 1)[kec_of]
    serial = 0
    for year in INCIDENT_YEARS:
        rows = np.flatnonzero(year_of == year)
        yield _incident_frame(world, rows, year, points, kec_of, kab_of, prov_of, papua,
                              serial)
        serial += len(rows)


def _options(table: Mapping[str, tuple[str | None, ...]], kind: IntArray,
             rng: np.random.Generator) -> pl.Series:
    """Return, per row, one option of its event type's tuple in ``table``, drawn uniformly."""
    tuples = [table[event] for event in ACLED_EVENT_TYPES]
    sizes = np.array([len(t) for t in tuples])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pick = offsets[kind] + (rng.random(len(kind)) * sizes[kind]).astype(np.int64)
    return pl.Series([o for t in tuples for o in t], dtype=pl.String).gather(pick)


def _incident_frame(world: _World, rows: IntArray, year: int, points: FloatArray,
                    kec_of: IntArray, kab_of: IntArray, prov_of: IntArray, papua: BoolArray,
                    serial: int) -> pl.DataFrame:
    tree, n = world.tree, len(rows)
    rng = world.rng("incidents", str(year))
    month = rng.choice(12, size=n, p=_month_weights(year))
    first = np.array([date(year, m + 1, 1) for m in range(12)] + [date(year + 1, 1, 1)],
                     dtype="datetime64[D]")
    length = (first[1:] - first[:-1]).astype(np.int64)
    day = first[month] + (rng.random(n) * length[month]).astype("timedelta64[D]")
    u = rng.random(n)
    kind = np.where(papua[rows], np.searchsorted(np.cumsum(_TYPE_SHARE_PAPUA), u),
                    np.searchsorted(np.cumsum(_TYPE_SHARE), u)).clip(0, 5)
    fatality_mean = np.array([_FATALITY_MEAN[e] for e in ACLED_EVENT_TYPES])

    def names(level: int, index: IntArray) -> pl.Series:
        codes = tree.codes[level].tolist()
        return pl.Series([world.names[c] for c in codes], dtype=pl.String).gather(index)

    kec = kec_of[rows]
    frame = pl.DataFrame({
        "event_id": np.zeros(n, dtype=np.int64),
        "date": day,
        "time_precision": rng.choice(np.array([1, 2, 3], dtype=np.int8), size=n,
                                     p=[0.85, 0.12, 0.03]),
        "event_type": pl.Series(ACLED_EVENT_TYPES).gather(kind),
        "sub_event_type": _options(_SUB_EVENTS, kind, rng),
        "actor1": _options({k: v[0] for k, v in _ACTORS.items()}, kind, rng),
        "actor2": _options({k: v[1] for k, v in _ACTORS.items()}, kind, rng),
        "fatalities": rng.poisson(fatality_mean[kind]).astype(np.int32),
        "latitude": points[rows, 1],
        "longitude": points[rows, 0],
        "location": names(3, kec),
        "admin1": names(1, prov_of[rows]),
        "admin2": names(2, kab_of[rows]),
        "admin3": names(3, kec),
        "source": pl.Series(_SOURCES).gather(rng.integers(0, len(_SOURCES), n)),
        "notes": np.zeros(n, dtype=np.int64),
        "region_code": pl.Series(tree.codes[3]).gather(kec),
        "located_by": np.full(n, "code"),
        "simulated": np.ones(n, dtype=np.bool_),
    })
    # ACLED numbers events in date order; the notes say what the record is.
    return frame.sort("date", "region_code", maintain_order=True).with_columns(
        pl.format("IDN{}", pl.int_range(pl.len()) + serial + 1).alias("event_id"),
        pl.format("DATA SIMULASI: {} di {}, {}", "sub_event_type", "location", "admin2")
        .alias("notes"),
    ).cast(dict(INCIDENTS.schema))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- media

_MEDIA_LEVEL_SHARE = {2: 0.40, 3: 0.35, 4: 0.25}  # kab/kota, kecamatan, desa
_TOPIC_SHARE = np.array([0.18, 0.12, 0.15, 0.10, 0.25, 0.20])
_TONE_SHARE = np.array([0.45, 0.40, 0.15])  # -1, 0, 1
_CAMPAIGN_DAYS = 120  # before a polling day, "pemilu" mentions treble


def _media_regions(world: _World) -> tuple[StrArray, FloatArray, FloatArray]:
    """Return the codes media mentions go to and their probabilities (before 2023, after)."""
    tree = world.tree
    kab_w = np.bincount(tree.parent[3], weights=world.kec_weight, minlength=tree.size(2))
    codes = np.concatenate([tree.codes[2], tree.codes[3], world.desa_codes])
    parts, parts_old = [], []
    for lvl, weight in ((2, kab_w), (3, world.kec_weight), (4, world.desa_pop)):
        new = (np.isin(tree.codes[1][tree.parent[2]], NEW_PAPUA_PROVINCES) if lvl == 2
               else world.new_papua(lvl))
        parts.append(_MEDIA_LEVEL_SHARE[lvl] * weight / weight.sum())
        old = np.where(new, 0.0, weight)
        parts_old.append(_MEDIA_LEVEL_SHARE[lvl] * old / old.sum())
    return codes, np.concatenate(parts_old), np.concatenate(parts)


def media_frames(world: _World, scale: Scale) -> Iterator[pl.DataFrame]:
    """Yield the media mentions in frames of ``scale.media_chunk`` rows."""
    codes, p_old, p_new = _media_regions(world)
    code_series = pl.Series(codes, dtype=pl.String)
    cum_old, cum_new = np.cumsum(p_old), np.cumsum(p_new)
    days = np.arange(np.datetime64(MEDIA_FIRST), np.datetime64(MEDIA_LAST) + 1)
    day_w = np.linspace(1.0, 2.0, len(days))  # more mentions every year
    polls = np.array([np.datetime64(d) for _, d in POLLS if d >= MEDIA_FIRST])
    to_poll = (polls[None, :] - days[:, None]).astype(np.int64)
    campaign: BoolArray = np.asarray(((to_poll >= 0) & (to_poll < _CAMPAIGN_DAYS)).any(axis=1))
    day_w[campaign] *= 1.3
    cum_day = np.cumsum(day_w) / day_w.sum()
    topic_normal = np.cumsum(_TOPIC_SHARE / _TOPIC_SHARE.sum())
    boosted = _TOPIC_SHARE * np.array([3.0, 1, 1, 1, 1.2, 1])
    topic_campaign = np.cumsum(boosted / boosted.sum())
    first_new = np.searchsorted(days, np.datetime64(date(NEW_PAPUA_FIRST_YEAR, 1, 1)))
    for chunk, start in enumerate(range(0, scale.media, scale.media_chunk)):
        n = min(scale.media_chunk, scale.media - start)
        rng = world.rng("media", str(chunk))
        day = np.minimum(np.searchsorted(cum_day, rng.random(n), side="right"), len(days) - 1)
        u = rng.random(n)
        region = np.where(day < first_new, np.searchsorted(cum_old, u * cum_old[-1]),
                          np.searchsorted(cum_new, u * cum_new[-1]))
        u = rng.random(n)
        topic = np.where(campaign[day], np.searchsorted(topic_campaign, u),
                         np.searchsorted(topic_normal, u)).clip(0, len(MEDIA_TOPICS) - 1)
        tone = np.searchsorted(np.cumsum(_TONE_SHARE), rng.random(n)).clip(0, 2) - 1
        yield pl.DataFrame({
            "mention_id": pl.int_range(start + 1, start + n + 1, eager=True)
            .cast(pl.String).str.zfill(10),
            "date": days[day],
            "region_code": code_series.gather(np.minimum(region, len(codes) - 1)),
            "topic": pl.Series(MEDIA_TOPICS).gather(topic),
            "tone": tone.astype(np.int8),
            "simulated": np.ones(n, dtype=np.bool_),
        }).with_columns(pl.concat_str(pl.lit("M"), "mention_id").alias("mention_id")
                        ).cast(dict(MEDIA.schema))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- entry points


def generate_records(registry: Registry, boundaries: Path, *, scale: str = "small",
                     seed: int = DEMO_RECORDS_SEED,
                     published: pl.DataFrame | None = None) -> dict[str, Iterator[pl.DataFrame]]:
    """Return the four record streams as lazy iterators of frames, keyed by stream name.

    Parameters
    ----------
    registry
        The region tree with its desa (``load_registry(include_desa=True)``).
    boundaries
        The boundaries directory (its ``kecamatan`` layer locates the incidents).
    scale
        ``"small"`` (fast, the ``make run`` default) or ``"full"`` (:data:`SCALES`).
    seed
        Non-negative seed; the same inputs give identical frames.
    published
        Published turnout (columns as :func:`read_published` returns) the TPS records
        roll up to; None conditions on nothing.

    Returns
    -------
    dict
        ``{"tps": ..., "ormas": ..., "incidents": ..., "media": ...}``; every frame has
        exactly the stream's stored schema (:data:`lake.streams.STREAMS`). Each iterator
        draws its frames only when iterated.

    Raises
    ------
    ValueError
        If ``scale`` is unknown, ``seed`` is negative or the registry has no desa.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of {', '.join(SCALES)}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    world = _world(registry, seed)
    size = SCALES[scale]
    fixed = pl.DataFrame(schema=SCHEMA) if published is None else published
    return {
        TPS.name: tps_frames(world, size, load_catalogue_file(), fixed),
        ORMAS.name: ormas_frames(world, size),
        INCIDENTS.name: incident_frames(world, size, boundaries),
        MEDIA.name: media_frames(world, size),
    }


def write_demo_records(directory: Path, registry: Registry, boundaries: Path,
                       scale: str = "small", seed: int = DEMO_RECORDS_SEED,
                       published: pl.DataFrame | None = None) -> dict[str, list[Path]]:
    """Write the four streams as Parquet files ``<directory>/<stream>/<stream>-NNNNN.parquet``.

    Files are written chunk by chunk (zstd, row groups of 128k rows) under a temporary
    name and renamed when complete, so a file that exists is whole. The lake ingest
    takes them (``lake.ingest.ingest(lake, stream, paths, registry=..., simulated=True)``).

    Returns
    -------
    dict[str, list[Path]]
        The files written per stream, in order.

    Raises
    ------
    FileExistsError
        If a stream's directory already holds Parquet files (nothing is overwritten).
    """
    streams = generate_records(registry, boundaries, scale=scale, seed=seed,
                               published=published)
    written: dict[str, list[Path]] = {}
    for name in STREAMS:
        target = directory / name
        if target.is_dir() and any(target.glob("*.parquet")):
            raise FileExistsError(f"{target} already holds Parquet files; choose an empty "
                                  "directory")
        target.mkdir(parents=True, exist_ok=True)
        written[name] = []
        for i, frame in enumerate(streams[name]):
            path = target / f"{name}-{i:05d}.parquet"
            partial = path.with_suffix(".parquet.tmp")
            frame.write_parquet(partial, compression="zstd", row_group_size=128 * 1024)
            os.replace(partial, path)
            written[name].append(path)
    return written

