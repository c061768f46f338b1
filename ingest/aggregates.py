"""Rollups of the lake's records into the indicator store, as versioned values.

A rollup (``lake/rollup.py``) computes an indicator's value per region and period from
records; :func:`store_rollup` writes them through the versioned writer
(:func:`ingest.store.write_values`): source kind ``agregat``, or ``simulasi`` where any
record behind a value is simulated (DATA SIMULASI on screen), each with the number of
records it was computed from. A value equal to the stored one is not written again, so
a re-run changes nothing; a value without a denominator (null) is not stored, so a
region without data stays missing. Which value a view shows where several kinds exist is
decided by :data:`queries.indicators.SOURCE_PRIORITY` (published figures win).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, Engine, select

from geodata.registry import level_of
from ingest.store import NewValue, write_values
from lake.rollup import DEFINITIONS, OUTPUT_SCHEMA, rollup
from lake.store import Lake
from queries.provenance import STORED
from queries.schema import indicator, region

#: The rollup output contract: columns and types of a rollup frame.
ROLLUP_SCHEMA = OUTPUT_SCHEMA
RECORDED_BY = "rollup"
SIMULATED_SOURCE = "simulasi"  # the demo's source label of simulated values


class RollupRejectedError(ValueError):
    """A rollup frame that cannot be stored; nothing of it was written."""


@dataclass(frozen=True)
class RollupReport:
    """What :func:`store_rollup` did: versions written, values unchanged, values missing."""

    inserted: int
    corrected: int
    unchanged: int
    missing: int  # rows without a value (zero denominator): not stored


def _check(conn: Connection, frame: pl.DataFrame, definitions: Mapping[str, str]) -> None:
    """Raise :class:`RollupRejectedError` naming what is wrong with ``frame``."""
    missing = [c for c in ROLLUP_SCHEMA if c not in frame.columns]
    if missing:
        raise RollupRejectedError(f"rollup frame lacks columns {', '.join(missing)}")
    for column, dtype in ROLLUP_SCHEMA.items():
        if column != "period" and frame.schema[column] != dtype:
            raise RollupRejectedError(
                f"rollup frame column {column} is {frame.schema[column]}, expected {dtype}")
    if not frame.schema["period"].is_integer():
        raise RollupRejectedError(f"rollup frame column period is {frame.schema['period']},"
                                  " expected an integer type")
    for column in ("indicator_id", "region_code", "level", "period", "records", "simulated"):
        if frame[column].null_count():
            raise RollupRejectedError(f"rollup frame column {column} has missing values")
    if (frame["records"] < 0).any():
        raise RollupRejectedError("rollup frame column records has negative counts")
    ids = set(frame["indicator_id"].unique().to_list())
    undefined = sorted(ids - set(definitions))
    if undefined:
        raise RollupRejectedError(f"no definition hash for indicator(s) {', '.join(undefined)}")
    known = set(conn.scalars(select(indicator.c.id).where(indicator.c.id.in_(sorted(ids)))))
    if ids - known:
        raise RollupRejectedError(
            f"indicator(s) not in the catalogue: {', '.join(sorted(ids - known))}")
    levels = frame.select("region_code", "level").unique()
    unknown = set(levels["region_code"].to_list()) - set(conn.scalars(select(region.c.code)))
    if unknown:
        raise RollupRejectedError(
            f"{len(unknown)} region code(s) not in the region table, e.g. {min(unknown)!r}")
    for code, level in levels.iter_rows():
        if level_of(code) != level:
            raise RollupRejectedError(f"region {code!r} is a {level_of(code)} code, level"
                                      f" says {level}")
    duplicated = frame.select("indicator_id", "region_code", "period").is_duplicated()
    if duplicated.any():
        row = frame.filter(duplicated).row(0, named=True)
        raise RollupRejectedError(f"rollup frame has {row['indicator_id']} {row['region_code']}"
                                  f" {row['period']} more than once")


def store_rollup(conn: Connection, frame: pl.DataFrame, *, snapshot: int,
                 definitions: Mapping[str, str]) -> RollupReport:
    """Store a rollup's values as new versions where they differ from the stored ones.

    Runs inside the caller's transaction (the caller commits all or nothing); a bad
    frame raises before anything is written.

    Parameters
    ----------
    frame
        The rollup output (:data:`ROLLUP_SCHEMA`): one row per indicator, region and
        period; ``value`` null where the denominator is zero.
    snapshot
        The lake snapshot id the rollup read; kept in each new version's provenance.
    definitions
        Definition hash per indicator id, kept in the provenance beside the definition.

    Raises
    ------
    RollupRejectedError
        If a column is missing or mistyped, an indicator has no definition hash or is
        not in the catalogue, a region code is unknown or not of its ``level``, or a
        key is repeated.
    """
    _check(conn, frame, definitions)
    present = frame.filter(pl.col("value").is_not_null())
    publisher = dict(conn.execute(select(indicator.c.id, indicator.c.publisher)).all())
    inserted = corrected = unchanged = 0
    for simulated, kind in ((False, "aggregated"), (True, "simulated")):
        part = present.filter(pl.col("simulated") == simulated)
        values = [
            NewValue(ind, code, int(period), float(value),
                     json.dumps({"lake_snapshot": snapshot, "definition": ind,
                                 "hash": definitions[ind]}, sort_keys=True),
                     records=int(records))
            for ind, code, period, value, records in part.select(
                "indicator_id", "region_code", "period", "value", "records").iter_rows()
        ]
        if not values:
            continue
        ids = {v.indicator_id for v in values}
        source_of = {i: SIMULATED_SOURCE if simulated else publisher[i] for i in ids}
        report = write_values(conn, values, source_kind=STORED[kind], status=STORED[kind],
                              source_of=source_of, recorded_by=RECORDED_BY)
        inserted += report.inserted
        corrected += report.corrected
        unchanged += report.unchanged
    return RollupReport(inserted, corrected, unchanged, frame.height - present.height)


def refresh(engine: Engine, lake: Lake, *, partitions: Iterable[tuple[int, str]] | None = None,
            rollup_engine: str = "duckdb") -> RollupReport:
    """Roll the lake up into the store: all of it, or the (year, prov) partitions given.

    An ingest passes the partitions it rewrote (incremental refresh): only those years
    and provinces are read again, and nasional is recomputed from the rollup's
    per-province cache (``<lake>/cache/rollup.parquet``).
    """
    years = provs = None
    if partitions is not None:
        touched = set(partitions)
        if not touched:
            return RollupReport(0, 0, 0, 0)
        years, provs = {y for y, _ in touched}, {p for _, p in touched}
    snapshot = lake.snapshot()
    cache = lake.root / "cache" / "rollup.parquet"
    cache.parent.mkdir(parents=True, exist_ok=True)
    frame = rollup(lake, engine=rollup_engine, years=years, provs=provs, cache=cache)
    with engine.begin() as conn:
        return store_rollup(conn, frame, snapshot=snapshot.id,
                            definitions={d.id: d.digest for d in DEFINITIONS})
