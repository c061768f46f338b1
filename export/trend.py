"""The side panel's trend chart as a report image (PNG, SVG, PDF) and as a table (CSV, XLSX).

What the panel's sparkline shows (:attr:`queries.mapview.Summary.series`): the region's
value per period against the national line (the national line alone for Indonesia),
missing periods as gaps (never zero), simulated points hollow, the national target of
the view's year as a dashed line, methodology breaks as dotted lines. The page frame
(title, DATA SIMULASI box, sources, footer) is the map image's (:mod:`export.image`).

In an SVG the texts stay text and the drawn series carry ids: ``trend-line-<who>`` (the
line), ``trend-points-<who>`` (published points), ``trend-simulated-<who>`` (hollow
simulated points), with ``<who>`` ``region`` or ``national``; ``trend-target`` and
``trend-break-<period>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter
from sqlalchemy import Connection

from export.files import Column, ImageFormat, Table, filename
from export.image import (
    MUTED,
    PAGE,
    body_box,
    draw_frame,
    new_page,
    save,
)
from export.tables import stamp
from geodata.registry import NATIONAL_CODE, Registry
from i18n import format_number, t
from queries.catalogue import Indicator
from queries.indicators import targets
from queries.mapview import MapData, Summary, View, map_data, summary

REGION_COLOR: Final = "#364fc7"  # the sparkline's (components/sparkline.py)
NATIONAL_COLOR: Final = "#868e96"
TARGET_COLOR: Final = "#e8590c"
BREAK_COLOR: Final = "#495057"
GRID: Final = "#e9ecef"


@dataclass(frozen=True)
class Trend:
    """One region's series against the national one, as the side panel shows it."""

    data: MapData
    summary: Summary
    targets: pl.DataFrame  # period, target_low, target_high: the national targets

    @property
    def indicator(self) -> Indicator:
        """Return the indicator."""
        return self.data.indicator

    @property
    def national_only(self) -> bool:
        """Return whether the region is Indonesia (one line only)."""
        return self.summary.code == NATIONAL_CODE

    def frame(self) -> pl.DataFrame:
        """Return one row per period from the first to the last with a value.

        Columns of :attr:`~queries.mapview.Summary.series` plus ``target_low`` and
        ``target_high``; periods of the indicator without any value are rows of nulls, so
        a gap stays a gap.
        """
        series = self.summary.series
        present = series.filter(pl.col("value").is_not_null()
                                | pl.col("national").is_not_null())["period"]
        periods = sorted(set(self.indicator.periods) | set(series["period"].to_list()))
        if present.len():
            periods = [p for p in periods if present.min() <= p <= present.max()]  # type: ignore[operator]
        grid = pl.DataFrame({"period": periods}, schema={"period": pl.Int64})
        return (grid.join(series.with_columns(pl.col("period").cast(pl.Int64)), on="period",
                          how="left", validate="1:1")
                .join(self.targets.select("period", "target_low", "target_high")
                      .with_columns(pl.col("period").cast(pl.Int64)),
                      on="period", how="left", validate="1:1"))

    def years(self) -> str:
        """Return the periods covered: ``2015–2024``, one year, or ``–`` without values."""
        frame = self.frame().filter(pl.col("value").is_not_null()
                                    | pl.col("national").is_not_null())
        if frame.is_empty():
            return "–"
        first, last = frame["period"].to_list()[0], frame["period"].to_list()[-1]
        return str(first) if first == last else f"{first}–{last}"

    def any_simulated(self) -> bool:
        """Return whether any value drawn is simulated."""
        frame = self.frame()
        region = frame.filter(pl.col("value").is_not_null())["simulated"].fill_null(False)
        national = frame.filter(pl.col("national").is_not_null())["national_simulated"]
        return bool(region.any() or national.fill_null(False).any())

    def sources(self) -> list[str]:
        """Return the publishers of the real (not simulated) values drawn."""
        frame = self.frame()
        found = set(frame.filter(pl.col("value").is_not_null() & ~pl.col("simulated"))
                    ["source"].drop_nulls().to_list())
        found |= set(frame.filter(pl.col("national").is_not_null()
                                  & ~pl.col("national_simulated"))
                     ["national_source"].drop_nulls().to_list())
        return sorted(s for s in found if s)

    def breaks(self) -> list[tuple[int, str, str]]:
        """Return the methodology breaks inside the periods drawn: period, note id, note en."""
        periods = self.frame()["period"]
        if periods.is_empty():
            return []
        return [(b.period, b.note_id, b.note_en) for b in self.indicator.breaks
                if periods.min() < b.period <= periods.max()]  # type: ignore[operator]


