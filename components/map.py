"""Map page components: the choropleth, its hideout, legend, side panel, breadcrumb."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import dash_leaflet as dl
import dash_mantine_components as dmc
import polars as pl
from dash import dcc, html

import ids
from components.export import TREND_FORMATS, export_links, trend_export_href
from components.sparkline import sparkline
from components.status import kpi, simulated_badge
from geodata.registry import LEVELS, NATIONAL_CODE, Region
from i18n import format_number, t
from presentation.palettes import MISSING_COLOR, palette_colors
from queries.classify import format_bounds
from queries.indicators import CHANGE_REASONS
from queries.mapview import Layer, MapData, Message, Summary, View, view_url
from queries.provenance import provenance_counts, simulated_label

HATCH = "url(#mg-hatch)"
CANVAS_FROM = 2000  # features; above this the layer is drawn on a canvas
CENTER = [-2.5, 118.0]
FN = "mataGaruda.map."


def fn(name: str) -> dict[str, str]:
    """Return a dash-leaflet reference to a function of ``assets/map.js``."""
    return {"variable": FN + name}


CHILD_CODE = "CODE"  # in a colouring's "child" URL: the code of the region hovered


def geometry_url(layer: Layer, version: str) -> str:
    """Return the boundary URL of a layer: served once, kept by the browser for good.

    ``version`` is the boundary store's (:attr:`geodata.serve.BoundaryStore.version`).
    """
    query = urlencode({k: v for k, v in (("parent", layer.parent), ("vintage", layer.vintage),
                                         ("v", version)) if v})
    return f"/geo/{layer.level}.json?{query}"


def child_url(data: MapData, version: str) -> str | None:
    """Return the boundaries a click on a region of ``data`` loads (``CODE`` for its code).

    Its children, where they have values; None for the regions of another time (their
    children are today's) and where a click loads no new boundaries. The map fetches them
    on hover, so a drill-down finds them in the browser's cache.
    """
    below = LEVELS[LEVELS.index(data.layer.level) + 1]
    if below not in data.levels or data.layer.vintage is not None:
        return None
    return geometry_url(Layer(below, CHILD_CODE), version)


def uses_canvas(layer: Layer) -> bool:
    """Return whether the layer is drawn on a canvas (all kecamatan of the nation)."""
    return layer.level == "kecamatan" and layer.parent is None


def hideout(data: MapData, lang: str) -> dict[str, Any]:
    """Return the compact colouring of a layer, read by ``assets/map.js``."""
    palette = palette_colors(data)
    frame = data.frame
    value_col = data.shown
    change_col = "change_since" if data.shown == "change_since" else "change"
    rows: dict[str, list[Any]] = {}
    codes = frame["code"].to_list()
    values = frame["value"].to_list()
    changes = frame[change_col].to_list()
    shown = frame[value_col].to_list()
    cats = frame["category_index"].to_list()
    ranks = frame["rank"].to_list()
    siblings = frame["siblings"].to_list()
    simulated = frame["simulated"].to_list()
    provenance = frame["provenance"].to_list()
    labels_of = sorted({p for p in provenance if p is not None})
    # A label per record count can make thousands of labels: index them once.
    label_index = {label: n for n, label in enumerate(labels_of)}
    dec = data.indicator.decimals
    for i, code in enumerate(codes):
        cls = data.classes.index[i]
        value = None if values[i] is None else round(values[i], dec)
        change = None if changes[i] is None else round(changes[i], dec)
        source = None if provenance[i] is None else label_index[provenance[i]]
        rows[code] = [cls, value, cats[i], ranks[i], siblings[i], change, source,
                      1 if simulated[i] else 0]
        if shown[i] is None:
            rows[code][0] = None
    labels = {key: t(f"peta.tt.{key}", lang) for key in
              ("value", "category", "rank", "of", "change", "source", "missing")}
    labels["simulated"] = t("provenance.simulated.short", lang)
    if data.shown == "change_since":
        labels["change"] = t("peta.tt.change_since", lang, base=data.base)
    for code, reason in zip(codes, frame[data.reason_column].to_list(), strict=True):
        rows[code].append(None if reason is None else CHANGE_REASONS.index(reason))
    canvas = uses_canvas(data.layer)
    content = {
        "d": rows, "colors": palette, "missing": MISSING_COLOR if canvas else HATCH,
        "cats": [c.label(lang) for c in data.categories],
        "reasons": [data.reason_text(r, lang) for r in CHANGE_REASONS],
        "srcs": labels_of, "unit": data.indicator.unit(lang),
        "dec": dec, "lang": lang, "labels": labels, "sel": data.layer.selected,
        "weight": 0.3 if data.layer.level == "kecamatan" else 0.8,
    }
    content["rev"] = hashlib.sha1(repr(sorted(rows.items())).encode() + repr(palette).encode()
                                  + lang.encode()).hexdigest()[:12]
    return content


def choropleth(layer: Layer, colouring: dict[str, Any], version: str) -> dl.Map:
    """Return the map: a plain background, one GeoJSON layer fitted to its regions.

    ``version``: the boundary store's, for :func:`geometry_url`.
    """
    return dl.Map(
        dl.GeoJSON(
            id=ids.MAP_GEOJSON, url=geometry_url(layer, version), hideout=colouring,
            style=fn("style"), onEachFeature=fn("onEachFeature"), zoomToBounds=True,
            disableDefaultEventHandlers=True,
            eventHandlers={"click": fn("click"), "mouseover": fn("mouseover"),
                           "mouseout": fn("mouseout")},
        ),
        id=ids.MAP_LEAFLET, center=CENTER, zoom=5, zoomSnap=0.25, minZoom=3,
        # No zoom/fade animation: a view may be replaced mid-animation (back button), and
        # software-rendered projector PCs draw the final frame sooner without it.
        zoomAnimation=False, fadeAnimation=False, markerZoomAnimation=False,
        preferCanvas=uses_canvas(layer), attributionControl=False,
        className="peta-map", style={"height": "100%", "width": "100%"},
    )


def legend(data: MapData, lang: str) -> html.Div:
    """Return the legend: class bounds with counts, and the missing swatch with its count.

    Below them, simulated regions (drawn striped, or faded on a canvas) with their count,
    and the counts of official, simulated and missing values.
    """
    palette = palette_colors(data)
    labels = format_bounds(data.classes, data.indicator.decimals, lang)
    items = [
        html.Li([html.Span(className="swatch", style={"background": color}),
                 html.Span(label, className="legend-label"),
                 html.Span(str(count), className="legend-count")])
        for color, label, count in zip(palette, labels, data.classes.counts, strict=True)
    ]
    missing_class = "swatch swatch-missing" + (" swatch-grey" if uses_canvas(data.layer) else "")
    if data.shown == "change_since":
        items.append(html.Li(t("peta.legend.no_change", lang), className="legend-heading"))
    items += [html.Li([html.Span(className=missing_class),
                       html.Span(label, className="legend-label"),
                       html.Span(str(count), className="legend-count")],
                      className="legend-missing")
              for label, count in data.missing_lines(lang)]
    counts = data.counts
    if counts.simulated:  # striped; on a canvas (no patterns) faded
        faded = uses_canvas(data.layer)
        items.append(html.Li([html.Span(className="swatch swatch-simulated"
                                        + (" swatch-faded" if faded else "")),
                              html.Span(t("peta.legend.simulated_faded" if faded
                                          else "peta.legend.simulated", lang),
                                        className="legend-label"),
                              html.Span(str(counts.simulated), className="legend-count")],
                             className="legend-simulated"))
    if data.shown == "change_since":
        title = t("peta.legend.change", lang, base=data.base, period=data.period)
    else:
        title = f"{data.indicator.short_name} {data.period or ''}".strip()
    note = data.break_note(lang)
    warning = None if note is None else html.Div(note, className="legend-warning")
    return html.Div([
        html.Div(title, className="legend-title"),
        html.Div(f"{t('peta.method.' + data.method, lang)} · {data.indicator.unit(lang)}",
                 className="legend-subtitle"),
        html.Ul(items),
        html.Div(provenance_counts(counts, lang), className="legend-provenance"),
        warning,
    ], id=ids.MAP_LEGEND_BOX, className="peta-legend")


def status_line(data: MapData, lang: str) -> list[Any]:
    """Return the DATA SIMULASI badge and the sources of the real values shown."""
    items: list[Any] = []
    if data.any_simulated:
        items.append(simulated_badge(simulated_label(data.counts, lang), lang))
    if data.sources:
        items.append(dmc.Text(f"{t('col.source', lang)}: {', '.join(data.sources)}", size="sm",
                              className="peta-sources"))
    return items


def notices(messages: tuple[Message, ...] | list[Message], lang: str) -> list[dmc.Alert]:
    """Return one small alert per message (bad URL parts, data not defined at a level)."""
    return [dmc.Alert(t(key, lang, **fields), color="yellow", variant="light", p="xs",
                      className="peta-notice") for key, fields in messages]


def offers(data: MapData, lang: str) -> list[html.Div]:
    """Return links to the indicators with values at the level asked for, when this lacks it.

    One click opens the same region with that indicator (its latest year).
    """
    if not data.offers:
        return []
    links = [dcc.Link(ind.short_name, href=view_url(View(kode=data.view.kode, indikator=ind.id,
                                                         tingkat=data.view.tingkat)),
                      className="peta-offer", title=ind.name(lang))
             for ind in data.offers]
    label = t("peta.offers", lang, tingkat=t(f"peta.level.{data.asked}", lang).lower())
    return [html.Div([html.Span(label), *links], id=ids.MAP_OFFERS, className="peta-offers")]


def breadcrumb(chain: list[Region], lang: str) -> html.Nav:
    """Return Indonesia › provinsi › kab/kota › kecamatan; every step but the last goes up."""
    items: list[Any] = []
    for i, region in enumerate(chain):
        if i:
            items.append(html.Span("›", className="crumb-sep", **{"aria-hidden": "true"}))
        if i == len(chain) - 1:
            items.append(html.Span(region.name, className="crumb-current",
                                   **{"aria-current": "page"}))
        else:
            items.append(html.Button(region.name, className="crumb", type="button",
                                     id={"type": ids.MAP_CRUMB, "kode": region.code}))
    return html.Nav(items, className="peta-breadcrumb", **{"aria-label": t("peta.crumbs", lang)})


def _signed(change: float, dec: int, lang: str, arrow: bool = True) -> str:
    """Format a change with its sign, e.g. ``▲ +4,87`` (``+4,87`` without the arrow)."""
    sign = "+" if change > 0 else "−" if change < 0 else ""
    if arrow and sign:
        sign = ("▲ " if change > 0 else "▼ ") + sign
    return sign + format_number(abs(change), dec, lang)


def _ranked(frame: pl.DataFrame, column: str, title: str, dec: int, lang: str) -> html.Div:
    """List regions with their ``column``: a value, or a change (signed).

    A simulated value is marked (and its row styled) as such.
    """
    shown = (lambda v: _signed(v, dec, lang, arrow=False)) if column == "change_since" else (
        lambda v: format_number(v, dec, lang))
    rows = [html.Li([html.Span(r["name"], className="rank-name"),
                     html.Span(t("provenance.simulated.short", lang), className="rank-simulated")
                     if r["simulated"] else None,
                     html.Span(shown(r[column]), className="rank-value")],
                    className="rank-row-simulated" if r["simulated"] else None)
            for r in frame.iter_rows(named=True)]
    return html.Div([html.Div(title, className="panel-subtitle"), html.Ol(rows)],
                    className="rank-list")


def change_tone(change: float, direction: str) -> str | None:
    """Return ``good`` or ``bad`` for a change given the indicator's direction (None: neutral)."""
    if change == 0 or direction == "neutral":
        return None
    return "good" if (change > 0) == (direction == "higher_better") else "bad"


def panel(s: Summary, data: MapData, lang: str) -> html.Div:
    """Return the side panel: KPI cards, category counts, top and bottom five, trend."""
    ind, dec = data.indicator, data.indicator.decimals
    unit = ind.unit(lang)
    value_detail = " · ".join(x for x in (s.category, s.provenance) if x)
    cards = [kpi(f"{s.name} · {data.period or ''}", format_number(s.value, dec, lang),
                 value_detail or None, simulated=s.simulated)]
    if s.code != NATIONAL_CODE:
        cards.append(kpi(t("peta.kpi.national", lang), format_number(s.national, dec, lang),
                         s.national_provenance, simulated=s.national_simulated))
    if s.target is not None:
        low, high = s.target
        target = format_number(low, dec, lang) if low == high else (
            f"{format_number(low, dec, lang)}–{format_number(high, dec, lang)}")
        cards.append(kpi(t("peta.kpi.target", lang), target))
    change_label = (t("peta.tt.change_since", lang, base=data.base)
                    if data.shown == "change_since" else t("peta.kpi.change", lang))
    if s.change is not None:
        cards.append(kpi(change_label, _signed(s.change, dec, lang),
                         tone=change_tone(s.change, ind.direction), simulated=s.simulated))
    elif s.change_reason is not None:  # say why there is none
        cards.append(kpi(change_label, "–", data.reason_text(s.change_reason, lang)))
    children: list[Any] = [
        html.Div(ind.name(lang), className="panel-title"),
        html.Div(unit, className="panel-unit"),
        html.Div(cards, className="kpi-grid"),
    ]
    if s.category_counts and any(count for _, count in s.category_counts):
        children.append(html.Div([
            html.Div(t("peta.kpi.categories", lang), className="panel-subtitle"),
            html.Div([dmc.Badge(f"{label}: {count}", variant="light", color="gray", mr=4, mb=4)
                      for label, count in s.category_counts]),
        ]))
    if not s.highest.is_empty():
        children.append(html.Div([
            _ranked(s.highest, data.shown, t("peta.top", lang), dec, lang),
            _ranked(s.lowest, data.shown, t("peta.bottom", lang), dec, lang)
            if not s.lowest.is_empty() else None,
        ], className="rank-lists"))
    periods = s.series["period"].to_list()
    region = [] if s.code == NATIONAL_CODE else list(zip(periods, s.series["value"], strict=True))
    series = s.series
    fake = (set(series.filter(pl.col("simulated"))["period"]),
            set(series.filter(pl.col("national_simulated"))["period"]))
    chart = sparkline(region, list(zip(periods, series["national"], strict=True)),
                      region_name=s.name, decimals=dec, lang=lang, simulated=fake,
                      alt=t("peta.trend.alt", lang, name=s.name, indicator=ind.short_name))
    if chart is not None:  # the year shown, resolved: the link keeps its target
        href = trend_export_href(replace(data.view, tahun=data.period))
        children += [chart, html.Div(export_links(href, lang, TREND_FORMATS,
                                                  tooltip="export.trend.tooltip"),
                                     id=ids.MAP_TREND_EXPORT)]
    return html.Div(children, className="peta-panel-inner")
