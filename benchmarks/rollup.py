"""``python -m benchmarks.rollup``: time the lake rollups against plain DuckDB and Polars.

Synthesises the lake's streams as Parquet files laid out like the lake
(``data/stream=<s>/year=<YYYY>/prov=<PP>/<n>.parquet``; 34 provinces, 2,000 desa each),
cached under ``var/bench/`` so re-runs reuse them, then measures in one run, each task in
its own subprocess (wall time inside it; peak RSS of that process tree, read with
``getrusage(RUSAGE_CHILDREN)`` by a parent that ran nothing else):

- the media stream (``--rows``, default 100M, 2023-2024) rolled up by topic and month to
  every level desa -> nasional by the product (:func:`lake.rollup.rollup`, DuckDB), next to
  a plain DuckDB ``GROUP BY`` of the finest level, a plain Polars ``group_by`` (lazy,
  streaming engine) and a Polars rollup built level by level;
- 820k TPS rows x 3 elections to every level (target < 2 s);
- an incremental refresh of one province-month (a new month of mentions and TPS rows
  in one province; nasional from the per-province cache; target < 1 s), and the same
  without the cache;
- Spark ``local[2]`` on ``--spark-rows`` (10M) media rows: must match DuckDB; time reported.

Prints a table with targets and PASS/MISS (information only) and writes
``benchmarks/results/rollup.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lake.rollup import DEFINITIONS, Definition, rollup
from lake.streams import STREAMS
from settings import PROJECT_ROOT

BENCH_DIR = PROJECT_ROOT / "var" / "bench"
RESULTS = Path(__file__).with_name("results") / "rollup.json"
PROVS = [f"{p}" for p in range(11, 45)]  # 34 synthetic provinces
KAB, KEC, DESA = 10, 10, 20  # per parent: 2,000 desa per province, 68,000 in all
TOPICS = ["pemilu", "ekonomi", "keamanan", "kesehatan", "pendidikan"]
MEDIA_YEARS = (2023, 2024)
TPS_PER_ELECTION = 820_000
ELECTION_DAYS = {"pilpres": date(2024, 2, 14), "pileg_dpr": date(2024, 2, 14),
                 "pilkada": date(2024, 11, 27)}
REFRESH_PROV, REFRESH_YEAR, REFRESH_MONTH = "32", 2024, 12
CHUNK = 2_000_000  # rows generated at once, at most

#: The benchmark's media rollup: negative share by topic and month, desa to nasional.
MEDIA_BY_TOPIC_MONTH = Definition(
    id="media_negatif_bulanan", stream="media", lowest="desa",
    numerator="CASE WHEN tone = -1 THEN 1 ELSE 0 END", denominator="1", scale=100.0,
    period="month", by="topic")


def desa_codes(prov: str) -> np.ndarray:
    """Return the synthetic desa codes of one province."""
    return np.array([f"{prov}.{k:02d}.{c:02d}.{2000 + d:04d}" for k in range(1, KAB + 1)
                     for c in range(1, KEC + 1) for d in range(1, DESA + 1)])


def _write(path: Path, columns: dict[str, pa.Array], stream: str) -> None:
    schema = pa.schema([(c, pl.DataFrame(schema={c: t}).to_arrow().schema.field(c).type)
                        for c, t in STREAMS[stream].schema.items()])
    table = pa.table({c: columns.get(c, pa.nulls(len(next(iter(columns.values()))),
                                                 schema.field(c).type))
                      for c in schema.names}).cast(schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd", row_group_size=128 * 1024)


def _days(rng: np.random.Generator, year: int, n: int, month: int | None = None) -> np.ndarray:
    start = np.datetime64(f"{year}-{month or 1:02d}-01")
    end = (np.datetime64(f"{year}-{month + 1:02d}-01") if month and month < 12
           else np.datetime64(f"{year + 1}-01-01"))
    return start + rng.integers(0, int((end - start).astype(int)), n)


def _dates(rng: np.random.Generator, year: int, n: int, month: int | None = None) -> pa.Array:
    return pa.array(_days(rng, year, n, month))


def media_chunks(rng: np.random.Generator, prov: str, year: int, n: int, first_id: int,
                 month: int | None = None, simulated: bool = True) -> Iterator[dict[str, Any]]:
    """Yield columns of ``n`` synthetic mentions in one partition, CHUNK rows at a time."""
    codes = desa_codes(prov)
    topic_p = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        ids = pc.cast(pa.array(np.arange(first_id + start, first_id + start + size)),
                              pa.string())
        yield {
            "mention_id": pc.binary_join_element_wise("m", ids, ""),
            "date": _dates(rng, year, size, month),
            "region_code": pa.array(codes[rng.integers(0, len(codes), size)]),
            "topic": pa.array(np.array(TOPICS)[rng.choice(len(TOPICS), size, p=topic_p)]),
            "tone": pa.array(rng.choice(np.array([-1, 0, 1], dtype=np.int8), size,
                                        p=[0.3, 0.5, 0.2])),
            "simulated": pa.array(np.full(size, simulated)),
        }


def make_media(rows: int) -> Path:
    """Write (once) ``rows`` mentions spread over 34 provinces x 2 years; return the root."""
    root = BENCH_DIR / f"media-{rows}"
    if (root / "done").exists():
        return root
    rng = np.random.default_rng(rows)
    parts = [(y, p) for y in MEDIA_YEARS for p in PROVS]
    per = rows // len(parts)
    first = 0
    for i, (year, prov) in enumerate(parts):
        n = per + (rows - per * len(parts) if i == len(parts) - 1 else 0)
        folder = root / "data" / "stream=media" / f"year={year}" / f"prov={prov}"
        for j, chunk in enumerate(media_chunks(rng, prov, year, n, first)):
            _write(folder / f"1-{j}.parquet", chunk, "media")
        first += n
        print(f"  media {i + 1}/{len(parts)} partitions", file=sys.stderr, end="\r")
    (root / "done").write_text(str(rows))
    return root


def tps_columns(rng: np.random.Generator, prov: str, n: int, election: str,
                first_tps: int = 1) -> dict[str, pa.Array]:
    """Return columns of ``n`` synthetic polling stations of one province and election."""
    codes = desa_codes(prov)
    dpt = rng.integers(150, 300, n)
    voters = (dpt * rng.uniform(0.6, 0.9, n)).astype(np.int64)
    invalid = (voters * rng.uniform(0.0, 0.05, n)).astype(np.int64)
    return {
        "election": pa.array(np.full(n, election)),
        "date": pa.array(np.full(n, np.datetime64(ELECTION_DAYS[election], "D"))),
        "region_code": pa.array(codes[np.arange(n) % len(codes)]),
        "tps": pa.array((first_tps + np.arange(n) // len(codes)).astype(np.int32)),
        "dpt": pa.array(dpt), "dptb": pa.array(rng.integers(0, 5, n)),
        "dpk": pa.array(rng.integers(0, 3, n)), "voters": pa.array(voters),
        "valid_votes": pa.array(voters - invalid), "invalid_votes": pa.array(invalid),
        "simulated": pa.array(np.full(n, True)),
    }


def make_others() -> Path:
    """Write (once) TPS (820k rows x 3 elections), ormas and incidents; return the root."""
    root = BENCH_DIR / "others"
    if (root / "done").exists():
        return root
    rng = np.random.default_rng(12)
    per = TPS_PER_ELECTION // len(PROVS)
    for prov in PROVS:
        folder = root / "data" / "stream=tps" / "year=2024" / f"prov={prov}"
        for election in ELECTION_DAYS:
            _write(folder / f"1-{election}.parquet",
                   tps_columns(rng, prov, per, election), "tps")
        for year in range(2015, 2025):  # ormas: 1,000 registrations per province and year
            n, codes = 1000, desa_codes(prov)
            days = _days(rng, year, n)
            reg, expires = pa.array(days), pa.array(days + np.timedelta64(5 * 365, "D"))
            _write(root / "data" / "stream=ormas" / f"year={year}" / f"prov={prov}"
                   / "1-0.parquet",
                   {"org_id": pa.array([f"o{prov}{year}{i}" for i in range(n)]),
                    "date": reg, "expires": expires, "region_code": pa.array(
                        np.where(rng.random(n) < 0.5, codes[rng.integers(0, len(codes), n)],
                                 f"{prov}.01")),
                    "status": pa.array(rng.choice(["active", "revoked"], n, p=[0.95, 0.05])),
                    "simulated": pa.array(np.full(n, True))}, "ormas")
        for year in (2023, 2024):  # incidents: 1,500 per province and year
            n, codes = 1500, desa_codes(prov)
            _write(root / "data" / "stream=incidents" / f"year={year}" / f"prov={prov}"
                   / "1-0.parquet",
                   {"event_id": pa.array([f"e{prov}{year}{i}" for i in range(n)]),
                    "date": _dates(rng, year, n), "event_type": pa.array(
                        rng.choice(["Riots", "Protests", "Battles"], n)),
                    "fatalities": pa.array(rng.integers(0, 3, n).astype(np.int32)),
                    "region_code": pa.array(codes[rng.integers(0, len(codes), n)]),
                    "simulated": pa.array(np.full(n, True))}, "incidents")
    (root / "done").write_text("ok")
    return root


def lake_files(*roots: Path) -> dict[str, list[Path]]:
    """Return each stream's files under the given roots (the lake's explicit lists)."""
    return {s: sorted(f for r in roots
                      for f in (r / "data" / f"stream={s}").glob("year=*/prov=*/*.parquet"))
            for s in STREAMS}


def make_refresh(rows: int) -> Path:
    """Write (once) the new province-month: mentions and TPS corrections in one province."""
    root = BENCH_DIR / f"refresh-{rows}"
    if (root / "done").exists():
        return root
    rng = np.random.default_rng(7)
    n = rows // (len(PROVS) * len(MEDIA_YEARS) * 12)  # one month of one province
    folder = root / "data" / "stream=media" / f"year={REFRESH_YEAR}" / f"prov={REFRESH_PROV}"
    for j, chunk in enumerate(media_chunks(rng, REFRESH_PROV, REFRESH_YEAR, n, 10**10,
                                           month=REFRESH_MONTH)):
        _write(folder / f"2-{j}.parquet", chunk, "media")
    _write(root / "data" / "stream=tps" / f"year={REFRESH_YEAR}" / f"prov={REFRESH_PROV}"
           / "2-0.parquet", tps_columns(rng, REFRESH_PROV, 500, "pilkada", 100), "tps")
    (root / "done").write_text("ok")
    return root


# --- tasks: each runs in its own process --------------------------------------------------

def task_product(root: str) -> dict[str, Any]:
    out = rollup(lake_files(Path(root)), [MEDIA_BY_TOPIC_MONTH])
    return {"rows_out": out.height}


def task_duckdb(root: str) -> dict[str, Any]:
    import duckdb

    files = ", ".join(f"'{f}'" for f in lake_files(Path(root))["media"])
    out = duckdb.connect().sql(
        "SELECT region_code, topic, year(date) * 100 + month(date) AS period,"
        " count(*) AS records, sum(CASE WHEN tone = -1 THEN 1 ELSE 0 END) AS negative,"
        " bool_or(simulated) AS simulated"
        f" FROM read_parquet([{files}]) GROUP BY ALL").pl()
    return {"rows_out": out.height}


def _polars_finest(root: str) -> pl.LazyFrame:
    return (pl.scan_parquet(lake_files(Path(root))["media"])
            .group_by("region_code", "topic",
                      period=pl.col("date").dt.year() * 100 + pl.col("date").dt.month())
            .agg(records=pl.len(), negative=(pl.col("tone") == -1).sum(),
                 simulated=pl.col("simulated").any()))


def task_polars(root: str) -> dict[str, Any]:
    return {"rows_out": _polars_finest(root).collect(engine="streaming").height}


def task_polars_rollup(root: str) -> dict[str, Any]:
    level = _polars_finest(root).collect(engine="streaming")
    frames = [level]
    for parts in (3, 2, 1):
        level = (level.with_columns(pl.col("region_code").str.split(".").list.head(parts)
                                    .list.join("."))
                 .group_by("region_code", "topic", "period")
                 .agg(pl.col("records", "negative").sum(), pl.col("simulated").any()))
        frames.append(level)
    frames.append(level.group_by("topic", "period").agg(
        pl.col("records", "negative").sum(), pl.col("simulated").any())
        .with_columns(region_code=pl.lit("ID")))
    out = pl.concat(frames, how="diagonal").with_columns(
        value=100 * pl.col("negative") / pl.col("records"))
    return {"rows_out": out.height}


def task_tps(root: str) -> dict[str, Any]:
    defs = [d for d in DEFINITIONS if d.stream == "tps"]
    out = rollup(lake_files(Path(root)), defs)
    return {"rows_out": out.height}


def _cache(roots: list[str]) -> Path:
    return BENCH_DIR / f"cache-{Path(roots[-1]).name}.parquet"


def task_full(*roots: str) -> dict[str, Any]:
    """The full rollup of every definition before the new month; it fills the cache."""
    cache = _cache(list(roots))
    cache.unlink(missing_ok=True)
    out = rollup(lake_files(*[Path(r) for r in roots[:-1]]), cache=cache)
    return {"rows_out": out.height}


def _refresh(roots: list[str], cached: bool) -> dict[str, Any]:
    files = lake_files(*[Path(r) for r in roots])
    cache = _cache(roots)
    start = time.perf_counter()
    out = rollup(files, years=[REFRESH_YEAR], provs=[REFRESH_PROV],
                 cache=cache if cached else None)
    return {"rows_out": out.height, "inner_seconds": time.perf_counter() - start}


def task_refresh(*roots: str) -> dict[str, Any]:
    return _refresh(list(roots), cached=True)


def task_refresh_nocache(*roots: str) -> dict[str, Any]:
    return _refresh(list(roots), cached=False)


def task_spark(root: str) -> dict[str, Any]:
    from lake.spark import session

    spark = session("local[2]")
    spark.sql("SELECT 1").collect()  # the JVM is up: time the rollup only
    start = time.perf_counter()
    out = rollup(lake_files(Path(root)), [MEDIA_BY_TOPIC_MONTH], engine="spark", session=spark)
    seconds = time.perf_counter() - start
    spark.stop()
    ref = rollup(lake_files(Path(root)), [MEDIA_BY_TOPIC_MONTH])
    key = ["indicator_id", "region_code", "period"]
    return {"rows_out": out.height, "inner_seconds": seconds,
            "matches": out.sort(key).equals(ref.sort(key))}


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    name[5:]: fn for name, fn in globals().items() if name.startswith("task_")}


def run_task(name: str, args: list[str]) -> dict[str, Any]:
    """Run one task in a fresh process tree; return its figures and that tree's peak RSS."""
    command = [sys.executable, "-m", "benchmarks.rollup", "--measure", name, *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_ROOT)
    if done.returncode:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        return {"failed": f"exit {done.returncode}: {tail}", "seconds": float("nan"),
                "peak_rss_mb": float("nan"), "rows_out": 0}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(name: str, args: list[str]) -> None:
    """(In a fresh process) run the task in a child; print its time and the child's RSS."""
    command = [sys.executable, "-m", "benchmarks.rollup", "--task", name, *args]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_ROOT)
    wall = time.perf_counter() - start
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        sys.exit(done.returncode)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_seconds"] = wall
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(figures))