def trend(conn: Connection, view: View, registry: Registry,
          catalogue: Mapping[str, Indicator], lang: str = "id", *, demo: bool = True) -> Trend:
    """Compute the trend of ``view``'s region with the map page's own queries.

    ``demo`` and ``view.resmi`` decide whether simulated values are read (:func:`map_data`).
    """
    data = map_data(conn, view, registry, catalogue, lang, demo=demo)
    return Trend(data, summary(conn, data, registry, lang), targets(conn, data.indicator.id))


def title_text(tr: Trend, lang: str) -> str:
    """Return ``Tren IDI 2015–2024 · Jawa Barat`` (``IDI trend 2015–2024 · Jawa Barat``)."""
    return t("export.trend.title", lang, indicator=tr.indicator.short_name, years=tr.years(),
             area=tr.summary.name)


def trend_name(tr: Trend) -> str:
    """Return the file name stem, e.g. ``mata-garuda_idi_tren_32``."""
    return filename(tr.indicator.id, "tren", tr.summary.code)


# ------------------------------------------------------------------------------- table


def trend_table(tr: Trend, now: datetime, lang: str = "id") -> Table:
    """Return the trend as a table: one row per year, the region's and the national values.

    Columns: year, the region's value, source (DATA SIMULASI for a simulated value) and
    simulated flag, the number of records each value was computed from when any was,
    then the national value and flag (not for Indonesia itself), then the national
    target of the year when the indicator has one in the years covered.
    Missing values are empty cells, never zero.
    """
    ind = tr.indicator
    yes, no = t("export.yes", lang), t("export.no", lang)

    def flag(value: str, simulated: str) -> pl.Expr:
        return (pl.when(pl.col(value).is_null()).then(None)
                .when(pl.col(simulated).fill_null(False)).then(pl.lit(yes))
                .otherwise(pl.lit(no)))

    frame = tr.frame().with_columns(
        simulated_text=flag("value", "simulated"),
        source_text=pl.when(pl.col("value").is_not_null()).then(pl.col("provenance")),
        national_simulated_text=flag("national", "national_simulated"),
    )
    name = tr.summary.name
    columns = [
        Column("period", t("peta.year", lang)),
        Column("value", t("export.trend.col.value", lang, name=name), ind.decimals),
        Column("source_text", t("col.source", lang)),
        Column("simulated_text", t("export.trend.col.simulated", lang, name=name)),
    ]
    if frame["records"].is_not_null().any():
        columns.append(Column("records", t("export.col.records", lang)))
    if not tr.national_only:
        national = t("peta.kpi.national", lang)
        columns += [Column("national", t("export.trend.col.value", lang, name=national),
                           ind.decimals),
                    Column("national_simulated_text",
                           t("export.trend.col.simulated", lang, name=national))]
    with_target = frame["target_low"].is_not_null().any()
    if with_target:
        ranges = frame.filter(pl.col("target_low") != pl.col("target_high")).height
        columns += ([Column("target_low", t("export.trend.col.target_low", lang), ind.decimals),
                     Column("target_high", t("export.trend.col.target_high", lang),
                            ind.decimals)] if ranges else
                    [Column("target_low", t("peta.kpi.target", lang), ind.decimals)])
    sources = tr.sources()
    meta = (
        t("export.meta.indicator", lang, name=ind.name(lang), short=ind.short_name,
          unit=ind.unit(lang)),
        t("export.meta.period", lang, period=tr.years()),
        t("export.meta.area", lang, area=f"{name} ({tr.summary.code})"),
        t("export.meta.sources", lang, sources=", ".join(sources) if sources else "–"),
        t("export.meta.published", lang),
        *([t("export.trend.meta.target", lang)] if with_target else []),
        *(t("export.trend.break_note", lang, period=p, note=en if lang == "en" else id_)
          for p, id_, en in tr.breaks()),
        t("export.meta.exported", lang, time=stamp(now)),
    )
    warning = (f"{t('simulated', lang)}: {t('simulated.note', lang)}" if tr.any_simulated()
               else None)
    return Table(name=trend_name(tr), title=title_text(tr, lang), columns=tuple(columns),
                 frame=frame, meta=meta, warning=warning)


