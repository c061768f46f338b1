"""Read queries for entered values: the regions an office works on, and completeness."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import Connection, func, select

from geodata.registry import LEVELS, Level, Registry
from queries.catalogue import Indicator
from queries.schema import observation

SUBMITTED = ("submitted", "verified")  # statuses that count as submitted
OFFICE_LEVELS: tuple[Level, ...] = ("provinsi", "kabkota")  # levels with a Kesbangpol office
_SCHEMA = {"code": pl.String, "version": pl.Int64, "value": pl.Float64, "status": pl.String,
           "recorded_by": pl.String, "reason": pl.String}
_OFFICE = {"code": pl.String, "name": pl.String, "parent_code": pl.String, "level": pl.String}


def newest_entries(conn: Connection, indicator_id: str, period: int) -> pl.DataFrame:
    """Return the newest entered version of every region for one indicator and period.

    A window function, not a join back to a max() subquery: with stale planner
    statistics PostgreSQL ran that subquery once per row (seconds after a few thousand
    versions; found by the load test).
    """
    o = observation.c
    ranked = (
        select(o.region_code, o.version, o.value, o.status, o.recorded_by, o.reason,
               func.row_number().over(partition_by=o.region_code,
                                      order_by=o.version.desc()).label("newest"))
        .where(o.indicator_id == indicator_id, o.period == period, o.source_kind == "entry")
        .subquery()
    )
    c = ranked.c
    rows = conn.execute(select(c.region_code, c.version, c.value, c.status, c.recorded_by,
                               c.reason).where(c.newest == 1)).all()
    return pl.DataFrame(rows, schema=_SCHEMA, orient="row")


def area_regions(registry: Registry, ind: Indicator,
                 root: str | None) -> list[tuple[str, str, str]]:
    """Return (code, name, level) of ``root`` and every region in it, top down.

    Down to the indicator's lowest level; without ``root``, the national figure and the
    provinces (the ministry's list).
    """
    deepest = LEVELS.index(ind.lowest_level)
    if root is None:
        top = [registry.get("ID"), *registry.children("ID")]
        return [(r.code, r.name, r.level) for r in top if LEVELS.index(r.level) <= deepest]
    out: list[tuple[str, str, str]] = []
    stack = [registry.get(root)]
    while stack:
        region = stack.pop(0)
        if LEVELS.index(region.level) > deepest:
            continue
        out.append((region.code, region.name, region.level))
        stack.extend(registry.children(region.code))
    return out


def entry_table(conn: Connection, registry: Registry, ind: Indicator, period: int,
                root: str | None) -> pl.DataFrame:
    """Return the regions of :func:`area_regions` with their newest entered value.

    Columns: ``code, name, level, version, value, status, recorded_by, reason`` (null
    where nothing was entered yet). Who may read ``root`` is decided above the queries:
    callers pass :meth:`auth.scope.Scope.area`.
    """
    regions = pl.DataFrame(area_regions(registry, ind, root),
                           schema={"code": pl.String, "name": pl.String, "level": pl.String},
                           orient="row")
    return regions.join(newest_entries(conn, ind.id, period), on="code", how="left",
                        validate="1:1")


@dataclass(frozen=True)
class Completeness:
    """Which offices submitted and verified their value of one indicator and period."""

    counts: pl.DataFrame
    """Per office level the indicator is defined at (provinsi, kabkota): ``level,
    offices, submitted, verified``; submitted counts values submitted or verified."""
    offices: pl.DataFrame
    """Every office of those levels: ``code, name, parent_code, level`` and its own
    region's newest entry (``version, value, status, recorded_by, reason``, null when
    nothing was entered); where kab/kota are counted, a province's ``kab_offices,
    kab_submitted, kab_verified`` (null for a kab/kota office)."""

    @property
    def levels(self) -> tuple[Level, ...]:
        """Return the office levels counted, top down."""
        return tuple(self.counts["level"].to_list())

    def of_level(self, level: Level) -> pl.DataFrame:
        """Return the offices of one level."""
        return self.offices.filter(pl.col("level") == level)


def completeness(conn: Connection, registry: Registry, ind: Indicator,
                 period: int) -> Completeness:
    """Return the completeness of ``ind`` in ``period``: the page's and the export's.

    Reads the newest entries once (:func:`newest_entries`).
    """
    newest = newest_entries(conn, ind.id, period)
    levels = [level for level in OFFICE_LEVELS
              if LEVELS.index(level) <= LEVELS.index(ind.lowest_level)]
    counts = pl.DataFrame([_count(newest, registry, level) for level in levels],
                          schema={"level": pl.String, "offices": pl.Int64,
                                  "submitted": pl.Int64, "verified": pl.Int64}, orient="row")
    frames = [_office_status(newest, registry, level) for level in levels]
    offices = (pl.concat(frames, how="vertical_relaxed") if frames
               else pl.DataFrame(schema={**_OFFICE, **_SCHEMA}))
    if "kabkota" in levels:  # a province's row counts its kab/kota offices
        offices = offices.join(_kabkota_progress(newest, registry), on="code", how="left",
                               validate="1:1")
    return Completeness(counts, offices)


def _count(newest: pl.DataFrame, registry: Registry, level: Level) -> tuple[str, int, int, int]:
    codes = {r.code for r in registry.at_level(level)}
    mine = newest.filter(pl.col("code").is_in(codes))
    return (level, len(codes), mine.filter(pl.col("status").is_in(SUBMITTED)).height,
            mine.filter(pl.col("status") == "verified").height)


def _office_status(newest: pl.DataFrame, registry: Registry, level: Level) -> pl.DataFrame:
    """Return every office of ``level`` with the status of its own region's value."""
    regions = pl.DataFrame([(r.code, r.name, r.parent_code, level)
                            for r in registry.at_level(level)],
                           schema=_OFFICE, orient="row")
    return regions.join(newest, on="code", how="left", validate="1:1")


def _kabkota_progress(newest: pl.DataFrame, registry: Registry) -> pl.DataFrame:
    """Return, per province (``code``), how many of its kab/kota offices submitted and verified."""
    kabkota = pl.DataFrame([(r.code, r.parent_code) for r in registry.at_level("kabkota")],
                           schema={"code": pl.String, "province": pl.String}, orient="row")
    status = pl.col("status")
    return (kabkota.join(newest.select("code", "status"), on="code",
                         how="left", validate="1:1")
            .group_by("province", maintain_order=True)
            .agg(kab_offices=pl.len().cast(pl.Int64),
                 kab_submitted=status.is_in(SUBMITTED).sum().cast(pl.Int64),
                 kab_verified=(status == "verified").sum().cast(pl.Int64))
            .rename({"province": "code"}))
