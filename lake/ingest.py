"""Ingest record files (CSV or Parquet) into the lake: check, quarantine, replace by key.

One path for every door (the ``lake ingest`` command, the demo generator): a file is read
in chunks of :data:`CHUNK_ROWS` rows, its columns matched to the stream's stored columns
(case-insensitively, through :attr:`lake.streams.Stream.aliases`), every value coerced to
the stored type and every row checked by the stream's rules (:func:`rules`). A row that
fails goes to the quarantine file with its row number, column, reason and raw values; the
others are stored. Nothing is dropped silently.

A stored record whose key comes again is replaced (the partitions holding it are rewritten
as new files; the old ones leave the manifest). The same file (by SHA-256) ingested again
changes nothing. A file that lacks a required column is refused before anything is written.

Row numbers are those a spreadsheet shows for a CSV file (the header is row 1) and the
1-based record number for a Parquet file.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import shapely

from geodata.boundaries import read_layer
from geodata.registry import Registry
from lake.store import Lake, Partition, Snapshot, Source
from lake.streams import (
    ACLED_EVENT_TYPES,
    ELECTIONS,
    ORMAS_FORMS,
    ORMAS_STATUS,
    STREAMS,
    Stream,
)

CHUNK_ROWS = 64_000  # Parquet rows per chunk
CSV_BLOCK_BYTES = 4 << 20  # CSV bytes per chunk (about 60k rows of TPS results)
STAGE_ROWS = 500_000  # checked rows kept before they are written to staging by partition
ROW = "_row"  # the source row number, carried through the checks

Progress = Callable[[int], None]
"""Called with the number of rows read since the previous call."""

#: Columns a file may lack or leave empty, per stream (``simulated`` and ``located_by``
#: are never read from a file: the ingest sets them).
OPTIONAL: dict[str, frozenset[str]] = {
    "tps": frozenset(),
    "ormas": frozenset({"expires", "field"}),
    "incidents": frozenset({"region_code", "time_precision", "sub_event_type", "actor1",
                            "actor2", "location", "admin1", "admin2", "admin3", "source",
                            "notes"}),
    "media": frozenset(),
}
SET_BY_INGEST = frozenset({"simulated", "located_by"})


class IngestError(ValueError):
    """A whole file cannot be ingested (unknown format, a required column missing)."""


@dataclass
class IngestResult:
    """What an ingest did; ``partitions`` are the (year, prov) it rewrote."""

    stream: str
    snapshot: int = 0
    rows_read: int = 0
    stored: int = 0
    replaced: int = 0
    quarantined: int = 0
    unchanged: list[Path] = field(default_factory=list)
    quarantine_files: list[Path] = field(default_factory=list)
    partitions: set[Partition] = field(default_factory=set)


@dataclass(frozen=True)
class Rule:
    """One check of a row: ``bad`` is True where the row breaks it."""

    column: str
    reason: str
    bad: pl.Expr


def _nonnegative(*columns: str) -> list[Rule]:
    return [Rule(c, "must not be negative", pl.col(c) < 0) for c in columns]


def _one_of(column: str, allowed: Sequence[str]) -> Rule:
    return Rule(column, f"must be one of {', '.join(allowed)}", ~pl.col(column).is_in(allowed))


def rules(stream: str) -> list[Rule]:
    """Return the checks of a stream's coerced rows.

    Types, missing values (an empty or blank cell in a required column, such as a media
    ``topic``) and region codes are checked before, by :func:`check_chunk`.
    """
    if stream == "tps":
        return [
            _one_of("election", ELECTIONS),
            *_nonnegative("tps", "dpt", "dptb", "dpk", "voters", "valid_votes",
                          "invalid_votes"),
            Rule("voters", "voters exceed dpt + dptb + dpk",
                 pl.col("voters") > pl.col("dpt") + pl.col("dptb") + pl.col("dpk")),
            Rule("valid_votes", "valid_votes + invalid_votes differ from voters",
                 pl.col("valid_votes") + pl.col("invalid_votes") != pl.col("voters")),
        ]
    if stream == "ormas":
        return [
            _one_of("legal_form", ORMAS_FORMS),
            _one_of("status", ORMAS_STATUS),
            Rule("expires", "expires before the registration date",
                 pl.col("expires") < pl.col("date")),
        ]
    if stream == "incidents":
        return [_one_of("event_type", ACLED_EVENT_TYPES), *_nonnegative("fatalities")]
    if stream == "media":
        return [Rule("tone", "must be -1, 0 or 1", ~pl.col("tone").is_between(-1, 1))]
    raise ValueError(f"unknown stream {stream!r}")


# --- reading ---------------------------------------------------------------------------

def sha256(path: Path) -> str:
    """Return the SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as src:
        while block := src.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _header(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return list(pq.ParquetFile(path).schema_arrow.names)
    if suffix == ".csv":
        try:
            with open(path, encoding="utf-8-sig", newline="") as src:
                return next(csv.reader(src), [])
        except UnicodeDecodeError as exc:
            raise IngestError(f"{path}: cannot be read as UTF-8 text ({exc.reason})") from None
    raise IngestError(f"{path}: not a .csv or .parquet file")


def column_map(stream: Stream, header: Sequence[str], path: Path) -> dict[str, str]:
    """Map the file's column names to stored names; refuse a file lacking a required one.

    Columns that are neither stored names nor aliases are ignored (an ACLED export has
    many more). Raises :class:`IngestError` naming the missing or doubled column.
    """
    known = {name: name for name in stream.schema.names()} | stream.aliases
    mapping: dict[str, str] = {}
    for raw in header:
        stored = known.get(raw.strip().lower())
        if stored is None or stored in SET_BY_INGEST:
            continue
        if stored in mapping.values():
            raise IngestError(f"{path}: two columns give {stored!r} (one is {raw!r})")
        mapping[raw] = stored
    required = [c for c in stream.schema.names()
                if c not in SET_BY_INGEST | OPTIONAL[stream.name] | set(mapping.values())]
    if required:
        raise IngestError(f"{path}: required column {required[0]!r} is missing"
                          f" (missing: {', '.join(required)}); nothing was ingested")
    return mapping


def _chunks(path: Path, header: Sequence[str]) -> Iterator[pl.DataFrame]:
    """Yield the file's rows as strings, with their row number in :data:`ROW`."""
    first = 1
    if path.suffix.lower() == ".parquet":
        batches: Iterable[pa.RecordBatch] = pq.ParquetFile(path).iter_batches(CHUNK_ROWS)
    else:
        first = 2  # the header is row 1
        batches = pacsv.open_csv(
            path, read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header}))
    done = 0
    for batch in batches:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        frame = frame.with_columns(pl.all().cast(pl.String))
        rows = pl.int_range(first + done, first + done + frame.height, dtype=pl.Int64)
        yield frame.select(rows.alias(ROW), pl.all())
        done += frame.height


