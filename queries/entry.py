"""Read queries for entered values: the regions an office works on, and completeness."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, func, select

from geodata.registry import LEVELS, Level, Registry
from queries.catalogue import Indicator
from queries.schema import observation

SUBMITTED = ("submitted", "verified")  # statuses that count as submitted
OFFICE_LEVELS: tuple[Level, ...] = ("provinsi", "kabkota")  # levels with a Kesbangpol office
_SCHEMA = {"code": pl.String, "version": pl.Int64, "value": pl.Float64, "status": pl.String,
           "recorded_by": pl.String, "reason": pl.String}


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


def completeness(newest: pl.DataFrame, registry: Registry, ind: Indicator) -> pl.DataFrame:
    """Return, per office level, how many offices submitted and verified a value.

    ``newest`` is :func:`newest_entries` of the indicator and period. Columns: ``level,
    offices, submitted, verified`` for ``provinsi`` and ``kabkota`` (levels the indicator
    is defined at). Submitted counts values submitted or verified.
    """
    rows = []
    for level in OFFICE_LEVELS:
        if LEVELS.index(level) > LEVELS.index(ind.lowest_level):
            continue
        codes = {r.code for r in registry.at_level(level)}
        mine = newest.filter(pl.col("code").is_in(codes))
        rows.append((level, len(codes),
                     mine.filter(pl.col("status").is_in(SUBMITTED)).height,
                     mine.filter(pl.col("status") == "verified").height))
    return pl.DataFrame(rows, schema={"level": pl.String, "offices": pl.Int64,
                                      "submitted": pl.Int64, "verified": pl.Int64},
                        orient="row")


def office_status(newest: pl.DataFrame, registry: Registry, level: Level) -> pl.DataFrame:
    """Return every office of ``level`` with the status of its own region's value.

    ``newest`` is :func:`newest_entries` of the indicator and period.
    """
    regions = pl.DataFrame([(r.code, r.name, r.parent_code) for r in registry.at_level(level)],
                           schema={"code": pl.String, "name": pl.String,
                                   "parent_code": pl.String}, orient="row")
    return regions.join(newest, on="code", how="left", validate="1:1")


def kabkota_progress(newest: pl.DataFrame, registry: Registry) -> pl.DataFrame:
    """Return, per province, how many of its kab/kota offices submitted and verified.

    ``newest`` is :func:`newest_entries` of the indicator and period. Columns: ``code``
    (the province), ``kab_offices``, ``kab_submitted``, ``kab_verified``.
    """
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
