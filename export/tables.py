"""The exported tables: the pages' own queries, as :class:`~export.files.Table` with titles.

Each function reads with the same query as its page and returns the frame with the
columns a report writer needs, headers in the interface language, and title lines
naming the indicator, period, sources and export time. Region scope is checked here,
below the web layer: :func:`entry_export` raises :class:`~auth.scope.ScopeError` for a
region outside the account's scope.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Connection

from auth.audit import audit_entries
from auth.scope import Scope
from export.files import Column, Table, filename
from geodata.registry import NATIONAL_CODE, Level, Registry
from i18n import Message, format_number, t
from lake.streams import STREAMS
from queries.catalogue import Indicator
from queries.entry import completeness, entry_table
from queries.indicators import CHANGE_REASONS, indicator_values, latest_period
from queries.mapview import MapData, View, map_data, region_values
from queries.params import ParameterError
from queries.provenance import kind_label
from queries.records import (
    MAX_EXPORT_ROWS,
    RecordLake,
    Selection,
    records_count,
    records_frames,
)

STATUSES = ("draft", "submitted", "verified", "rejected", "withdrawn")
MAX_AUDIT_ROWS = 100_000


def stamp(now: datetime) -> str:
    """Return an export time for a title line, in UTC: ``2026-05-04 09:30``."""
    return now.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _exported(now: datetime, lang: str) -> str:
    return t("export.meta.exported", lang, time=stamp(now))


def _indicator_line(ind: Indicator, lang: str) -> str:
    return t("export.meta.indicator", lang, name=ind.name(lang), short=ind.short_name,
             unit=ind.unit(lang))


def _sources(frame: pl.DataFrame) -> list[str]:
    real = frame.filter(pl.col("value").is_not_null() & ~pl.col("simulated"))
    return sorted(s for s in real["source"].unique().to_list() if s)


def _region_table(frame: pl.DataFrame, ind: Indicator, period: int | None, lang: str, *,
                  name: str, title: str, area: str, now: datetime,
                  extra: tuple[Column, ...] = (), notes: tuple[str, ...] = ()) -> Table:
    """Build the table of one indicator's values per region (map view and /tabel).

    ``frame`` is :func:`~queries.indicators.indicator_values` plus a ``level`` column.
    """
    simulated = pl.col("simulated").fill_null(False)
    rows = frame.with_columns(
        indicator=pl.lit(ind.short_name),
        year=pl.lit(period, dtype=pl.Int64),
        unit=pl.lit(ind.unit(lang)),
        simulated_text=pl.when(pl.col("value").is_null()).then(None)
        .when(simulated).then(pl.lit(t("export.yes", lang)))
        .otherwise(pl.lit(t("export.no", lang))),
        kind_text=kind_label("kind", lang),
        source_text=pl.col("provenance"),
    )
    previous = frame["previous_period"].drop_nulls()
    change = (t("export.col.change_from", lang, period=previous[0]) if previous.len()
              else t("col.change", lang))
    columns = (
        Column("indicator", t("peta.indicator", lang)),
        Column("year", t("peta.year", lang)),
        Column("level", t("peta.level", lang)),
        Column("code", t("col.code", lang)),
        Column("name", t("isian.region", lang)),
        Column("value", t("col.value", lang), ind.decimals),
        Column("unit", t("export.col.unit", lang)),
        Column("category", t("col.category", lang)),
        Column("rank", t("col.rank", lang)),
        Column("siblings", t("export.col.siblings", lang)),
        Column("change", change, ind.decimals),
        *extra,
        Column("records", t("export.col.records", lang)),
        Column("kind_text", t("export.col.kind", lang)),
        Column("simulated_text", t("export.col.simulated", lang)),
        Column("source_text", t("col.source", lang)),
        Column("source_url", t("export.col.source_url", lang)),
    )
    any_simulated = bool(frame["simulated"].fill_null(False).any())
    sources = _sources(frame)
    meta = (
        _indicator_line(ind, lang),
        t("export.meta.period", lang, period=period if period is not None else "–"),
        t("export.meta.area", lang, area=area),
        t("export.meta.sources", lang, sources=", ".join(sources) if sources else "–"),
        t("export.meta.published", lang),
        *notes,
        _exported(now, lang),
    )
    warning = f"{t('simulated', lang)}: {t('simulated.note', lang)}" if any_simulated else None
    return Table(name=name, title=title, columns=columns, frame=rows, meta=meta,
                 warning=warning)


def map_name(data: MapData) -> str:
    """Return the file name stem of a map export, naming its view.

    ``mata-garuda_idi_2024_provinsi`` for values, ``..._perubahan-2019`` for the change
    since 2019.
    """
    view = f"perubahan-{data.base or ''}" if data.shown == "change_since" else None
    return filename(data.indicator.id, data.period, data.layer.level, data.layer.parent, view)


def map_export(conn: Connection, view: View, registry: Registry,
               catalogue: Mapping[str, Indicator], now: datetime, lang: str = "id", *,
               demo: bool = True) -> Table:
    """Return the regions the map shows for ``view``, as the map computes them.

    Only what the map shows: published figures, verified entries and (labelled)
    simulated values, these only with ``demo`` and without ``view.resmi``; drafts never.
    The region in focus (the nation, a province, a kab/kota), whose figure the side panel
    shows, is the first row. With ``tampil=perubahan`` the change since the base year is a
    column too; a last column says why a change is missing.
    """
    data: MapData = map_data(conn, view, registry, catalogue, lang, demo=demo)
    ind, layer = data.indicator, data.layer
    frame = data.frame.with_columns(level=pl.lit(layer.level))
    if layer.selected is None and data.period is not None:
        own = region_values(conn, data, view.kode, lang)
        frame = pl.concat([own, frame], how="diagonal_relaxed") if own.height else frame
    reasons = {r: data.reason_text(r, lang) for r in CHANGE_REASONS}
    frame = frame.with_columns(change_reason_text=pl.col(data.reason_column).replace_strict(
        reasons, default=None, return_dtype=pl.String))
    since = () if data.shown != "change_since" else (
        Column("change_since", t("peta.tt.change_since", lang, base=data.base or "–"),
               ind.decimals),)
    extra = (*since, Column("change_reason_text", t("export.col.no_change", lang)))
    notes = tuple(data.notes(lang))
    parent = layer.parent or NATIONAL_CODE
    area = f"{registry.name(parent)} · {t(f'peta.level.{layer.level}', lang)}"
    return _region_table(
        frame, ind, data.period, lang, extra=extra, notes=notes, now=now, area=area,
        name=map_name(data),
        title=t("export.title.peta", lang, indicator=ind.short_name,
                period=data.period or "", area=registry.name(view.kode)),
    )


def province_export(conn: Connection, ind: Indicator, period: int | None, now: datetime,
                    lang: str = "id", *, demo: bool = True) -> Table:
    """Return the national figure and every province for ``period`` (default: the latest).

    The table of ``/tabel``, with the national value as its first row; simulated values
    only with ``demo``.
    """
    period = period if period is not None else latest_period(conn, ind, "provinsi",
                                                             simulated=demo)
    if period is None:
        empty = indicator_values(conn, ind, "provinsi", ind.periods[-1], lang=lang,
                                 simulated=demo).clear()
        frames = [empty.with_columns(level=pl.lit("provinsi"))]
    else:
        frames = [indicator_values(conn, ind, level, period, lang=lang, simulated=demo)
                  .with_columns(level=pl.lit(level)) for level in ("nasional", "provinsi")]
    frame = pl.concat(frames, how="vertical_relaxed")
    return _region_table(
        frame, ind, period, lang, now=now, area=t("export.meta.provinces", lang),
        name=filename(ind.id, period, "provinsi"),
        title=f"{t('tabel.title', lang)} {period or ''}".strip(),
    )


def _status_text(column: str, lang: str, missing: str | None = None) -> pl.Expr:
    labels = {s: t(f"status.{s}", lang) for s in STATUSES}
    return (pl.col(column).replace(labels) if missing is None
            else pl.col(column).replace(labels).fill_null(missing))


def _scope_line(scope: Scope, registry: Registry, lang: str) -> str:
    region = registry.name(scope.region) if scope.region else registry.name(NATIONAL_CODE)
    return t("export.meta.scope", lang, role=t(f"role.{scope.role}", lang), region=region)


def entry_export(conn: Connection, registry: Registry, scope: Scope, ind: Indicator,
                 period: int, now: datetime, kode: str | None = None,
                 lang: str = "id") -> Table:
    """Return the entry table of ``/isian`` for the account's scope, optionally one region.

    ``kode`` limits the table to that region and everything in it.

    Raises
    ------
    auth.scope.ScopeError
        If ``kode`` is outside the scope.
    """
    frame = entry_table(conn, registry, ind, period, scope.area(kode, "export"))
    rows = frame.with_columns(indicator=pl.lit(ind.short_name),
                              year=pl.lit(period, dtype=pl.Int64),
                              status_text=_status_text("status", lang))
    columns = (
        Column("indicator", t("peta.indicator", lang)),
        Column("year", t("peta.year", lang)),
        Column("code", t("col.code", lang)),
        Column("name", t("isian.region", lang)),
        Column("level", t("peta.level", lang)),
        Column("value", t("isian.current", lang), ind.decimals),
        Column("status_text", t("isian.status", lang)),
        Column("version", t("isian.version", lang)),
        Column("recorded_by", t("export.col.recorded_by", lang)),
        Column("reason", t("isian.reason", lang)),
    )
    meta = (
        _indicator_line(ind, lang),
        t("export.meta.period", lang, period=period),
        _scope_line(scope, registry, lang),
        *([t("export.meta.area", lang, area=f"{registry.name(kode)} ({kode})")] if kode else []),
        t("export.meta.entries", lang),
        _exported(now, lang),
    )
    return Table(name=filename("isian", ind.id, period, kode or scope.region or NATIONAL_CODE),
                 title=f"{t('isian.title', lang)}: {ind.short_name} {period}",
                 columns=columns, frame=rows, meta=meta)


def completeness_export(conn: Connection, registry: Registry, ind: Indicator, period: int,
                        now: datetime, lang: str = "id", level: Level | None = None) -> Table:
    """Return every office's status for an indicator and period (``/kelengkapan``).

    Offices of both levels (provinsi, kab/kota), or of ``level`` only.
    """
    found = completeness(conn, registry, ind, period)
    with_kabkota = "kabkota" in found.levels
    counts, frame = found.counts, found.offices
    if level is not None:
        counts, frame = counts.filter(pl.col("level") == level), found.of_level(level)
    rows = frame.with_columns(indicator=pl.lit(ind.short_name),
                              year=pl.lit(period, dtype=pl.Int64),
                              status_text=_status_text("status", lang,
                                                       t("kelengkapan.none", lang)))
    columns = (
        Column("indicator", t("peta.indicator", lang)),
        Column("year", t("peta.year", lang)),
        Column("level", t("peta.level", lang)),
        Column("code", t("col.code", lang)),
        Column("name", t("kelengkapan.office", lang)),
        Column("status_text", t("isian.status", lang)),
        Column("version", t("isian.version", lang)),
        Column("value", t("isian.current", lang), ind.decimals),
        Column("recorded_by", t("kelengkapan.by", lang)),
        *((Column("kab_offices", t("export.col.kab_offices", lang)),
           Column("kab_submitted", t("kelengkapan.kab", lang)),
           Column("kab_verified", t("export.col.kab_verified", lang))) if with_kabkota else ()),
    )
    summary = tuple(
        f"{t('peta.level.' + r['level'], lang)}: "
        f"{t('kelengkapan.count', lang, n=r['submitted'], total=r['offices'])}, "
        f"{t('kelengkapan.verified', lang, n=r['verified'])}"
        for r in counts.iter_rows(named=True))
    meta = (_indicator_line(ind, lang), t("export.meta.period", lang, period=period), *summary,
            _exported(now, lang))
    return Table(name=filename("kelengkapan", ind.id, period, level),
                 title=f"{t('kelengkapan.title', lang)}: {ind.short_name} {period}",
                 columns=columns, frame=rows, meta=meta)


def _naive_utc(at: datetime) -> datetime:
    """SQLite gives naive datetimes (stored in UTC), PostgreSQL aware ones."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def audit_export(conn: Connection, now: datetime, lang: str = "id",
                 limit: int = MAX_AUDIT_ROWS) -> Table:
    """Return the newest ``limit`` audit log entries, newest first (``/audit``)."""
    entries = audit_entries(conn, limit=limit)
    frame = pl.DataFrame(
        [{**e, "at": _naive_utc(e["at"])} for e in entries],  # type: ignore[arg-type]
        schema={"id": pl.Int64, "at": pl.Datetime("us"), "username": pl.String,
                "action": pl.String, "target": pl.String, "detail": pl.String,
                "remote_addr": pl.String})
    columns = (
        Column("at", t("audit.at", lang)),
        Column("username", t("audit.user", lang)),
        Column("action", t("audit.action", lang)),
        Column("target", t("audit.target", lang)),
        Column("detail", t("audit.detail", lang)),
        Column("remote_addr", "IP"),
    )
    meta = (t("export.meta.audit", lang, n=frame.height), _exported(now, lang))
    return Table(name=filename("audit", now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")),
                 title=t("audit.title", lang), columns=columns, frame=frame, meta=meta)


@dataclass(frozen=True)
class RecordsExport:
    """The records of a selection, ready to stream: file name, columns, frames, count."""

    name: str
    columns: tuple[Column, ...]
    frames: Iterator[pl.DataFrame]
    total: int


def records_export(lake: RecordLake, scope: Scope, selection: Selection,
                   provinces: Sequence[str], lang: str = "id") -> RecordsExport:
    """Return the records of ``selection`` (the records page's), every stored column.

    Raises
    ------
    auth.scope.ScopeError
        If the region is outside ``scope``.
    queries.params.ParameterError
        If the selection has more records than a spreadsheet holds
        (:data:`queries.records.MAX_EXPORT_ROWS`): a smaller region is asked for.
    """
    s = selection
    scope.require(scope.covers(s.wilayah), "export the records of", s.wilayah)
    total = records_count(lake, s.aliran, s.wilayah, s.tahun, provinces=provinces,
                          election=s.pemilu)
    if total > MAX_EXPORT_ROWS:
        raise ParameterError("wilayah", s.wilayah, Message(
            "catatan.too_many", limit=format_number(MAX_EXPORT_ROWS, 0, lang)))
    columns = tuple(Column(name, t(f"catatan.col.{name}", lang))
                    for name in STREAMS[s.aliran].schema)
    return RecordsExport(filename("catatan", s.aliran, s.pemilu, s.wilayah, s.tahun), columns,
                         records_frames(lake, s.aliran, s.wilayah, s.tahun,
                                        provinces=provinces, election=s.pemilu), total)