# --- checking --------------------------------------------------------------------------

def _region_code(raw: pl.Expr) -> pl.Expr:
    """Normalise region codes: undotted 10/6/4-digit codes get their dots."""
    s = raw.str.strip_chars()
    return (pl.when(s.str.contains(r"^\d{10}$"))
            .then(pl.concat_str([s.str.slice(0, 2), s.str.slice(2, 2), s.str.slice(4, 2),
                                 s.str.slice(6, 4)], separator="."))
            .when(s.str.contains(r"^\d{6}$"))
            .then(pl.concat_str([s.str.slice(0, 2), s.str.slice(2, 2), s.str.slice(4, 2)],
                                separator="."))
            .when(s.str.contains(r"^\d{4}$"))
            .then(pl.concat_str([s.str.slice(0, 2), s.str.slice(2, 2)], separator="."))
            .otherwise(s))


def _coerce(name: str, dtype: pl.DataType) -> tuple[pl.Expr, str]:
    """Return the expression turning a raw string column into ``dtype``, and its kind."""
    raw = pl.col(name)
    if name == "region_code":
        return _region_code(raw), "region code"
    if dtype == pl.Date:
        return (pl.coalesce(raw.str.to_date("%Y-%m-%d", strict=False),
                            raw.str.to_date("%d %B %Y", strict=False)),
                "date (2024-03-12 or 12 March 2024)")
    if dtype == pl.Float64:
        return raw.cast(pl.Float64, strict=False), "number"
    if dtype.is_integer():
        return raw.cast(dtype, strict=False), "whole number"
    return raw, "text"


def _problems(frame: pl.DataFrame, checks: Iterable[tuple[str, str, pl.Expr]]) -> pl.DataFrame:
    """Return (row, column, reason) for each check a row fails."""
    found = [frame.filter(bad.fill_null(False)).select(
                 ROW, pl.lit(column).alias("column"), pl.lit(reason).alias("reason"))
             for column, reason, bad in checks]
    return pl.concat(found) if found else pl.DataFrame(
        schema={ROW: pl.Int64, "column": pl.String, "reason": pl.String})


