"""Read queries: an indicator's values for a level and period, time series, rankings.

All SQL uses bound parameters. Results are Polars frames; a region without a value
has a null ``value`` (never zero). Where values of several kinds exist for the same
indicator, region and period, the first of :data:`SOURCE_PRIORITY` wins (published,
verified entry, computed from records, simulated); within one kind the newest version
wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, func, select

from geodata.registry import MAP_LEVELS, NATIONAL_CODE, Level
from geodata.vintages import provinces_missing, provinces_reshaped, vintage_of
from queries.catalogue import Category, Indicator, category_index
from queries.provenance import stored_kinds, with_provenance
from queries.schema import observation, region, target

# Published figures first, then verified entries of the offices, then values computed
# from records (the lake's rollups), then simulated values (stored source_kind).
SOURCE_PRIORITY = {"published": 0, "entry": 1, "agregat": 2, "simulasi": 3}
# Why a region has no change since a base year, in the order they are decided: no value
# in the period shown, none in the base year, a method break between the two, values of
# different kinds (published, entry, simulated).
CHANGE_REASONS = ("nilai", "dasar", "batas", "metode", "jenis")

_OBS_SCHEMA = {
    "region_code": pl.String, "period": pl.Int64, "value": pl.Float64,
    "source_kind": pl.String, "version": pl.Int64, "source": pl.String, "source_url": pl.String,
    "records": pl.Int64,
}


class QueryError(ValueError):
    """A query asked for something the catalogue does not have."""


def previous_period(ind: Indicator, period: int) -> int | None:
    """Return the indicator's period before ``period`` (the previous election for turnout)."""
    earlier = [p for p in ind.shown_periods if p < period]
    return max(earlier) if earlier else None


def _in_view(query: Select[Any], level: Level, parent: str | None) -> Select[Any]:
    """Limit a query joined to ``region`` to one level, optionally inside ``parent``."""
    query = query.where(region.c.level == level)
    if parent is not None and parent != NATIONAL_CODE:
        query = query.where(region.c.code.like(parent + ".%"))
    return query


def _regions(conn: Connection, level: Level, parent: str | None) -> pl.DataFrame:
    query = _in_view(select(region.c.code, region.c.name, region.c.parent_code), level, parent)
    rows = conn.execute(query.order_by(region.c.code)).all()
    return pl.DataFrame(rows, schema={"code": pl.String, "name": pl.String,
                                      "parent_code": pl.String}, orient="row")


def _observations(conn: Connection, indicator_id: str, periods: list[int], *,
                  simulated: bool, code: str | None = None, level: Level | None = None,
                  parent: str | None = None) -> pl.LazyFrame:
    """Return the winning (source, version) value per region and period.

    Limited to one region (``code``) or to one level, optionally inside ``parent``;
    simulated values only if ``simulated`` (:func:`queries.provenance.stored_kinds`).
    """
    o = observation.c
    query = select(o.region_code, o.period, o.value, o.source_kind, o.version, o.source,
                   o.source_url, o.records, o.status).where(o.indicator_id == indicator_id,
                                                 o.period.in_(periods),
                                                 o.source_kind.in_(stored_kinds(simulated)))
    if code is not None:
        query = query.where(o.region_code == code)
    if level is not None:
        query = _in_view(query.join(region, region.c.code == o.region_code), level, parent)
    frame = pl.DataFrame(conn.execute(query).all(), schema={**_OBS_SCHEMA, "status": pl.String},
                         orient="row")
    keys = ["region_code", "period"]
    return (
        frame.lazy()
        # The newest version of each source; an entry counts once it is verified.
        .sort([*keys, "source_kind", "version"], descending=[False, False, False, True])
        .unique(subset=[*keys, "source_kind"], keep="first", maintain_order=True)
        .filter((pl.col("source_kind") != "entry") | (pl.col("status") == "verified"))
        .with_columns(pl.col("source_kind").replace_strict(SOURCE_PRIORITY).alias("_prio"))
        .sort([*keys, "_prio"])
        .unique(subset=keys, keep="first", maintain_order=True)
        .drop("_prio", "version", "status")
    )