# ------------------------------------------------------------------------------- image


def _points(ax: Axes, periods: list[int], values: list[float | None],
            simulated: list[bool | None], color: str, who: str) -> None:
    """Draw a series: the line (broken at missing periods), filled and hollow points."""
    ys = [math.nan if v is None else v for v in values]
    ax.plot(periods, ys, color=color, linewidth=2.2, solid_capstyle="round",
            gid=f"trend-line-{who}", zorder=3)
    real = [(p, v) for p, v, s in zip(periods, values, simulated, strict=True)
            if v is not None and not s]
    fake = [(p, v) for p, v, s in zip(periods, values, simulated, strict=True)
            if v is not None and s]
    if real:
        ax.plot(*zip(*real, strict=True), linestyle="none", marker="o", markersize=6.5,
                color=color, gid=f"trend-points-{who}", zorder=4)
    if fake:
        ax.plot(*zip(*fake, strict=True), linestyle="none", marker="o", markersize=6.5,
                markerfacecolor="white", markeredgecolor=color, markeredgewidth=1.8,
                gid=f"trend-simulated-{who}", zorder=4)


def _decimals(ticks: list[float]) -> int:
    """Return the fewest decimals that write every tick exactly (at most 3)."""
    return next((d for d in range(3) if all(abs(round(v, d) - v) < 1e-9 for v in ticks)), 3)


def _limits(tr: Trend, values: list[float]) -> tuple[float, float]:
    """Return the y range: the values and the target, padded, within the indicator's scale."""
    ind = tr.indicator
    low, high = min(values), max(values)
    # At least a tenth of the values' size: 81.8 against 81.9 is not drawn as a plunge.
    least = max(0.1 * max(abs(low), abs(high)), 1.0)
    if high - low < least:
        middle = (low + high) / 2
        low, high = middle - least / 2, middle + least / 2
    pad = (high - low) * 0.12
    low, high = low - pad, high + pad
    if ind.scale_min is not None:
        low = max(low, ind.scale_min)
    if ind.scale_max is not None:
        high = min(high, ind.scale_max)
    return low, high


def _legend(ax: Axes, tr: Trend, lang: str, simulated: bool) -> None:
    handles = []
    if not tr.national_only:
        handles.append(Line2D([], [], color=REGION_COLOR, linewidth=2.2, marker="o",
                              label=tr.summary.name))
    handles.append(Line2D([], [], color=NATIONAL_COLOR, linewidth=2.2, marker="o",
                          label=t("peta.kpi.national", lang) if not tr.national_only
                          else tr.summary.name))
    if simulated:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=6.5,
                              markerfacecolor="white", markeredgecolor=MUTED,
                              markeredgewidth=1.8, label=t("export.trend.simulated", lang)))
    if tr.summary.target is not None:
        handles.append(Line2D([], [], color=TARGET_COLOR, linewidth=1.5, linestyle="--",
                              label=t("peta.kpi.target", lang)))
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.01), ncols=len(handles),
              frameon=False, fontsize=10, handlelength=2.4, borderaxespad=0)