@dataclass
class _Context:
    stream: Stream
    registry_codes: pl.DataFrame  # code, level of the stream's levels
    simulated: bool
    kecamatan: tuple[shapely.STRtree, np.ndarray] | None
    boundaries: Path | None


def _locate(ctx: _Context, frame: pl.DataFrame) -> pl.DataFrame:
    """Give incidents without a region code the kecamatan their point lies in."""
    missing = frame.filter(pl.col("region_code").is_null() & pl.col("latitude").is_not_null()
                           & pl.col("longitude").is_not_null())
    located_by = pl.when(pl.col("region_code").is_not_null()).then(pl.lit("code"))
    if missing.is_empty() or ctx.boundaries is None:
        return frame.with_columns(located_by.alias("located_by"))
    if ctx.kecamatan is None:
        layer = read_layer(ctx.boundaries, "kecamatan")
        ctx.kecamatan = (shapely.STRtree(layer.geometry.values), layer["code"].to_numpy())
    tree, codes = ctx.kecamatan
    points = shapely.points(missing["longitude"].to_numpy(), missing["latitude"].to_numpy())
    hit_point, hit_polygon = tree.query(points, predicate="intersects")
    found = (pl.DataFrame({ROW: missing[ROW].to_numpy()[hit_point],
                           "_located": codes[hit_polygon].astype(str)})
             .sort("_located").unique(ROW, keep="first"))
    by_point = pl.col("region_code").is_null() & pl.col("_located").is_not_null()
    return (frame.join(found, on=ROW, how="left")
            .with_columns(pl.when(by_point).then(pl.lit("point")).otherwise(located_by)
                          .alias("located_by"),
                          pl.coalesce("region_code", "_located").alias("region_code"))
            .drop("_located"))


