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
from geodata.registry import NATIONAL_CODE, Region
from i18n import format_number, t
from presentation.palettes import MISSING_COLOR, palette_colors
from queries.classify import format_bounds
from queries.mapview import Layer, MapData, Message, Summary, View, view_url

HATCH = "url(#mg-hatch)"
CANVAS_FROM = 2000  # features; above this the layer is drawn on a canvas
CENTER = [-2.5, 118.0]
FN = "mataGaruda.map."


def fn(name: str) -> dict[str, str]:
    """Return a dash-leaflet reference to a function of ``assets/map.js``."""
    return {"variable": FN + name}


def geometry_url(layer: Layer) -> str:
    """Return the boundary URL of a layer (served once, cached by the browser)."""
    query = urlencode({k: v for k, v in (("parent", layer.parent), ("vintage", layer.vintage))
                       if v})
    return f"/geo/{layer.level}.json" + (f"?{query}" if query else "")


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
    source_names = frame["source"].to_list()
    sources = ["simulasi"] + data.sources
    dec = data.indicator.decimals
    for i, code in enumerate(codes):
        cls = data.classes.index[i]
        value = None if values[i] is None else round(values[i], dec)
        change = None if changes[i] is None else round(changes[i], dec)
        source = 0 if simulated[i] or source_names[i] not in sources else (
            sources.index(source_names[i]))
        rows[code] = [cls, value, cats[i], ranks[i], siblings[i], change, source]
        if shown[i] is None:
            rows[code][0] = None
    labels = {key: t(f"peta.tt.{key}", lang) for key in
              ("value", "category", "rank", "of", "change", "source", "missing")}
    if data.shown == "change_since":
        labels["change"] = t("peta.tt.change_since", lang, base=data.base)
    canvas = uses_canvas(data.layer)
    content = {
        "d": rows, "colors": palette, "missing": MISSING_COLOR if canvas else HATCH,
        "cats": [c.label(lang) for c in data.indicator.categories],
        "srcs": [t("simulated", lang), *data.sources], "unit": data.indicator.unit(lang),
        "dec": dec, "lang": lang, "labels": labels, "sel": data.layer.selected,
        "weight": 0.3 if data.layer.level == "kecamatan" else 0.8,
    }
    content["rev"] = hashlib.sha1(repr(sorted(rows.items())).encode() + repr(palette).encode()
                                  + lang.encode()).hexdigest()[:12]
    return content


def choropleth(layer: Layer, colouring: dict[str, Any]) -> dl.Map:
    """Return the map: a plain background, one GeoJSON layer fitted to its regions."""
    return dl.Map(
        dl.GeoJSON(
            id=ids.MAP_GEOJSON, url=geometry_url(layer), hideout=colouring,
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
    """Return the legend: class bounds with counts, and the missing swatch with its count."""
    palette = palette_colors(data)
    labels = format_bounds(data.classes, data.indicator.decimals, lang)
    items = [
        html.Li([html.Span(className="swatch", style={"background": color}),
                 html.Span(label, className="legend-label"),
                 html.Span(str(count), className="legend-count")])
        for color, label, count in zip(palette, labels, data.classes.counts, strict=True)
    ]
    missing_class = "swatch swatch-missing" + (" swatch-grey" if uses_canvas(data.layer) else "")
    items.append(html.Li([html.Span(className=missing_class),
                          html.Span(t("missing", lang), className="legend-label"),
                          html.Span(str(data.classes.missing), className="legend-count")],
                         className="legend-missing"))
    if data.shown == "change_since":
        title = t("peta.legend.change", lang, base=data.base, period=data.period)
    else:
        title = f"{data.indicator.short_name} {data.period or ''}".strip()
    return html.Div([
        html.Div(title, className="legend-title"),
        html.Div(f"{t('peta.method.' + data.method, lang)} · {data.indicator.unit(lang)}",
                 className="legend-subtitle"),
        html.Ul(items),
    ], id=ids.MAP_LEGEND_BOX, className="peta-legend")


def status_line(data: MapData, lang: str) -> list[Any]:
    """Return the DATA SIMULASI badge and the sources of the real values shown."""
    items: list[Any] = []
    if data.any_simulated:
        items.append(simulated_badge(lang))
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


def _ranked(frame: pl.DataFrame, title: str, dec: int, lang: str) -> html.Div:
    rows = [html.Li([html.Span(r["name"], className="rank-name"),
                     html.Span(format_number(r["value"], dec, lang), className="rank-value")])
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
    value_detail = t("simulated", lang) if s.simulated else (s.category or s.source)
    cards = [kpi(f"{s.name} · {data.period or ''}", format_number(s.value, dec, lang),
                 value_detail)]
    if s.code != NATIONAL_CODE:
        cards.append(kpi(t("peta.kpi.national", lang), format_number(s.national, dec, lang),
                         t("simulated", lang) if s.national_simulated else None))
    if s.target is not None:
        low, high = s.target
        target = format_number(low, dec, lang) if low == high else (
            f"{format_number(low, dec, lang)}–{format_number(high, dec, lang)}")
        cards.append(kpi(t("peta.kpi.target", lang), target))
    if s.change is not None:
        sign = "▲ +" if s.change > 0 else "▼ −" if s.change < 0 else ""
        cards.append(kpi(t("peta.kpi.change", lang),
                         sign + format_number(abs(s.change), dec, lang),
                         tone=change_tone(s.change, ind.direction)))
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
    if not s.best.is_empty():
        children.append(html.Div([
            _ranked(s.best, t("peta.top", lang), dec, lang),
            _ranked(s.worst, t("peta.bottom", lang), dec, lang) if not s.worst.is_empty()
            else None,
        ], className="rank-lists"))
    periods = s.series["period"].to_list()
    region = [] if s.code == NATIONAL_CODE else list(zip(periods, s.series["value"], strict=True))
    chart = sparkline(region, list(zip(periods, s.series["national"], strict=True)),
                      region_name=s.name, decimals=dec, lang=lang,
                      alt=t("peta.trend.alt", lang, name=s.name, indicator=ind.short_name))
    if chart is not None:  # the year shown, resolved: the link keeps its target
        href = trend_export_href(replace(data.view, tahun=data.period))
        children += [chart, html.Div(export_links(href, lang, TREND_FORMATS,
                                                  tooltip="export.trend.tooltip"),
                                     id=ids.MAP_TREND_EXPORT)]
    return html.Div(children, className="peta-panel-inner")
