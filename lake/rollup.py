"""Rollups of the lake's record streams into indicator values, defined once, run by two engines.

A :class:`Definition` says which records count (``filter``), what each adds up
(``numerator``, optional ``denominator``: SQL expressions over the stored columns), how
the value follows (``scale`` x numerator / denominator, or ``scale`` x numerator), the
lowest level and the period rule. :func:`sql` turns it into ONE portable SQL text
(``GROUP BY`` per level, ``substr``, ``UNION ALL``, ``make_date``, ``bool_or``) that
DuckDB and Spark SQL run unchanged; it returns only additive measures (numerator and
denominator sums, record count, any-simulated) per region of every level from the lowest to
provinsi. Nasional is summed from the provinsi rows and every ratio is taken last, in one
function (:func:`finish`), so the two engines give identical frames: the ratio of sums,
never a mean of ratios, and null (missing, never zero) where the denominator is 0.

Region codes are dotted and of fixed width (``32``, ``32.73``, ``32.73.01``,
``32.73.01.1001``): a parent's code is a prefix of its children's (:data:`CODE_WIDTH`).
A record located only to a coarser level than a definition's lowest (a kab/kota-coded
mention) counts at its own level and above, never in a finer region.

Engines: ``duckdb`` (embedded, the default) reads the lake's explicit file lists with
``read_parquet([...])``, whole provinces at a time (:data:`BATCH_BYTES`); ``spark``
(:mod:`lake.spark`) reads them with ``spark.read.parquet(*files)`` into temp views, all at
once. DuckDB is the embedded engine by measurement (``python -m benchmarks.rollup``, 100M
media rows, 2 vCPUs, two runs alone): a plain DuckDB ``GROUP BY`` of the finest level
(desa x topic x month) took 10.4 and 9.9 s at 2.7 and 2.5 GB peak RSS, Polars' streaming
engine 17.7 and 15.0 s at 5.3 GB, and this module's whole rollup, desa to nasional,
9.2 and 8.9 s at 1.6 GB: province batches keep DuckDB's hash tables small, and the
per-row work is cut to what a plain ``GROUP BY`` does. See ``benchmarks/README.md``.

Incremental refresh (``years``/``provs``): only the partitions of those years and provinces
are read (for a stock such as "active at year end", every earlier year of those provinces
too, and the periods from the first given year on). Nasional needs every province: its
provinsi measures come from a small per-province cache (``cache``, a Parquet file of
additive measures keyed by a fingerprint of the partition files behind them; files are
immutable, so a matching fingerprint means the measures are current) or, where the cache
has no current entry, from reading those provinces' partitions at provinsi depth.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import polars as pl

from geodata.registry import NATIONAL_CODE
from lake.streams import STREAMS

LEVELS = ("desa", "kecamatan", "kabkota", "provinsi", "nasional")
DEPTH = {"provinsi": 1, "kabkota": 2, "kecamatan": 3, "desa": 4}
ENGINES = ("duckdb", "spark")

Period = Literal["year", "month", "year_end"]

OUTPUT_SCHEMA = pl.Schema({
    "indicator_id": pl.String, "region_code": pl.String, "level": pl.String,
    "period": pl.Int32, "value": pl.Float64, "records": pl.Int64, "simulated": pl.Boolean,
})
#: What :func:`sql` returns, once canonicalised: additive measures per region.
MEASURES_SCHEMA = pl.Schema({
    "indicator_id": pl.String, "period": pl.Int32, "region_code": pl.String,
    "depth": pl.Int32, "num": pl.Int64, "den": pl.Int64, "records": pl.Int64,
    "simulated": pl.Boolean,
})


class RollupError(ValueError):
    """A definition, engine or file list that cannot be rolled up."""


@dataclass(frozen=True)
class Definition:
    """One rolled-up indicator: which records, what adds up, how the value follows.

    ``filter``, ``numerator`` and ``denominator`` are SQL expressions over the stream's
    stored columns and ``period`` (the period the record counts in), portable between
    DuckDB and Spark SQL. ``period`` rules: ``"year"`` the year of ``date``; ``"month"``
    ``year * 100 + month`` of ``date``; ``"year_end"`` a stock: the record counts in every
    period (year) from its own year on, as at 31 December, the ``filter`` deciding whether
    it still stands then. ``by`` (optional) splits the indicator by a column's values:
    the id becomes ``<id>.<value>``.
    """

    id: str
    stream: str
    lowest: str
    numerator: str
    denominator: str | None = None
    filter: str = "TRUE"
    #: For a count: which of the ``filter``'s records are counted. The others count as
    #: zero, so a region with records but none that qualifies has the value 0 (known),
    #: and only a region without any record of the stream is missing.
    condition: str | None = None
    scale: float = 1.0
    period: Period = "year"
    by: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.stream not in STREAMS:
            raise RollupError(f"definition {self.id!r}: unknown stream {self.stream!r}")
        if self.lowest not in DEPTH:
            raise RollupError(f"definition {self.id!r}: lowest level must be one of"
                              f" {sorted(DEPTH)}, got {self.lowest!r}")
        if self.period not in ("year", "month", "year_end"):
            raise RollupError(f"definition {self.id!r}: unknown period rule {self.period!r}")

    @property
    def digest(self) -> str:
        """A short hash of everything that decides the values (for caches and provenance)."""
        text = repr(sorted(asdict(self).items()))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_REGISTERED = "dpt + COALESCE(dptb, 0) + COALESCE(dpk, 0)"
_ORMAS_ACTIVE = ("status <> 'revoked'"
                 " AND (expires IS NULL OR expires > make_date(period, 12, 31))")

#: The election whose TPS records an indicator is computed from.
ELECTION_OF = {"turnout_pilpres": "pilpres", "turnout_pileg": "pileg_dpr",
               "turnout_pilkada": "pilkada", "suara_tidak_sah_pilpres": "pilpres"}

DEFINITIONS: tuple[Definition, ...] = (
    *(Definition(id=name, stream="tps", lowest="desa", numerator="voters",
                 denominator=_REGISTERED, scale=100.0, filter=f"election = '{ELECTION_OF[name]}'",
                 description=f"{name}: 100 x voters / (DPT + DPTb + DPK)")
      for name in ("turnout_pilpres", "turnout_pileg", "turnout_pilkada")),
    Definition(id="suara_tidak_sah_pilpres", stream="tps", lowest="desa",
               filter=f"election = '{ELECTION_OF['suara_tidak_sah_pilpres']}'",
               numerator="invalid_votes",
               denominator="voters", scale=100.0,
               description="Invalid presidential ballots, % of voters"),
    Definition(id="konflik", stream="incidents", lowest="kecamatan", numerator="1",
               condition="event_type <> 'Strategic developments'",
               description="Incidents in the year (ACLED's non-violent 'Strategic"
                           " developments' are context, not incidents)"),
    Definition(id="konflik_korban", stream="incidents", lowest="kecamatan",
               numerator="COALESCE(fatalities, 0)",
               condition="event_type <> 'Strategic developments'",
               description="Fatalities of the year's incidents"),
    Definition(id="ormas", stream="ormas", lowest="kabkota", numerator="1",
               period="year_end", condition=_ORMAS_ACTIVE,
               description="Organisations registered and not expired or revoked at"
                           " 31 December"),
    Definition(id="ormas_kedaluwarsa", stream="ormas", lowest="kabkota", numerator="1",
               period="year_end",
               condition=_ORMAS_ACTIVE.replace("expires IS NULL OR ", "")
               + " AND expires <= make_date(period + 1, 6, 30)",
               description="Organisations active at 31 December whose registration"
                           " expires within the next six months"),
    Definition(id="ormas_baru", stream="ormas", lowest="kabkota", numerator="1",
               period="year_end", condition="year(date) = period",
               description="Organisations registered in the year (0 where the registry"
                           " has organisations but none new)"),
    Definition(id="media_negatif", stream="media", lowest="kabkota",
               numerator="CASE WHEN tone = -1 THEN 1 ELSE 0 END", denominator="1",
               scale=100.0, description="Negative-tone mentions, % of mentions"),
)


def definition(indicator_id: str) -> Definition:
    """Return the definition of ``indicator_id``."""
    for d in DEFINITIONS:
        if d.id == indicator_id:
            return d
    raise RollupError(f"no rollup definition for {indicator_id!r}")


# --- SQL -----------------------------------------------------------------------------

#: The length of a dotted Kemendagri code per depth (2-2-2-4 digits): ``32``,
#: ``32.73``, ``32.73.01``, ``32.73.01.1001``. A level's code is a prefix of its children's.
CODE_WIDTH = {1: 2, 2: 5, 3: 8, 4: 13}


def _prefix(depth: int) -> str:
    """Return the SQL of ``region_code`` cut to a code of ``depth`` (portable)."""
    return f"substr(region_code, 1, {CODE_WIDTH[depth]})"


def sql(defn: Definition, *, depth: int | None = None) -> str:
    """Return the portable SQL of ``defn``: additive measures from ``depth`` to provinsi.

    It reads the view ``src`` (the stream's stored columns) and, for a ``year_end``
    definition, ``periods`` (one INT column ``period``). ``depth`` defaults to the lowest
    level's. The records are summed once per stored region code; each level is then summed
    from the level below plus the records coded at exactly that level (a kab/kota-coded
    mention counts at kab/kota and above), so every pass after the first reads only sums.
    """
    depth = DEPTH[defn.lowest] if depth is None else depth
    if defn.period == "year_end":
        source = "SELECT src.*, periods.period FROM src CROSS JOIN periods" \
                 " WHERE year(src.date) <= periods.period"
    else:
        period = "year(date)" if defn.period == "year" else "year(date) * 100 + month(date)"
        source = f"SELECT src.*, CAST({period} AS INT) AS period FROM src"
    num = (defn.numerator if defn.condition is None
           else f"CASE WHEN {defn.condition} THEN {defn.numerator} ELSE 0 END")
    # Per-row work is what costs at 100M rows: the split column is grouped on as it is
    # (made a string only in the output), and a denominator of 1 per record is the count.
    den = ("COUNT(*)" if defn.denominator == "1" else
           f"CAST(SUM({defn.denominator}) AS BIGINT)" if defn.denominator
           else "CAST(NULL AS BIGINT)")
    sums = ("CAST(SUM(num) AS BIGINT) AS num, CAST(SUM(den) AS BIGINT) AS den,"
            " CAST(SUM(records) AS BIGINT) AS records, bool_or(simulated) AS simulated")
    cols = "period, split, region_code, num, den, records, simulated"
    width = CODE_WIDTH[depth]
    # The finest codes are unique per period and split already: no second grouping.
    levels = [f"""lvl{depth} AS (SELECT {cols} FROM finest WHERE length(region_code) = {width})"""
              if depth == max(CODE_WIDTH) else f"""lvl{depth} AS (
  SELECT period, split, {_prefix(depth)} AS region_code, {sums}
  FROM finest WHERE length(region_code) >= {width} GROUP BY 1, 2, 3
)"""]
    for d in range(depth - 1, 0, -1):
        levels.append(f"""lvl{d} AS (
  SELECT period, split, {_prefix(d)} AS region_code, {sums}
  FROM (SELECT {cols} FROM lvl{d + 1}
        UNION ALL SELECT {cols} FROM finest WHERE length(region_code) = {CODE_WIDTH[d]}) below
  GROUP BY 1, 2, 3
)""")
    with_depth = ("period, COALESCE(CAST(split AS STRING), '') AS split, region_code,"
                  " {d} AS depth, num, den, records, COALESCE(simulated, FALSE) AS simulated")
    union = "\nUNION ALL ".join(f"SELECT {with_depth.format(d=d)} FROM lvl{d}"
                                for d in range(depth, 0, -1))
    ctes = ",\n".join(levels)
    return f"""
WITH r AS ({source}),
finest AS (
  SELECT period, {defn.by or "''"} AS split, region_code,
         CAST(SUM({num}) AS BIGINT) AS num, {den} AS den,
         COUNT(*) AS records, bool_or(simulated) AS simulated
  FROM r WHERE ({defn.filter}) AND region_code IS NOT NULL AND region_code <> ''
  GROUP BY 1, 2, 3
),
{ctes}
{union}
""".strip()


# --- engines -------------------------------------------------------------------------

class Runner(Protocol):
    """Runs :func:`sql` over a file list (and, for stocks, a list of periods)."""

    def __call__(self, query: str, stream: str, files: Sequence[Path],
                 periods: Sequence[int]) -> pl.DataFrame:
        """Return the query's rows over ``files`` of ``stream``."""


def duckdb_runner(threads: int | None = None) -> Runner:
    """Return a runner on one in-process DuckDB connection."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")

    def run(query: str, stream: str, files: Sequence[Path],
            periods: Sequence[int]) -> pl.DataFrame:
        listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        columns = ", ".join(STREAMS[stream].schema.names())
        con.execute(f"CREATE OR REPLACE TEMP VIEW src AS SELECT {columns}"
                    f" FROM read_parquet([{listed}])")
        con.execute("CREATE OR REPLACE TEMP TABLE periods (period INTEGER)")
        if periods:
            con.executemany("INSERT INTO periods VALUES (?)", [[p] for p in periods])
        frame: pl.DataFrame = con.sql(query).pl()
        return frame

    return run


def spark_runner(session: Any) -> Runner:
    """Return a runner on a SparkSession (see :func:`lake.spark.session`)."""

    def run(query: str, stream: str, files: Sequence[Path],
            periods: Sequence[int]) -> pl.DataFrame:
        columns = STREAMS[stream].schema.names()
        session.read.parquet(*[str(f) for f in files]).select(*columns) \
            .createOrReplaceTempView("src")
        session.createDataFrame([(int(p),) for p in periods], "period INT") \
            .createOrReplaceTempView("periods")
        return pl.from_arrow(session.sql(query).toArrow())  # type: ignore[return-value]

    return run


# --- partitions and the province cache -------------------------------------------------

_PARTITION = re.compile(r"^(year|prov)=(.+)$")


def partition(path: Path) -> tuple[int, str]:
    """Return the (year, prov) partition of a lake data file, from its directory names."""
    found: dict[str, str] = {}
    for part in Path(path).parts:
        if m := _PARTITION.match(part):
            found[m.group(1)] = m.group(2)
    if "year" not in found or "prov" not in found or not found["year"].isdigit():
        raise RollupError(f"{path}: not a lake data file (no year=YYYY/prov=PP directories)")
    return int(found["year"]), found["prov"]


def _unit(defn: Definition) -> pl.Expr:
    """Return the unit (the cache's year) of each row's period."""
    return pl.col("period") // 100 if defn.period == "month" else pl.col("period")


def _unit_years(defn: Definition, unit: int, years: Iterable[int]) -> set[int]:
    """Return the partition years whose records a unit's values depend on."""
    return {y for y in years if (y <= unit if defn.period == "year_end" else y == unit)}


def _fingerprint(files: Iterable[Path]) -> str:
    """Hash a set of (immutable) data files by path and size."""
    text = "\n".join(sorted(f"{f}:{os.path.getsize(f)}" for f in files))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


CACHE_SCHEMA = pl.Schema({
    "digest": pl.String, "prov": pl.String, "unit": pl.Int32, "fingerprint": pl.String,
    "indicator_id": pl.String, "period": pl.Int32, "num": pl.Int64, "den": pl.Int64,
    "records": pl.Int64, "simulated": pl.Boolean,
})


def _read_cache(path: Path | None) -> pl.DataFrame:
    if path is None or not path.exists():
        return CACHE_SCHEMA.to_frame()
    return pl.read_parquet(path).cast(dict(CACHE_SCHEMA))  # type: ignore[arg-type]


def _write_cache(path: Path, frame: pl.DataFrame) -> None:
    """Replace the cache file atomically (write aside, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.write_parquet(tmp)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


# --- the rollup ----------------------------------------------------------------------

def _canonical(frame: pl.DataFrame, defn: Definition) -> pl.DataFrame:
    """Cast an engine's answer to :data:`MEASURES_SCHEMA`, naming the indicator.

    Every code is of its level's width already: each level reads only the codes at least
    that long, so a record located only to a coarser level counts there, not here.
    """
    name = pl.lit(defn.id)
    if defn.by:
        name = pl.concat_str([name, pl.lit("."), pl.col("split")])
    return frame.select(name.alias("indicator_id"),
                        *[pl.col(c).cast(t) for c, t in MEASURES_SCHEMA.items()
                          if c != "indicator_id"])


def _sum_or_null(column: str) -> pl.Expr:
    """Sum that stays null when every value is null (missing is not zero)."""
    return pl.when(pl.col(column).count() > 0).then(pl.col(column).sum())


def national(provinces: pl.DataFrame) -> pl.DataFrame:
    """Sum provinsi measures (``MEASURES_SCHEMA``) into the nasional rows."""
    return (provinces.group_by("indicator_id", "period")
            .agg(_sum_or_null("num").alias("num"), _sum_or_null("den").alias("den"),
                 pl.col("records").sum(), pl.col("simulated").any())
            .with_columns(region_code=pl.lit(NATIONAL_CODE), depth=pl.lit(0, pl.Int32))
            .select(MEASURES_SCHEMA.names()).cast(dict(MEASURES_SCHEMA)))  # type: ignore[arg-type]


def finish(measures: pl.DataFrame, defn: Definition) -> pl.DataFrame:
    """Turn one definition's additive measures into the output contract: the ratio last."""
    num = pl.col("num").cast(pl.Float64)
    if defn.denominator:
        value = defn.scale * num / pl.when(pl.col("den") != 0).then(pl.col("den"))
    else:
        value = defn.scale * num
    level = pl.col("depth").replace_strict({0: "nasional", **{v: k for k, v in DEPTH.items()}},
                                           return_dtype=pl.String)
    return (measures.with_columns(value=value, level=level)
            .select(OUTPUT_SCHEMA.names()).cast(dict(OUTPUT_SCHEMA)))  # type: ignore[arg-type]


Found = list[tuple[Path, int, str]]


def _files_of(files: Any, stream: str) -> Found:
    """Return a stream's live files with their partitions, from a mapping or a Lake."""
    listed = files.files(stream) if hasattr(files, "files") else files.get(stream, ())
    return [(Path(f), *partition(Path(f))) for f in listed]


def _select(found: Found, years: Callable[[int], bool], provs: Callable[[str], bool]) -> Found:
    return [(f, y, p) for f, y, p in found if years(y) and provs(p)]


#: DuckDB reads whole provinces at a time, about this many bytes of Parquet per query:
#: every region of a province is inside its partitions, so a batch's sums are final. For
#: 100M mentions (34 provinces of 13 MB) one query per province took 8.1 s and 1.7 GB of
#: SQL against 8.8 s and 2.4 GB for 128 MB batches and 9.6 s and 3.0 GB for one query.
BATCH_BYTES = 8 * 2**20


def _batches(found: Found, batch_bytes: int | None) -> list[list[Path]]:
    """Group files into runs of whole provinces, in province order (``None``: one run)."""
    if batch_bytes is None:
        return [[f for f, _, _ in found]] if found else []
    runs: list[list[Path]] = []
    size = batch_bytes
    for prov in sorted({p for _, _, p in found}):
        files = [f for f, _, p in found if p == prov]
        if size >= batch_bytes:
            runs.append([])
            size = 0
        runs[-1].extend(files)
        size += sum(os.path.getsize(f) for f in files)
    return runs


def rollup(files: Any, definitions: Iterable[Definition] | None = None, *,
           engine: str = "duckdb", years: Iterable[int] | None = None,
           provs: Iterable[str] | None = None, cache: Path | None = None,
           session: Any = None) -> pl.DataFrame:
    """Roll the definitions up to every level from their lowest to nasional.

    ``files`` maps a stream name to its live data files (what ``Lake.files(stream)``
    lists; a ``Lake`` itself also does). With ``years`` and/or ``provs`` only those
    partitions are read and the result holds the regions inside those provinces for the
    affected periods, plus nasional for them. ``cache``: the per-province Parquet cache
    that makes nasional cheap on an incremental refresh (optional: without it, the other
    provinces' partitions of those periods are read). ``session``: a SparkSession for
    ``engine="spark"`` (default: :func:`lake.spark.session`).

    The frame is :data:`OUTPUT_SCHEMA`, one definition after the other, its rows in no
    particular order: :func:`store_rollup` needs none, and sorting the 8.6M rows of a
    100M-mention rollup by their string keys would add a quarter to its time.
    """
    if engine not in ENGINES:
        raise RollupError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    defs = tuple(DEFINITIONS if definitions is None else definitions)
    if engine == "spark":
        from lake.spark import session as spark_session
        run, batch = spark_runner(session or spark_session()), None
    else:
        run, batch = duckdb_runner(), BATCH_BYTES
    want_years = None if years is None else {int(y) for y in years}
    want_provs = None if provs is None else {str(p) for p in provs}
    cached = _read_cache(cache)
    out, fresh = [], []
    for defn in defs:
        pieces, provinces = _rollup_one(defn, _files_of(files, defn.stream), run, batch,
                                        want_years, want_provs, cached)
        out.extend(pieces)
        fresh.append(provinces)
    if cache is not None:
        update = pl.concat(fresh)
        keys = update.select("digest", "prov", "unit").unique()
        kept = cached.join(keys, on=["digest", "prov", "unit"], how="anti")
        _write_cache(cache, pl.concat([kept, update]).sort("digest", "prov", "unit", "period"))
    return pl.concat(out) if out else OUTPUT_SCHEMA.to_frame()


def _rollup_one(defn: Definition, found: Found, run: Runner, batch: int | None,
                years: set[int] | None, provs: set[str] | None,
                cached: pl.DataFrame) -> tuple[list[pl.DataFrame], pl.DataFrame]:
    """Return one definition's output pieces (all levels, in order) and its cache rows."""
    all_years = sorted({y for _, y, _ in found})
    all_provs = sorted({p for _, _, p in found})
    if defn.period == "year_end":
        first = min(years) if years else (all_years[0] if all_years else 0)
        periods = [y for y in range(first, all_years[-1] + 1)] if all_years else []
        units = set(periods)
    else:
        periods = []
        units = set(all_years) if years is None else set(years) & set(all_years)
    def in_prov(prov: str) -> bool:
        return provs is None or prov in provs

    needed = {y for u in units for y in _unit_years(defn, u, all_years)}
    read = _select(found, lambda y: y in needed, in_prov)
    pieces, mine = [], []
    for measures in _measures(defn, run, read, batch, periods, DEPTH[defn.lowest]):
        if years is not None:
            measures = measures.filter(_unit(defn).is_in(sorted(units)))
        mine.append(measures.filter(pl.col("depth") == 1))
        pieces.append(finish(measures, defn))
    provinces = pl.concat(mine) if mine else MEASURES_SCHEMA.to_frame()
    others = [p for p in all_provs if not in_prov(p)]
    if others:
        provinces = pl.concat([provinces, _other_provinces(defn, found, run, batch, others,
                                                           units, periods, cached)])
    cache_rows = _cache_rows(defn, found, provinces, [p for p in all_provs if in_prov(p)],
                             units)
    pieces.append(finish(national(provinces), defn))
    return pieces, cache_rows


def _measures(defn: Definition, run: Runner, found: Found, batch: int | None,
              periods: Sequence[int], depth: int) -> Iterator[pl.DataFrame]:
    """Yield the measures of each batch of whole provinces, in province order."""
    query = sql(defn, depth=depth)
    for files in _batches(found, batch):
        yield _canonical(run(query, defn.stream, files, periods), defn)


def _current(defn: Definition, found: Found, prov: str,
             unit: int) -> tuple[str, bool]:
    """Return the fingerprint of a (province, unit) and whether it has any file."""
    years = _unit_years(defn, unit, {y for _, y, _ in found})
    files = [f for f, y, p in found if p == prov and y in years]
    return _fingerprint(files), bool(files)


def _other_provinces(defn: Definition, found: Found, run: Runner, batch: int | None,
                     others: list[str], units: set[int], periods: Sequence[int],
                     cached: pl.DataFrame) -> pl.DataFrame:
    """Provinsi measures of the provinces not refreshed: cached where current, else read."""
    mine = cached.filter(pl.col("digest") == defn.digest)
    good, stale = [], set()
    for prov in others:
        for unit in units:
            fingerprint, has_files = _current(defn, found, prov, unit)
            if not has_files:
                continue
            hit = mine.filter((pl.col("prov") == prov) & (pl.col("unit") == unit)
                              & (pl.col("fingerprint") == fingerprint))
            if hit.height:
                good.append(hit.filter(pl.col("indicator_id").is_not_null()))
            else:
                stale.add(prov)
    rows = [g.with_columns(region_code=pl.col("prov"), depth=pl.lit(1, pl.Int32))
            .select(MEASURES_SCHEMA.names()) for g in good]
    if stale:
        needed = {y for u in units for y in _unit_years(defn, u, {y for _, y, _ in found})}
        read = _select(found, lambda y: y in needed, lambda p: p in stale)
        fresh = pl.concat([MEASURES_SCHEMA.to_frame(),
                           *_measures(defn, run, read, batch, periods, 1)])
        fresh = fresh.filter(_unit(defn).is_in(sorted(units)))
        # Cached rows of a stale province are dropped in favour of the fresh ones.
        rows = [r.filter(~pl.col("region_code").is_in(sorted(stale))) for r in rows]
        rows.append(fresh)
    return pl.concat(rows) if rows else MEASURES_SCHEMA.to_frame()


def _cache_rows(defn: Definition, found: Found,
                provinces: pl.DataFrame, provs: list[str], units: set[int]) -> pl.DataFrame:
    """Cache rows for every (province, unit) this run computed; empty units too."""
    rows = []
    for prov in provs:
        for unit in units:
            fingerprint, has_files = _current(defn, found, prov, unit)
            if not has_files:
                continue
            part = provinces.filter((pl.col("region_code") == prov) & (_unit(defn) == unit))
            key = {"digest": defn.digest, "prov": prov, "unit": unit,
                   "fingerprint": fingerprint}
            if not part.height:  # computed and empty: remembered, so not read again
                part = pl.DataFrame([{c: None for c in MEASURES_SCHEMA}],
                                    schema=MEASURES_SCHEMA)
            rows.append(part.with_columns(**{k: pl.lit(v) for k, v in key.items()})
                        .select(CACHE_SCHEMA.names()).cast(dict(CACHE_SCHEMA)))  # type: ignore[arg-type]
    return pl.concat(rows) if rows else CACHE_SCHEMA.to_frame()
