"""The map view as an image for reports: PNG, SVG or PDF, drawn with matplotlib.

The image shows what the map shows: the same simplified boundaries
(:meth:`geodata.serve.BoundaryStore.simplified`), each region in the colour of its class
(:func:`presentation.palettes.palette_colors`), simulated values in their class colour
with white diagonal stripes, regions without a value hatched on light grey as on the web
map (never a colour of the scale), and around it the title, the indicator's full name and
unit, the legend with the class bounds and counts, the simulated and the counts of
official, simulated and missing values, the sources, the DATA SIMULASI label saying how
many regions are simulated, and the export time.

Only matplotlib's object API is used (:class:`~matplotlib.figure.Figure`, no pyplot),
so requests in different threads never share a figure. In an SVG the texts stay text
(a report writer can edit them) and each region is a group with the id
``wilayah-<code>``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.transforms import Transform

from export.files import ImageFormat
from export.tables import stamp
from geodata.registry import Registry
from i18n import t
from presentation.palettes import palette_colors
from queries.classify import format_bounds
from queries.mapview import MapData
from queries.provenance import provenance_counts, simulated_label

# Process-wide and constant, set once when the app is built, before any request: texts
# stay text in SVG and become TrueType (editable) in PDF. Nothing else draws with
# matplotlib in this process; rc_context would not be thread-safe.
matplotlib.rcParams.update({"svg.fonttype": "none", "pdf.fonttype": 42,
                            "svg.hashsalt": "mata-garuda"})

PAGE: Final = (11.69, 8.27)  # A4 landscape, inches
DPI: Final = 150  # of the PNG
GID_PREFIX: Final = "wilayah-"  # SVG id of a region's group: wilayah-32.73
HATCH: Final = "///"
HATCH_FACE: Final = "#e9ecef"  # the web map's hatch (assets/map.js)
HATCH_LINE: Final = "#868e96"
SIMULATED_HATCH: Final = "///"  # white stripes over the class colour (assets/map.js)
SIMULATED_LINE: Final = "#ffffff"
SIMULATED_SWATCH: Final = "#6c8ebf"  # the legend's striped swatch (assets/style.css)
EDGE: Final = "#ffffff"
SEA: Final = "#eef3f7"  # the web map's background: a near-white class stays visible
SELECTED_EDGE: Final = "#212529"
SIMULATED_RED: Final = "#c92a2a"
INK: Final = "#212529"
MUTED: Final = "#495057"

_MARGIN = 0.35  # inches, all sides
_HEADER = 1.05  # title and subtitle band
_FOOTER = 0.75  # sources, notes and footer band
_ROW = 0.27  # legend row height
_LEGEND_WIDTH = 3.1  # legend column, when beside the map
_LEGEND_COLUMNS_BELOW = 3


@dataclass(frozen=True)
class _Box:
    """A rectangle on the page, in inches from the bottom left."""

    x: float
    y: float
    w: float
    h: float


def title_text(data: MapData, registry: Registry, lang: str) -> str:
    """Return the image's title: ``IDI 2024 · Jawa Barat`` or the change it shows."""
    ind, area = data.indicator, registry.name(data.view.kode)
    if data.shown == "change_since" and data.base is not None:
        return t("export.image.title_change", lang, indicator=ind.short_name, base=data.base,
                 period=data.period, area=area)
    period = "" if data.period is None else f" {data.period}"
    return t("export.image.title", lang, indicator=ind.short_name, period=period, area=area)


def _region_path(geom: shapely.Geometry) -> Path:
    """Return one compound path for a (Multi)Polygon, holes drawn as holes."""
    geom = shapely.orient_polygons(geom)  # exteriors counter-clockwise, holes clockwise
    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for polygon in shapely.get_parts(geom):
        rings = [polygon.exterior, *polygon.interiors]
        for ring in rings:
            xy = np.asarray(ring.coords, dtype=float)
            ring_codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
            ring_codes[0], ring_codes[-1] = Path.MOVETO, Path.CLOSEPOLY
            vertices.append(xy)
            codes.append(ring_codes)
    return Path(np.concatenate(vertices), np.concatenate(codes))


Fill = tuple[str | None, bool]  # a region's colour (None: no value), whether simulated


def fills(data: MapData, codes: Sequence[str]) -> list[Fill]:
    """Return each region's fill, by code, as the map colours it."""
    palette = palette_colors(data)
    frame = data.frame
    by_code = {code: (None, False) if cls is None else (palette[cls], bool(simulated))
               for code, cls, simulated in zip(frame["code"], data.classes.index,
                                               frame["simulated"], strict=True)}
    return [by_code.get(code, (None, False)) for code in codes]