def change_rule(base_value: str, base_kind: str, ind: Indicator, base: int | None,
                period: int) -> tuple[pl.Expr, pl.Expr]:
    """Return the change of ``value`` since the ``base`` period and why there is none.

    The one rule of a change, for the change to the previous period and the change view:
    ``value - base_value`` only between values of one kind (published, entry, simulated),
    of regions whose boundaries stayed the same (:func:`provinces_reshaped`) and not across
    a method break; else null, and the reason is one of :data:`CHANGE_REASONS`.

    Returns
    -------
    tuple of polars.Expr
        The change and the reason (null where there is a change).
    """
    reason = (pl.when(pl.col("value").is_null()).then(pl.lit("nilai"))
              .when(pl.col(base_value).is_null()).then(pl.lit("dasar"))
              .when(pl.col("code").is_in(provinces_reshaped(base, period))).then(pl.lit("batas"))
              .when(pl.lit(ind.break_between(base, period) is not None)).then(pl.lit("metode"))
              .when(pl.col("source_kind") != pl.col(base_kind)).then(pl.lit("jenis")))
    return pl.when(reason.is_null()).then(pl.col("value") - pl.col(base_value)), reason


def _with_category(frame: pl.LazyFrame, categories: Sequence[Category],
                   lang: str) -> pl.LazyFrame:
    """Add each value's official category: ``category_index`` and its ``category`` label."""
    position = pl.col("value").map_batches(
        lambda values: pl.Series(category_index(values.to_numpy(), categories), dtype=pl.Int32),
        return_dtype=pl.Int32)
    labels = {pos: cat.label(lang) for pos, cat in enumerate(categories)}
    return frame.with_columns(category_index=pl.when(position >= 0).then(position)).with_columns(
        category=pl.col("category_index").replace_strict(labels, default=None,
                                                         return_dtype=pl.String))


def _with_rank(frame: pl.LazyFrame, ind: Indicator) -> pl.LazyFrame:
    best_first = ind.direction != "higher_worse"
    return frame.with_columns(
        rank=pl.col("value").rank("min", descending=best_first).over("parent_code").cast(pl.Int32),
        siblings=pl.col("value").count().over("parent_code").cast(pl.Int32),
    )


def indicator_values(
    conn: Connection,
    ind: Indicator,
    level: Level,
    period: int,
    parent: str | None = None,
    lang: str = "id",
    *,
    simulated: bool = True,
) -> pl.DataFrame:
    """Values of one indicator for every region of ``level`` (optionally within ``parent``).

    Without ``simulated``, simulated values are not read: their regions are missing.
    Desa values exist only as rollups of records (:mod:`lake`), below any indicator's
    catalogued lowest level: every indicator may be asked at ``desa``, and a desa
    without a rolled-up value is missing.

    Returns
    -------
    polars.DataFrame
        One row per region that existed in ``period`` (34 provinces before the 2022
        Papua split, :mod:`geodata.vintages`), sorted by code: ``code, name, parent_code,
        value, source_kind, source, source_url, records, kind, simulated, provenance,
        category, category_index, rank, siblings, previous_period, previous_value, change,
        change_reason`` (``kind`` and ``provenance``:
        :func:`queries.provenance.with_provenance`). ``rank`` is among siblings (same
        parent), 1 = best given the indicator's direction; regions without a value have
        null value, category and rank. ``change`` follows :func:`change_rule`; where it is
        null, ``change_reason`` says why.
    """
    if level not in ind.levels() and level != "desa":
        raise QueryError(f"{ind.id} is not defined at level {level} (lowest: {ind.lowest_level})")
    regions = _regions(conn, level, parent)
    if level == "provinsi":  # the provinces of the period's boundaries
        regions = regions.filter(~pl.col("code").is_in(provinces_missing(vintage_of(period))))
    prev = previous_period(ind, period)
    periods = [period] if prev is None else [period, prev]
    obs = _observations(conn, ind.id, periods, simulated=simulated, level=level, parent=parent)
    return _assemble(regions, obs, ind, period, prev, lang)


def empty_values(conn: Connection, ind: Indicator, level: Level, parent: str | None = None,
                 lang: str = "id") -> pl.DataFrame:
    """Return the frame of :func:`indicator_values` with every value missing.

    For a layer without any period with values: the regions are drawn, as missing.
    """
    obs = pl.DataFrame(schema=_OBS_SCHEMA).lazy()
    return _assemble(_regions(conn, level, parent), obs, ind, 0, None, lang)