def _draw(fig: Figure, tr: Trend, lang: str) -> None:
    """Draw the chart in the page's body."""
    ind, frame = tr.indicator, tr.frame()
    width, height = PAGE
    body = body_box()
    left, bottom, top, right = 1.0, 0.55, 0.55, 0.25  # inches for ticks, labels, legend
    ax = fig.add_axes(((body.x + left) / width, (body.y + bottom) / height,
                       (body.w - left - right) / width, (body.h - bottom - top) / height))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#adb5bd")
    ax.tick_params(colors=MUTED, labelsize=10)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    periods = frame["period"].to_list()
    region = frame["national" if tr.national_only else "value"].to_list()
    values = [v for v in [*frame["value"].to_list(), *frame["national"].to_list()]
              if v is not None]
    if not values:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.text(0.5, 0.5, t("missing", lang), transform=ax.transAxes, ha="center",
                va="center", fontsize=14, color=MUTED, gid="trend-empty")
        return
    target = tr.summary.target
    low, high = _limits(tr, values + ([*target] if target else []))
    ax.set_ylim(low, high)
    ax.set_xlim(periods[0] - 0.5, periods[-1] + 0.5)
    step = 1 if len(periods) <= 16 else 2
    ax.xaxis.set_major_locator(FixedLocator(periods[::-1][::step][::-1]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: str(int(round(v)))))
    ticks = [v for v in ax.get_yticks() if low <= v <= high]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    decimals = min(_decimals(ticks), max(ind.decimals, 0))
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _pos: format_number(v, decimals, lang)))
    ax.set_ylabel(ind.unit(lang), color=MUTED, fontsize=10.5)
    ax.set_xlabel(t("peta.year", lang), color=MUTED, fontsize=10.5)

    national_simulated = frame["national_simulated"].to_list()
    if tr.national_only:
        _points(ax, periods, region, national_simulated, NATIONAL_COLOR, "national")
    else:
        _points(ax, periods, frame["national"].to_list(), national_simulated, NATIONAL_COLOR,
                "national")
        _points(ax, periods, region, frame["simulated"].to_list(), REGION_COLOR, "region")
    for who, column, color in (("national", "national", NATIONAL_COLOR),
                               *(() if tr.national_only else
                                 (("region", "value", REGION_COLOR),))):
        last = frame.filter(pl.col(column).is_not_null()).tail(1)
        if last.height:
            ax.annotate(format_number(last[column][0], ind.decimals, lang),
                        (last["period"][0], last[column][0]), xytext=(8, 0),
                        textcoords="offset points", va="center", fontsize=9.5, color=color,
                        fontweight="bold", gid=f"trend-last-{who}", annotation_clip=False)
    if target is not None:
        t_low, t_high = target
        ax.hlines(sorted({t_low, t_high}), 0, 1, transform=ax.get_yaxis_transform(),
                  colors=TARGET_COLOR, linestyles="dashed", linewidth=1.5, gid="trend-target",
                  zorder=2)
        shown = "–".join(dict.fromkeys(format_number(v, ind.decimals, lang)
                                       for v in (t_low, t_high)))
        ax.text(0.995, t_high, t("export.trend.target", lang, period=tr.data.period,
                                 value=shown),
                transform=ax.get_yaxis_transform(), ha="right", va="bottom", fontsize=9,
                color=TARGET_COLOR, gid="trend-target-label")
    for period, _id, _en in tr.breaks():
        ax.axvline(period - 0.5, color=BREAK_COLOR, linestyle=":", linewidth=1.3,
                   gid=f"trend-break-{period}", zorder=1)
        ax.text(period - 0.45, 0.98, t("export.trend.break", lang, period=period),
                transform=ax.get_xaxis_transform(), ha="left", va="top", fontsize=8.5,
                color=BREAK_COLOR, gid=f"trend-break-label-{period}")
    _legend(ax, tr, lang, tr.any_simulated())


def trend_image(tr: Trend, now: datetime, fmt: ImageFormat, lang: str = "id") -> bytes:
    """Draw the trend on an A4-landscape page framed like the map image; return the bytes.

    Parameters
    ----------
    tr
        The region's and the national series (:func:`trend`).
    now
        The export time written in the footer (shown in UTC).
    fmt
        ``"png"`` (150 dpi), ``"svg"`` (texts as text, series with ids, see the module) or
        ``"pdf"``.
    lang
        The language of every text and number.

    Returns
    -------
    bytes
        The image file.
    """
    fig = new_page()
    ind = tr.indicator
    _draw(fig, tr, lang)
    title = title_text(tr, lang)
    subtitle = t("export.trend.subtitle", lang, name=ind.name(lang), unit=ind.unit(lang),
                 direction=t(f"direction.{ind.direction}", lang))
    notes = [t("export.trend.break_note", lang, period=p, note=en if lang == "en" else id_)
             for p, id_, en in tr.breaks()]
    badge = t("simulated", lang) if tr.any_simulated() else None
    draw_frame(fig, title, subtitle, simulated=badge, sources=tr.sources(),
               notes=notes, now=now, lang=lang)
    return save(fig, fmt, title)