def check_chunk(ctx: _Context, raw: pl.DataFrame,
                mapping: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Check one chunk: return the good rows (stored columns plus :data:`ROW`) and problems.

    Problems are (row, column, reason); ``column`` is the stored column name.
    """
    stream = ctx.stream
    optional = OPTIONAL[stream.name]
    stored = raw.select(ROW, *[pl.col(src).str.strip_chars().replace("", None).alias(dst)
                               for src, dst in mapping.items()])
    types = {n: t for n, t in stream.schema.items() if n not in SET_BY_INGEST}
    kinds = {n: _coerce(n, t) for n, t in types.items() if n in stored.columns}
    both = stored.with_columns(expr.alias(f"_as_{n}") for n, (expr, _) in kinds.items())
    checks: list[tuple[str, str, pl.Expr]] = []
    for name, (_, kind) in kinds.items():
        checks.append((name, f"not a {kind}",
                       pl.col(name).is_not_null() & pl.col(f"_as_{name}").is_null()))
        if name not in optional:
            checks.append((name, "missing value", pl.col(name).is_null()))
    coerced = both.select(ROW, *[pl.col(f"_as_{n}").alias(n) if n in kinds
                                 else pl.lit(None, t).alias(n) for n, t in types.items()])
    problems = [_problems(both, checks)]
    if stream.name == "incidents":
        coerced = _locate(ctx, coerced)
        outside = ("point lies outside every kecamatan boundary" if ctx.boundaries else
                   "no region code, and no boundaries given to locate the point")
        unlocated = (pl.col("region_code").is_null() & pl.col("latitude").is_not_null()
                     & pl.col("longitude").is_not_null())  # else latitude's problem says why
        problems.append(_problems(coerced, [("region_code", outside, unlocated)]))
    levels = " or ".join([", ".join(stream.levels[:-1]), stream.levels[-1]] if
                         len(stream.levels) > 1 else stream.levels)
    known = coerced.join(ctx.registry_codes, left_on="region_code", right_on="code",
                         how="left")
    problems.append(_problems(known, [
        ("region_code", f"not a {levels} code of the region registry",
         pl.col("region_code").is_not_null() & pl.col("_level").is_null())]))
    problems.append(_problems(coerced, [(r.column, r.reason, r.bad) for r in rules(stream.name)]))
    found = pl.concat(problems).unique(maintain_order=True)
    good = (coerced.filter(~pl.col(ROW).is_in(found[ROW].implode()))
            .with_columns(pl.lit(ctx.simulated).alias("simulated")))
    return good.select(ROW, *stream.schema.names()).cast(stream.schema), found


# --- storing ---------------------------------------------------------------------------

def _quarantine(path: Path, raw: pl.DataFrame, problems: pl.DataFrame,
                mapping: dict[str, str], header: Sequence[str]) -> None:
    """Append problems with the raw values of their rows to the quarantine file."""
    if problems.is_empty():
        return
    names = {v: k for k, v in mapping.items()}
    rows = (problems.with_columns(pl.col("column").replace(names))
            .join(raw, on=ROW, how="left").sort(ROW, maintain_order=True)
            .select(pl.col(ROW).alias("row"), "column", "reason", *header))
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with open(path, "a", encoding="utf-8", newline="") as out:
        rows.write_csv(out, include_header=new)


def _staging(lake: Lake) -> Path:
    """Return a fresh staging folder (removed after the ingest; :func:`vacuum` after a crash)."""
    path = lake.root / "staging" / f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def _key_moves_partition(stream: Stream) -> bool:
    """Whether a record with the same key may sit in another partition (key lacks date/region)."""
    return not {"date", "region_code"} <= set(stream.key)


Staged = dict[Partition, list[Path]]
"""The checked rows of a file, written to staging files per partition."""


def _stage(staging: Path, good: pl.DataFrame, n: int, staged: Staged) -> None:
    """Write good rows to staging, one file per partition (``n`` names the batch)."""
    parts = good.with_columns(pl.col("date").dt.year().alias("_year"),
                              pl.col("region_code").str.slice(0, 2).alias("_prov"))
    for (year, prov), frame in parts.partition_by("_year", "_prov", as_dict=True).items():
        key = (int(year), str(prov))
        path = staging / f"{key[0]}-{key[1]}-{n}.parquet"
        frame.drop("_year", "_prov").write_parquet(path)
        staged.setdefault(key, []).append(path)


def _merge(lake: Lake, base: Snapshot, stream: Stream, staged: Staged, dropped: pl.DataFrame
           ) -> tuple[dict[Partition, pl.LazyFrame], int, int]:
    """Return the new content of every partition touched, rows stored and replaced.

    ``dropped`` holds the :data:`ROW` of staged rows not to store. A stored record whose key
    comes again is left out of its partition; with a key that does not hold the date and
    region (:func:`_key_moves_partition`), it is looked for in every partition.
    """
    key = list(stream.key)
    columns = stream.schema.names()

    def fresh(part: Partition) -> pl.LazyFrame:
        return pl.scan_parquet(staged[part]).join(dropped.lazy(), on=ROW, how="anti")

    targets = set(staged)
    moves = _key_moves_partition(stream)
    all_keys = (pl.scan_parquet([p for paths in staged.values() for p in paths])
                .join(dropped.lazy(), on=ROW, how="anti").select(key).collect()
                if moves else pl.DataFrame())
    files = base.stream_files(stream.name)
    if moves and files:
        by_path = {str(lake.root / f.path): (f.year, f.prov) for f in files}
        holding = (pl.scan_parquet(list(by_path), schema=stream.schema,
                                   include_file_paths="_file")
                   .join(all_keys.lazy(), on=key, how="semi").select("_file").unique().collect())
        targets |= {by_path[f] for f in holding["_file"]}
    merged: dict[Partition, pl.LazyFrame] = {}
    stored = replaced = 0
    for part in sorted(targets):
        new = fresh(part) if part in staged else pl.LazyFrame(schema=stream.schema)
        keys = all_keys.lazy() if moves else new.select(key)
        old = lake.scan(stream.name, years=[part[0]], provs=[part[1]], snapshot=base)
        stored += new.select(pl.len()).collect().item()
        replaced += old.join(keys, on=key, how="semi").select(pl.len()).collect().item()
        merged[part] = pl.concat([old.join(keys, on=key, how="anti"),
                                  new.select(columns)]).sort(key)
    return merged, stored, replaced


def _duplicates(staged: Staged, stream: Stream) -> pl.DataFrame:
    """Return (row, column, reason) for rows whose key a later row of the file repeats.

    Partition by partition when the key fixes the partition, else over the whole file.
    """
    key = list(stream.key)
    groups = ([[p for paths in staged.values() for p in paths]]
              if _key_moves_partition(stream) else list(staged.values()))
    reason = f"same key ({', '.join(key)}) as a later row of the file, which is stored"
    return pl.concat([
        pl.scan_parquet(group).select(ROW, *key)
        .filter(pl.col(ROW) != pl.col(ROW).max().over(key))
        .select(ROW, pl.lit(key[0]).alias("column"), pl.lit(reason).alias("reason"))
        .collect() for group in groups])


def _ingest_file(lake: Lake, ctx: _Context, path: Path, mapping: dict[str, str],
                 header: Sequence[str], digest: str, result: IngestResult,
                 progress: Progress | None) -> None:
    stream = ctx.stream
    base = lake.snapshot()
    quarantine = lake.root / "quarantine" / stream.name / f"{base.id + 1}-{path.stem}.csv"
    quarantine.unlink(missing_ok=True)  # left by a crashed ingest of the same snapshot id
    staging = _staging(lake)
    try:
        staged: Staged = {}
        rows = bad = 0
        pending: list[pl.DataFrame] = []  # good rows not yet staged
        batches = 0
        try:
            for raw in _chunks(path, header):
                good, problems = check_chunk(ctx, raw, mapping)
                _quarantine(quarantine, raw, problems, mapping, header)
                rows += raw.height
                bad += problems[ROW].n_unique()
                pending.append(good)
                if sum(f.height for f in pending) >= STAGE_ROWS:
                    _stage(staging, pl.concat(pending), batches, staged)
                    pending, batches = [], batches + 1
                if progress:
                    progress(raw.height)
            if pending:
                _stage(staging, pl.concat(pending), batches, staged)
        except pa.ArrowInvalid as exc:  # a malformed CSV line, text that is not UTF-8
            raise IngestError(f"{path}: cannot be read: {exc}; nothing was ingested from it"
                              ) from None
        partitions: dict[Partition, pl.LazyFrame] = {}
        stored = replaced = 0
        if staged:
            dups = _duplicates(staged, stream)
            if dups.height:
                for raw in _chunks(path, header):
                    in_chunk = dups.filter(pl.col(ROW).is_in(raw[ROW].implode()))
                    _quarantine(quarantine, raw, in_chunk, mapping, header)
                bad += dups.height
            partitions, stored, replaced = _merge(lake, base, stream, staged, dups.select(ROW))
        source = Source(stream=stream.name, name=path.name, sha256=digest, snapshot=0,
                        rows_read=rows, stored=stored, replaced=replaced, quarantined=bad,
                        at=datetime.now(UTC).isoformat(timespec="seconds"),
                        quarantine=(quarantine.relative_to(lake.root).as_posix()
                                    if quarantine.exists() else None))
        snap = lake.commit(stream.name, partitions, base=base, sources=[source])
    except BaseException:
        quarantine.unlink(missing_ok=True)  # it belongs to a snapshot never published
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.snapshot = snap.id
    result.rows_read += rows
    result.stored += stored
    result.replaced += replaced
    result.quarantined += bad
    result.partitions |= set(partitions)
    if quarantine.exists():
        result.quarantine_files.append(quarantine)


def _registry_codes(registry: Registry, stream: Stream) -> pl.DataFrame:
    regions = [r for r in registry if r.level in stream.levels]
    return pl.DataFrame({"code": [r.code for r in regions], "_level": [r.level for r in regions]})


def ingest(lake: Lake, stream: str, paths: Sequence[Path], *, registry: Registry,
           boundaries: Path | None = None, simulated: bool = False,
           progress: Progress | None = None) -> IngestResult:
    """Ingest record files into one stream of the lake.

    Parameters
    ----------
    lake
        The lake written.
    stream
        A name in :data:`lake.streams.STREAMS`.
    paths
        CSV or Parquet files. Every header is checked before anything is written.
    registry
        The region registry with desa (``load_registry(include_desa=True)``).
    boundaries
        The boundaries directory (setting ``boundaries_dir``): incidents without a region
        code are located to the kecamatan whose polygon holds their point.
    simulated
        Mark the stored rows as simulated (the demo generator).
    progress
        Called with the rows read since its previous call.

    Returns
    -------
    IngestResult
        Counts, the files skipped as already ingested, the quarantine files and the
        partitions rewritten (one snapshot per file ingested).

    Raises
    ------
    IngestError
        If a file is not CSV/Parquet or lacks a required column (nothing is written).
    """
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}; expected one of {', '.join(STREAMS)}")
    spec = STREAMS[stream]
    headers = {path: _header(path) for path in paths}
    mappings = {path: column_map(spec, header, path) for path, header in headers.items()}
    ctx = _Context(spec, _registry_codes(registry, spec), simulated, None, boundaries)
    result = IngestResult(stream=stream, snapshot=lake.snapshot().id)
    for path in paths:
        digest = sha256(path)
        if any(s.stream == stream and s.sha256 == digest for s in lake.snapshot().sources):
            result.unchanged.append(path)
            continue
        _ingest_file(lake, ctx, path, mappings[path], headers[path], digest, result, progress)
    return result