def _patch_style(fill: Fill) -> dict[str, object]:
    """Return the face of a region or swatch: colour, striped if simulated, or hatched."""
    color, simulated = fill
    if color is None:
        return {"facecolor": HATCH_FACE, "hatch": HATCH, "hatchcolor": HATCH_LINE}
    if simulated:
        return {"facecolor": color, "hatch": SIMULATED_HATCH, "hatchcolor": SIMULATED_LINE}
    return {"facecolor": color}


def _padded(regions: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Return the regions' bounds with a margin of 2% of the larger side."""
    min_x, min_y, max_x, max_y = (float(v) for v in regions.total_bounds)
    pad = 0.02 * max(max_x - min_x, max_y - min_y, 1e-6)
    return min_x - pad, min_y - pad, max_x + pad, max_y + pad


def _layout(aspect: float, entries: int) -> tuple[_Box, _Box, int]:
    """Choose the map's and the legend's boxes: legend beside or below the map.

    ``aspect`` is the map's width over its height; the layout giving the larger map wins.
    The boxes hug the drawn map, and the map and its legend are centred together.
    """
    width, height = PAGE
    body_w = width - 2 * _MARGIN
    body_h = height - _HEADER - _FOOTER - _MARGIN
    bottom = _FOOTER + 0.1
    gap = 0.25

    def drawn(w: float, h: float) -> tuple[float, float]:
        return min(w, h * aspect), min(h, w / aspect)

    side_w, side_h = drawn(body_w - _LEGEND_WIDTH - gap, body_h)
    rows_below = math.ceil(entries / _LEGEND_COLUMNS_BELOW)
    below_h = 0.45 + rows_below * _ROW
    below_w, below_map_h = drawn(body_w, body_h - below_h - gap)
    if side_w * side_h >= below_w * below_map_h:
        legend_h = 0.45 + entries * _ROW
        left = _MARGIN + (body_w - side_w - gap - _LEGEND_WIDTH) / 2
        return (_Box(left, bottom + (body_h - side_h) / 2, side_w, side_h),
                _Box(left + side_w + gap, bottom + (body_h - legend_h) / 2, _LEGEND_WIDTH,
                     legend_h), 1)
    low = bottom + (body_h - below_map_h - gap - below_h) / 2
    legend_w = min(body_w, _LEGEND_COLUMNS_BELOW * _LEGEND_WIDTH)
    return (_Box(_MARGIN + (body_w - below_w) / 2, low + below_h + gap, below_w, below_map_h),
            _Box(_MARGIN, low, legend_w, below_h), _LEGEND_COLUMNS_BELOW)


def _swatch(fig: Figure, at: Transform, x: float, y: float, fill: Fill) -> None:
    edge = HATCH_LINE if fill[0] is None else "#adb5bd"
    fig.add_artist(Rectangle((x, y), 0.34, 0.18, transform=at, edgecolor=edge, linewidth=0.5,
                             **_patch_style(fill)))  # type: ignore[arg-type]


def _legend(fig: Figure, data: MapData, box: _Box, columns: int, lang: str) -> None:
    """Draw the legend as the web map's.

    Class bounds and counts, the hatched missing, the striped simulated, and the counts
    of official, simulated and missing values.
    """
    at = fig.dpi_scale_trans
    labels = format_bounds(data.classes, data.indicator.decimals, lang)
    fills: list[Fill] = [(color, False) for color in palette_colors(data)]
    rows = list(zip(fills, labels, data.classes.counts, strict=True))
    rows += [((None, False), label, count) for label, count in data.missing_lines(lang)]
    counts = data.counts
    if counts.simulated:
        rows.append(((SIMULATED_SWATCH, True), t("peta.legend.simulated", lang),
                     counts.simulated))
    if data.shown == "change_since":
        heading = t("peta.legend.change", lang, base=data.base or "–", period=data.period)
    else:
        heading = f"{data.indicator.short_name} {data.period or ''}".strip()
    top = box.y + box.h
    fig.text(box.x, top - 0.16, heading, transform=at, fontsize=11, fontweight="bold",
             color=INK, va="center", gid="legend-title")
    fig.text(box.x, top - 0.38, f"{t('peta.method.' + data.method, lang)} · "
             f"{data.indicator.unit(lang)}", transform=at, fontsize=8.5, color=MUTED,
             va="center")
    per_column = math.ceil(len(rows) / columns)
    col_w = box.w / columns
    for i, (fill, label, count) in enumerate(rows):
        x = box.x + (i // per_column) * col_w
        y = top - 0.45 - (i % per_column + 1) * _ROW
        _swatch(fig, at, x, y, fill)
        fig.text(x + 0.44, y + 0.09, label, transform=at, fontsize=9, color=INK, va="center",
                 gid="legend-label")
        fig.text(x + col_w - 0.2, y + 0.09, str(count), transform=at,
                 fontsize=9, color=MUTED, va="center", ha="right", gid="legend-count")
    fig.text(box.x, top - 0.45 - (per_column + 1) * _ROW + 0.09,
             provenance_counts(counts, lang), transform=at, fontsize=8.5, color=MUTED,
             va="center", gid="legend-provenance")


def _draw_regions(fig: Figure, box: _Box, regions: gpd.GeoDataFrame,
                  fills: list[Fill], selected: str | None, per_region: bool) -> None:
    """Draw the regions in a borderless axes fitted to ``box``, equal-area looking."""
    width, height = PAGE
    ax = fig.add_axes((box.x / width, box.y / height, box.w / width, box.h / height))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_facecolor(SEA)
    min_x, min_y, max_x, max_y = _padded(regions)
    ax.set_xlim(min_x, max_x)
    ax.set_ylim(min_y, max_y)
    ax.set_aspect(1 / math.cos(math.radians((min_y + max_y) / 2)), anchor="C")
    paths = [_region_path(g) for g in regions.geometry.values]
    codes = regions["code"].to_list()
    linewidth = 0.15 if len(paths) > 1000 else 0.4
    if per_region:  # SVG: one group per region, named by its code
        for code, path, fill in zip(codes, paths, fills, strict=True):
            patch = PathPatch(path, edgecolor=EDGE, linewidth=linewidth, **_patch_style(fill))
            patch.set_gid(GID_PREFIX + code)
            ax.add_patch(patch)
    else:  # PNG, PDF: one collection per fill, much faster for thousands of regions
        for fill in dict.fromkeys(fills):
            group = [p for p, f in zip(paths, fills, strict=True) if f == fill]
            style = {k + ("s" if k == "facecolor" else ""): v
                     for k, v in _patch_style(fill).items()}
            ax.add_collection(PathCollection(group, edgecolors=EDGE, linewidths=linewidth,
                                             **style), autolim=False)  # type: ignore[arg-type]
    if selected is not None and selected in codes:
        outline = PathPatch(paths[codes.index(selected)], facecolor="none",
                            edgecolor=SELECTED_EDGE, linewidth=1.6)
        outline.set_gid("selected")
        ax.add_patch(outline)


def _width(text: Text) -> float:
    """Return the width of a drawn text in inches (the figure needs an Agg canvas)."""
    return float(text.get_window_extent().width) / DPI


def _fit(text: Text, width: float, smallest: float) -> None:
    """Shrink ``text`` until it is at most ``width`` inches wide (not below ``smallest`` pt)."""
    size = float(text.get_fontsize())
    while _width(text) > width and size > smallest:
        size -= 0.5
        text.set_fontsize(size)


def map_image(data: MapData, regions: gpd.GeoDataFrame, registry: Registry, now: datetime,
              fmt: ImageFormat, lang: str = "id") -> bytes:
    """Draw the map view ``data`` on an A4-landscape page and return the file's bytes.

    Parameters
    ----------
    data
        The view's values and classes (:func:`queries.mapview.map_data`).
    regions
        The view's simplified boundaries (:meth:`geodata.serve.BoundaryStore.simplified`):
        columns ``code``, ``name``, ``geometry`` in EPSG:4326.
    registry
        The region registry, for the name of the view's region.
    now
        The export time written in the footer (shown in UTC).
    fmt
        ``"png"`` (150 dpi), ``"svg"`` (texts as text, one group per region with id
        ``wilayah-<code>``) or ``"pdf"``.
    lang
        The language of every text.

    Returns
    -------
    bytes
        The image file.
    """
    fig = new_page()
    region_fills = fills(data, regions["code"].to_list())
    min_x, min_y, max_x, max_y = _padded(regions)
    aspect = ((max_x - min_x) * math.cos(math.radians((min_y + max_y) / 2))
              / max(max_y - min_y, 1e-9))
    entries = (len(data.classes.counts) + len(data.missing_lines(lang)) + 1  # + counts
               + (1 if data.any_simulated else 0))
    map_box, legend_box, columns = _layout(aspect, entries)
    _draw_regions(fig, map_box, regions, region_fills, data.layer.selected, per_region=fmt == "svg")
    _legend(fig, data, legend_box, columns, lang)
    title = title_text(data, registry, lang)
    subtitle = t("export.image.subtitle", lang, name=data.indicator.name(lang),
                 unit=data.indicator.unit(lang), level=t(f"peta.level.{data.layer.level}", lang))
    badge = simulated_label(data.counts, lang) if data.any_simulated else None
    draw_frame(fig, title, subtitle, simulated=badge, sources=data.sources,
               notes=data.notes(lang), now=now,
               lang=lang)
    return save(fig, fmt, title)


def new_page() -> Figure:
    """Return an empty A4-landscape figure with an Agg canvas (to measure texts)."""
    fig = Figure(figsize=PAGE, dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)  # savefig switches the canvas per format
    return fig


def body_box() -> _Box:
    """Return the page's drawing area: between the title band and the sources band."""
    width, height = PAGE
    return _Box(_MARGIN, _FOOTER + 0.1, width - 2 * _MARGIN, height - _HEADER - _FOOTER - _MARGIN)


def draw_frame(fig: Figure, title: str, subtitle: str, *, simulated: str | None,
               sources: Sequence[str], notes: Sequence[str], now: datetime, lang: str) -> None:
    """Draw what frames every exported image: title, subtitle, DATA SIMULASI, sources, footer.

    Parameters
    ----------
    fig
        The page (:func:`new_page`).
    title, subtitle
        The texts of the header band (ids ``title`` and ``subtitle`` in an SVG), shrunk to
        fit beside the DATA SIMULASI box.
    simulated
        When any value shown is simulated, the text of the red DATA SIMULASI box (id
        ``simulated``), e.g. ``DATA SIMULASI · 26 dari 38 wilayah``; its note goes under
        the sources. None: nothing shown is simulated.
    sources
        The publishers of the real values shown.
    notes
        Further lines for the sources band (at most three lines are drawn in all).
    now
        The export time, written in the footer in UTC.
    lang
        The language of the texts.
    """
    at = fig.dpi_scale_trans
    width, height = PAGE
    right = width - _MARGIN
    title_width = width - 2 * _MARGIN
    if simulated:
        label = fig.text(right, height - _MARGIN - 0.12, simulated, transform=at,
                         fontsize=15, fontweight="bold", color=SIMULATED_RED, ha="right",
                         va="top", gid="simulated",
                         bbox={"boxstyle": "round,pad=0.35", "facecolor": "#fff5f5",
                               "edgecolor": SIMULATED_RED, "linewidth": 1.5})
        title_width -= _width(label) + 0.4
    drawn = fig.text(_MARGIN, height - _MARGIN - 0.05, title, transform=at, fontsize=18,
                     fontweight="bold", color=INK, va="top", gid="title")
    _fit(drawn, title_width, 11)
    below = fig.text(_MARGIN, height - _MARGIN - 0.5, subtitle, transform=at, fontsize=11,
                     color=MUTED, va="top", gid="subtitle")
    _fit(below, title_width, 7)

    shown = [*sources, *([t("simulated", lang)] if simulated else [])]
    lines = [t("export.image.sources", lang, sources=", ".join(shown) or "–")]
    if simulated:
        lines.append(f"{t('simulated', lang)}: {t('simulated.note', lang)}")
    lines += notes
    for i, line in enumerate(lines[:3]):
        warning = i == 1 and simulated is not None
        text = fig.text(_MARGIN, _FOOTER - 0.08 - i * 0.19, line, transform=at, fontsize=8.5,
                        color=SIMULATED_RED if warning else MUTED, va="top",
                        gid="source" if i == 0 else "note")
        _fit(text, width - 2 * _MARGIN - 3.2, 6)
    fig.text(right, _MARGIN - 0.12, t("export.image.footer", lang, time=stamp(now)),
             transform=at, fontsize=8, color=MUTED, ha="right", va="bottom", gid="footer")


def save(fig: Figure, fmt: ImageFormat, title: str) -> bytes:
    """Return the page as a file of ``fmt``, with ``title`` and no date in its metadata."""
    out = io.BytesIO()
    fig.savefig(out, format=fmt, dpi=DPI, facecolor="white", metadata=_metadata(fmt, title))
    return out.getvalue()


def _metadata(fmt: ImageFormat, title: str) -> dict[str, str | None]:
    """Return the file's metadata: a title, and no creation date, so a file is reproducible."""
    if fmt == "png":
        return {"Title": title, "Software": "Mata Garuda"}
    if fmt == "svg":
        return {"Title": title, "Date": None, "Creator": "Mata Garuda"}
    return {"Title": title, "Creator": "Mata Garuda", "CreationDate": None}