def child(name: str, args: list[str]) -> None:
    """Run the task itself; print its figures (seconds from after the imports)."""
    start = time.perf_counter()
    figures = TASKS[name](*args)
    figures["seconds"] = figures.pop("inner_seconds", time.perf_counter() - start)
    print(json.dumps(figures))


def _verdict(value: float, target: float | None) -> str:
    return "" if target is None else ("PASS" if value <= target else "MISS")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rollup",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000, help="media rows")
    parser.add_argument("--spark-rows", type=int, default=10_000_000,
                        help="media rows for the Spark run (0: skip Spark)")
    parser.add_argument("--only", choices=["media", "tps", "refresh", "spark"],
                        action="append", help="run only these parts (repeatable)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    if args.task:
        child(args.task, rest)
        return 0
    if args.measure:
        measure(args.measure, rest)
        return 0
    parts = set(args.only or ["media", "tps", "refresh", "spark"])
    if not args.spark_rows:
        parts.discard("spark")
    t0 = time.perf_counter()
    print(f"generating (cached under {BENCH_DIR}) ...", file=sys.stderr)
    media = str(make_media(args.rows)) if parts & {"media", "refresh"} else ""
    others = str(make_others())
    print(f"data ready in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    rows: list[dict[str, Any]] = []

    def row(label: str, name: str, task_args: list[str], target: float | None = None,
            note: str = "") -> dict[str, Any]:
        print(f"  {label} ...", file=sys.stderr)
        figures = run_task(name, task_args)
        figures.update(label=label, target_s=target, note=note,
                       verdict=_verdict(figures["seconds"], target))
        if "failed" in figures:
            figures["verdict"] = "FAILED"
            print(figures["failed"], file=sys.stderr)
        rows.append(figures)
        print(f"    {figures['seconds']:.2f} s, {figures['peak_rss_mb']:.0f} MB",
              file=sys.stderr)
        save()
        return figures

    def save() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"rows": args.rows, "spark_rows": args.spark_rows,
                                        "figures": rows}, indent=2))

    mrows = f"{args.rows / 1e6:g}M"
    if "media" in parts:
        base = row(f"media {mrows}: DuckDB GROUP BY finest level (baseline)", "duckdb", [media])
        row(f"media {mrows}: Polars group_by finest level (streaming)", "polars", [media])
        row(f"media {mrows}: Polars rollup desa->nasional", "polars_rollup", [media])
        product = row(f"media {mrows}: product rollup desa->nasional (DuckDB)", "product",
                      [media], target=base["seconds"],
                      note="target (issue 12): no slower than the baseline, peak RSS < 2 GB")
        product["ratio"] = product["seconds"] / base["seconds"]
        if product["verdict"] == "PASS" and product["peak_rss_mb"] >= 2048:
            product["verdict"] = "MISS (RSS)"
        save()
    if "tps" in parts:
        row("TPS 820k x 3 elections, all levels", "tps", [others], target=2.0)
    if "refresh" in parts:
        refresh = str(make_refresh(args.rows))
        row(f"full rollup, every definition (media {mrows} + TPS, ormas, incidents)", "full",
            [others, media, refresh], note="fills the per-province cache")
        row("incremental: one province-month (cache)", "refresh", [others, media, refresh],
            target=1.0, note="all definitions; nasional from the per-province cache")
        row("incremental: one province-month (no cache)", "refresh_nocache",
            [others, media, refresh], note="reads 2024 of every province")
    if "spark" in parts:
        spark_data = str(make_media(args.spark_rows))
        figures = row(f"Spark local[2], media {args.spark_rows / 1e6:g}M", "spark",
                      [spark_data], note="JVM start excluded; must match DuckDB")
        if "failed" not in figures:
            figures["verdict"] = "PASS" if figures["matches"] else "MISS (differs)"
            save()
    print(f"\n{'figure':<58} {'s':>8} {'RSS MB':>8} {'rows out':>10} {'target':>8}  verdict")
    for r in rows:
        target = f"{r['target_s']:.2f}" if r["target_s"] is not None else ""
        print(f"{r['label']:<58} {r['seconds']:>8.2f} {r['peak_rss_mb']:>8.0f}"
              f" {r['rows_out']:>10} {target:>8}  {r['verdict']}")
    print(f"\n(results in {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