def _assemble(regions: pl.DataFrame, obs: pl.LazyFrame, ind: Indicator, period: int,
              prev: int | None, lang: str) -> pl.DataFrame:
    current = obs.filter(pl.col("period") == period).drop("period")
    change, reason = change_rule("previous_value", "_previous_kind", ind, prev, period)
    before = (obs.filter(pl.col("period") == prev) if prev is not None else obs.clear()).select(
        pl.col("region_code"), pl.col("value").alias("previous_value"),
        pl.col("source_kind").alias("_previous_kind"))
    result = (
        regions.lazy()
        .join(current, left_on="code", right_on="region_code", how="left", validate="1:1")
        .join(before, left_on="code", right_on="region_code", how="left", validate="1:1")
        .pipe(with_provenance, lang)
        .with_columns(
            previous_period=pl.lit(prev, dtype=pl.Int64), change=change, change_reason=reason,
        )
        .drop("_previous_kind")
        .pipe(_with_category, ind.categories_for(period), lang)
        .pipe(_with_rank, ind)
        .sort("code")
    )
    return result.collect()


def time_series(conn: Connection, ind: Indicator, code: str, lang: str = "id", *,
                simulated: bool = True) -> pl.DataFrame:
    """Return one region's values over all periods.

    Columns ``period, value, source_kind, source, source_url, records, kind, simulated,
    provenance``; without ``simulated``, no simulated value.
    """
    obs = _observations(conn, ind.id, list(ind.shown_periods), simulated=simulated, code=code)
    return (
        obs.select("period", "value", "source_kind", "source", "source_url", "records")
        .pipe(with_provenance, lang)
        .sort("period")
        .collect()
    )


def ranking(conn: Connection, ind: Indicator, parent: str, level: Level, period: int,
            lang: str = "id", *, simulated: bool = True) -> pl.DataFrame:
    """Return the children of ``parent`` at ``level`` ordered best first, missing last."""
    values = indicator_values(conn, ind, level, period, parent, lang, simulated=simulated)
    return values.sort(["rank", "code"], nulls_last=True)


def latest_period(conn: Connection, ind: Indicator, level: Level, *,
                  simulated: bool = True) -> int | None:
    """Return the newest period with at least one value at ``level``, or None.

    Without ``simulated``, simulated values do not count.
    """
    o = observation.c
    found = conn.scalar(select(func.max(o.period)).join(region, region.c.code == o.region_code)
                        .where(o.indicator_id == ind.id, region.c.level == level,
                               o.source_kind.in_(stored_kinds(simulated))))
    return None if found is None else int(found)


def observed_periods(conn: Connection) -> dict[str, tuple[int, ...]]:
    """Return the years with at least one stored value, per indicator id.

    Every kind counts (published, entered, simulated): whatever a view can show makes
    its year reachable (:attr:`queries.catalogue.Indicator.shown_periods`).
    """
    o = observation.c
    found: dict[str, list[int]] = {}
    for ind_id, period in conn.execute(select(o.indicator_id, o.period).distinct()):
        found.setdefault(ind_id, []).append(int(period))
    return {k: tuple(sorted(v)) for k, v in found.items()}


def data_levels(conn: Connection, ind: Indicator) -> tuple[Level, ...]:
    """Return the map levels the indicator has values at, coarsest first.

    The one rule of which levels the map, its level buttons, drill-down, URL and exports
    offer: ``provinsi`` (the national map) always, and ``kabkota`` and ``kecamatan`` where
    at least one region of that level has a published value, a verified entry or a
    labelled simulated value, in any period, and the catalogue defines the indicator there.
    """
    o = observation.c
    found: list[Level] = []
    for level in MAP_LEVELS:
        if level not in ind.levels():
            break
        hit = conn.execute(
            select(o.id).join(region, region.c.code == o.region_code)
            .where(o.indicator_id == ind.id, region.c.level == level,
                   (o.source_kind != "entry") | (o.status == "verified"))
            .limit(1)
        ).first()
        if hit is not None or level == "provinsi":
            found.append(level)
    return tuple(found)


def targets(conn: Connection, indicator_id: str, code: str = NATIONAL_CODE) -> pl.DataFrame:
    """Return the newest version of each target: ``period, target_low, target_high, source_url``."""
    t = target.c
    rows = conn.execute(
        select(t.period, t.target_low, t.target_high, t.source_url, t.version)
        .where(t.indicator_id == indicator_id, t.region_code == code)
    ).all()
    frame = pl.DataFrame(rows, schema={"period": pl.Int64, "target_low": pl.Float64,
                                       "target_high": pl.Float64, "source_url": pl.String,
                                       "version": pl.Int64}, orient="row")
    return (frame.sort(["period", "version"], descending=[False, True])
            .unique(subset="period", keep="first", maintain_order=True).drop("version"))


def data_version(conn: Connection) -> int:
    """Return the newest observation id: it changes whenever a value is written."""
    return int(conn.scalar(select(func.coalesce(func.max(observation.c.id), 0))) or 0)
