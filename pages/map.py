"""Peta: the national choropleth with drill-down to kecamatan (``/`` and ``/wilayah/<kode>``).

The URL holds the whole view. Controls and map clicks change a view store; the page
draws from it and writes it back to the address bar (``assets/shell.js``), so a copied
link, back and forward reproduce the view.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

import ids
from components.controls import indicator_select
from components.export import MAP_FORMATS, export_links, view_export_href
from components.first_view import first_view_html
from components.map import (
    breadcrumb,
    child_url,
    choropleth,
    geometry_url,
    hideout,
    legend,
    notices,
    offers,
    panel,
    status_line,
    uses_canvas,
)
from components.records import records_section
from components.status import tip
from geodata.boundaries import BoundariesMissingError, available_levels
from geodata.registry import NATIONAL_CODE, Level
from geodata.serve import UnknownViewError
from i18n import Message, t
from presentation.palettes import DIVERGING, SEQUENTIAL
from queries import params
from queries.catalogue import Indicator
from queries.classify import MAX_CLASSES, METHODS, MIN_CLASSES
from queries.indicators import data_levels
from queries.mapview import (
    SHOW,
    Layer,
    View,
    drawn_in,
    fit_view,
    layer_of,
    map_data,
    map_region,
    parse_view,
    snap_period,
    summary,
    url_messages,
    view_of,
    view_url,
)
from queries.records import province_codes, records_behind
from services import language, services

dash.register_page(__name__, path="/", title="Peta · Mata Garuda", order=0, nav_key="nav.peta",
                   description="Peta indikator nasional sampai kecamatan")

LEVEL_OPTIONS = ("provinsi", "kabkota", "kecamatan")
PALETTES = (*sorted(SEQUENTIAL), *sorted(DIVERGING))


def controls(view: View, lang: str) -> html.Div:
    """Return the control bar for ``view`` (choices from the in-memory catalogue)."""
    svc = services()
    catalogue = svc.catalogue
    ind = catalogue[view.indikator]
    periods = list(ind.shown_periods)
    return html.Div([
        indicator_select(ids.MAP_INDICATOR, catalogue, view.indikator, lang, width=250),
        html.Div([
            dmc.Text(t("peta.year", lang), size="sm", fw=500),
            html.Div([
                tip(dmc.ActionIcon("▶", id=ids.MAP_PLAY, variant="light", size="lg",
                                   attributes={"root": {"aria-label": t("peta.play", lang)}}),
                    t("peta.play", lang)),
                html.Div(dcc.Slider(id=ids.MAP_YEAR, min=periods[0], max=periods[-1], step=None,
                                    value=slider_year(view), marks=_marks(periods),
                                    included=False),
                         className="year-slider"),
            ], className="year-row"),
        ], className="year-box"),
        dmc.SegmentedControl(id=ids.MAP_SHOW, value=view.tampil,
                             data=[{"value": v, "label": t(f"peta.show.{v}", lang)}
                                   for v in ("nilai", "perubahan")]),
        dmc.Select(id=ids.MAP_BASE, label=t("peta.base", lang), w=100,
                   disabled=view.tampil != "perubahan",
                   value=str(view.dari) if view.dari else None, clearable=True,
                   data=[str(p) for p in periods[:-1]], comboboxProps={"zIndex": 1000}),
        dmc.Select(id=ids.MAP_METHOD, label=t("peta.method", lang), w=160,
                   value=view.method(ind), data=_method_data(ind, lang),
                   allowDeselect=False, comboboxProps={"zIndex": 1000}),
        dmc.Select(id=ids.MAP_CLASSES, label=t("peta.classes", lang), w=62, value=str(view.n),
                   data=[str(n) for n in range(MIN_CLASSES, MAX_CLASSES + 1)],
                   allowDeselect=False,
                   comboboxProps={"zIndex": 1000}),
        dmc.Select(id=ids.MAP_PALETTE, label=t("peta.palette", lang), w=104, value=view.palet,
                   data=list(PALETTES), clearable=True,
                   placeholder="auto", comboboxProps={"zIndex": 1000}),
        official_switch(view, svc.settings.show_simulated, lang),
    ], className="peta-controls")


def slider_year(view: View) -> int:
    """Return the period the year slider starts on: the view's, else the latest."""
    periods = services().catalogue[view.indikator].shown_periods
    return view.tahun if view.tahun in periods else periods[-1]


def official_switch(view: View, simulated: bool, lang: str) -> html.Span | dmc.Switch:
    """Return the "Hanya data resmi" switch; without demo data it is on and fixed."""
    switch = dmc.Switch(id=ids.MAP_OFFICIAL, label=t("peta.official", lang),
                        checked=view.resmi or not simulated, disabled=not simulated,
                        className="peta-official")
    return switch if simulated else tip(switch, t("peta.official.off", lang), "end", wide=True)


def _method_data(ind: Indicator, lang: str) -> list[dict[str, Any]]:
    """Return the classification choices; official categories only where the indicator has them."""
    return [{"value": m, "label": t(f"peta.method.{m}", lang),
             "disabled": m == "kategori" and not ind.categories} for m in METHODS]


def _marks(periods: list[int]) -> dict[int, str]:
    """Label the slider's years from the newest back, skipping any too close to the last.

    Irregular periods such as 2017 and 2018 would otherwise overlap.
    """
    gap = max((periods[-1] - periods[0]) / 6, 1) if len(periods) > 1 else 1
    marks: dict[int, str] = {}
    shown: int | None = None
    for year in reversed(periods):
        near = shown is not None and shown - year < gap
        marks[year] = "" if near else str(year)
        shown = shown if near else year
    return dict(sorted(marks.items()))


def url_view(kode: str | None, query: Mapping[str, str]) -> tuple[View, list[Any], Layer]:
    """Return the view a URL asks for, the messages about its bad parts, and its layer."""
    svc = services()
    view, messages = parse_view(kode, query, svc.registry, svc.catalogue)
    view = view if view.palet in (None, *PALETTES) else replace(view, palet=None)
    levels = _levels(svc.catalogue[view.indikator])
    return view, messages, drawn_in(layer_of(fit_view(view, levels), svc.registry, levels),
                                    view.tahun)


def is_map_path(path: str) -> bool:
    """Return whether a URL path shows the map: ``/`` or ``/wilayah/<kode>``."""
    return path == "/" or (path.startswith("/wilayah/") and path.count("/") == 2)


def map_kode(path: str) -> str | None:
    """Return the region of a map path (None: Indonesia)."""
    return path.removeprefix("/wilayah/") if path != "/" else None


def first_view(path: str, query: Mapping[str, str]) -> str:
    """Return the server-drawn map of a map URL's first view (``""``: none to draw)."""
    if not is_map_path(path):
        return ""
    svc, lang = services(), language()
    view, _messages, _layer = url_view(map_kode(path), query)

    def draw() -> str:
        data = _cached(view, lang)[0]
        return first_view_html(data, svc.registry, svc.boundaries, lang)

    try:
        return str(svc.cached(f"first|{view!r}|{lang}", draw))
    except (BoundariesMissingError, UnknownViewError):
        return ""  # the page says what is missing


# The scripts the map page loads only once Dash renders it (code-split chunks).
_CHUNKS = ("dash/dcc/async-slider.js", "dash_leaflet/async-GeoJSON.js")


def preloads(path: str, query: Mapping[str, str]) -> list[str]:
    """Return the ``Link`` header values that start a map URL's downloads with its page.

    The boundaries of the first view and the scripts Dash asks for only after it has
    started (about a second later), so they are at hand when the map is rendered.
    """
    if not is_map_path(path):
        return []
    _view, _messages, layer = url_view(map_kode(path), query)
    prefix = dash.get_app().config.requests_pathname_prefix
    url = geometry_url(layer, services().boundaries.version)
    return [f"<{url}>; rel=preload; as=fetch; crossorigin=anonymous",
            *(f"<{prefix}_dash-component-suites/{chunk}>; rel=preload; as=script"
              for chunk in _CHUNKS)]


def layout(kode: str | None = None, **query: str) -> html.Div:
    """Return the map page for a URL; a bad URL part shows a message, never a blank map."""
    lang = language()
    view, messages, layer = url_view(kode, query)
    state = {**asdict(view), "messages": messages}
    return html.Div([
        dcc.Store(id=ids.MAP_STATE, data=state),
        dcc.Store(id=ids.MAP_URL),
        dcc.Store(id=ids.MAP_COLOURING),
        dcc.Store(id=ids.MAP_DRAWN),
        dcc.Store(id=ids.MAP_YEAR_ASKED, data=slider_year(view)),
        dcc.Store(id=ids.MAP_YEAR_SERVER),
        dcc.Store(id=ids.MAP_YEAR_VIEW),
        dcc.Store(id=ids.MAP_PERIODS_ASK),
        dcc.Store(id=ids.MAP_PERIODS),
        dcc.Store(id=ids.MAP_LAYER, data={"key": layer.key, "canvas": uses_canvas(layer),
                                           "first": True}),
        dcc.Interval(id=ids.MAP_TICK, interval=1200, disabled=True),
        html.Div([
            html.Div(id=ids.MAP_BREADCRUMB, className="peta-crumbs"),
            html.Div([
                dmc.TextInput(id=ids.MAP_SEARCH, placeholder=t("peta.search", lang),
                              debounce=250, leftSection="⌕", w=300,
                              attributes={"input": {"aria-label": t("peta.search", lang)}}),
                html.Div(id=ids.MAP_HITS, className="peta-hits"),
            ], className="peta-search"),
            dmc.SegmentedControl(id=ids.MAP_LEVEL, value=layer.level, size="sm",
                                 data=_level_data(view.kode,
                                                  _levels(services().catalogue[view.indikator]),
                                                  lang)),
            html.Div(export_links(view_export_href(view), lang, MAP_FORMATS), id=ids.MAP_EXPORT),
        ], className="peta-topbar"),
        controls(view, lang),
        html.Div([
            html.Div([
                # The geometry loads while the first colouring is computed.
                html.Div(choropleth(layer, {}, services().boundaries.version), id=ids.MAP_BOX,
                         className="peta-map-box"),
                html.Div(id=ids.MAP_LEGEND, className="peta-legend-slot"),
                html.Div(id=ids.MAP_STATUS, className="peta-status"),
                html.Div(id=ids.MAP_NOTICES, className="peta-notices"),
            ], className="peta-map-area"),
            html.Div(id=ids.MAP_PANEL, className="peta-panel"),
        ], className="peta-main"),
    ], className="peta-page")


def asked_view(indikator: str, tahun: int, tampil: str, dari: str | None, kelas: str, n: str,
               palet: str | None, tingkat: str, resmi: bool, click: dict[str, Any] | None,
               crumbs: list[int | None], hits: list[int | None],
               state: dict[str, Any], shown: dict[str, Any]) -> tuple[View | None, Any]:
    """Turn a control change or a navigation (click, breadcrumb, search) into a new view.

    Returns the view (None where it is the view shown: e.g. the controls set to it by
    show_view) and the slider's value (a keyboard step may leave the slider between two
    marks: it is put on the period meant).
    """
    before, trigger = _view(state), ctx.triggered_id
    shown_view = _shown(shown).get("view") or before
    kode, registry = before.kode, services().registry
    if trigger == ids.MAP_GEOJSON and click:
        clicked = params.mapping(f"{ids.MAP_GEOJSON}.clickData", click).get("code")
        kode = map_region(f"{ids.MAP_GEOJSON}.clickData.code", clicked, registry)
    elif isinstance(trigger, dict) and any(crumbs + hits):
        kode = map_region(f"{trigger['type']}.kode", trigger["kode"], registry)
    if kode != before.kode:
        tingkat = None  # a new region starts at its own default layer
    ind = params.indicator(f"{ids.MAP_INDICATOR}.value", indikator, services().catalogue)
    year = None if tahun is None else params.number(f"{ids.MAP_YEAR_ASKED}.data", tahun)
    levels = _levels(ind)
    period = snap_period(year, shown_view.tahun, ind.shown_periods)
    asked = View(kode=kode, indikator=ind.id, tahun=period,
                 tampil=params.choice(f"{ids.MAP_SHOW}.value", tampil, SHOW),
                 dari=params.optional_integer(f"{ids.MAP_BASE}.value", dari),
                 kelas=params.optional_choice(f"{ids.MAP_METHOD}.value", kelas, METHODS),
                 n=params.integer(f"{ids.MAP_CLASSES}.value", n, MIN_CLASSES, MAX_CLASSES),
                 palet=params.optional_choice(f"{ids.MAP_PALETTE}.value", palet, PALETTES),
                 tingkat=_tingkat(kode, tingkat),
                 # Without demo data the switch is fixed on; the URL need not say so.
                 resmi=params.boolean(f"{ids.MAP_OFFICIAL}.checked", resmi)
                 and services().settings.show_simulated)
    view = fit_view(asked, levels)
    return None if view == shown_view else view, no_update if year == period else period


def _tingkat(kode: str, level: str | None) -> Any:
    depth = 0 if kode == NATIONAL_CODE else kode.count(".") + 1
    return level if level in LEVEL_OPTIONS[depth:] and level != LEVEL_OPTIONS[depth] else None


def _view(state: object, name: str = f"{ids.MAP_STATE}.data") -> View:
    """Return the view a store holds; one that no page writes is a bad request (400)."""
    svc = services()
    view = view_of(name, state, svc.registry, svc.catalogue)
    params.optional_choice(f"{name}.palet", view.palet, PALETTES)
    return view


def _shown(value: object) -> dict[str, Any]:
    """Return the layer store: the layer drawn (``key``, ``canvas``), the view shown.

    ``view``, once the map is drawn, is read back as a :class:`View`.
    """
    name = f"{ids.MAP_LAYER}.data"
    shown = dict(params.mapping(name, value))
    if not isinstance(shown.get("key"), str) or not isinstance(shown.get("canvas"), bool):
        raise params.ParameterError(name, value, Message("request.expected.layer"))
    if shown.get("view") is not None:
        shown["view"] = _view(shown["view"], f"{name}.view")
    return shown


def _compute(view: View, lang: str) -> tuple[Any, ...]:
    svc = services()
    with svc.engine.connect() as conn:
        data = map_data(conn, view, svc.registry, svc.catalogue, lang,
                        demo=svc.settings.show_simulated)
        behind = records_behind(conn, svc.lake, data.indicator, view.kode, data.period,
                                province_codes(svc.registry), lang, simulated=data.simulated)
        colouring = {**hideout(data, lang), "child": child_url(data, svc.boundaries.version)}
        return data, summary(conn, data, svc.registry, lang), colouring, behind


def _cached(view: View, lang: str) -> tuple[Any, ...]:
    """Return the map data, side-panel summary, colouring and records of a view (cached)."""
    return services().cached(f"peta|{view!r}|{lang}", lambda: _compute(view, lang))


def _drawn(view: View, data: Any, asked: object, first: bool) -> tuple[View, dict[str, Any],
                                                                   dict[str, Any]]:
    """Return a view as drawn (defaults resolved), the layer store and the address bar.

    The layer store says what is shown (controls set to it change nothing) and the year
    the request read (``asked``): an answer to an older year is not painted (shell.js).
    """
    shown_view = replace(data.view, tahun=data.period,
                         kelas=data.method if data.method in METHODS else data.view.kelas,
                         dari=data.base if data.method == "perubahan" else data.view.dari)
    region = services().registry.get(view.kode)
    return (
        shown_view,
        {"key": data.layer.key, "canvas": uses_canvas(data.layer), "view": asdict(shown_view),
         "asked": asked},
        {"url": view_url(shown_view), "replace": first,
         "title": f"{region.name} · {data.indicator.short_name} {data.period or ''}"
                  " · Mata Garuda"},
    )


def _described(view: View, messages: list[Message], lang: str) -> dict[str, Any]:
    """Return the legend, side panel, status line and notices of a view."""
    svc = services()
    data, summ, _colouring, behind = _cached(view, lang)
    return {
        "legend": legend(data, lang),
        "panel": [panel(summ, data, lang),
                  records_section(behind, name=summ.name, decimals=data.indicator.decimals,
                                  lang=lang,
                                  layer="desa" in available_levels(svc.settings.boundaries_dir))],
        "status": status_line(data, lang),
        "notices": [*notices([*messages, *data.messages], lang), *offers(data, lang)],
    }


# One callback turns a control change or a click into the view and draws it, answering
# with plain JSON only (the view, geometry URL and colouring; a new map where the renderer
# changes), which Dash serialises fast even for 7,285 regions: one round trip from the
# input to the map. The legend, panel and controls follow once map.js has painted the
# colouring (the drawn store), so rendering them (100-200 ms of Dash's work) never delays
# the map. A new colouring carries a fresh sequence number so the browser never paints an
# older one over it. It goes to a store, not to the layer's hideout: dash-leaflet rebuilds
# every shape when the hideout changes (clearLayers and addData: 190 ms for 38
# provinces), while map.js restyles the shapes drawn in place. The first call draws the
# URL's view.
@callback(
    Output(ids.MAP_STATE, "data"), Output(ids.MAP_YEAR, "value", allow_duplicate=True),
    Output(ids.MAP_GEOJSON, "url"), Output(ids.MAP_COLOURING, "data"),
    Output(ids.MAP_LAYER, "data"), Output(ids.MAP_URL, "data"), Output(ids.MAP_BOX, "children"),
    Input(ids.MAP_INDICATOR, "value"), Input(ids.MAP_YEAR_SERVER, "data"),
    Input(ids.MAP_SHOW, "value"), Input(ids.MAP_BASE, "value"),
    Input(ids.MAP_METHOD, "value"), Input(ids.MAP_CLASSES, "value"),
    Input(ids.MAP_PALETTE, "value"), Input(ids.MAP_LEVEL, "value"),
    Input(ids.MAP_OFFICIAL, "checked"), Input(ids.MAP_GEOJSON, "clickData"),
    Input({"type": ids.MAP_CRUMB, "kode": ALL}, "n_clicks"),
    Input({"type": ids.MAP_HIT, "kode": ALL}, "n_clicks"),
    State(ids.MAP_YEAR_ASKED, "data"), State(ids.MAP_STATE, "data"),
    State(ids.MAP_LAYER, "data"), State(ids.SHELL_LANG_STORE, "data"),
    prevent_initial_call="initial_duplicate",
)
def colour(*inputs: Any) -> tuple[Any, ...]:
    """Set the view asked and draw it: recolour, or point the map at new geometry.

    The year is the one the slider means (the year store); the server's year store only
    says when the browser has no colouring of it at hand.
    """
    indikator, _server_year, *controls, tahun, state, shown, lang = inputs
    if ctx.triggered_id is None:  # the page's first call: the URL's view
        view, slider, new_state = _view(state), no_update, no_update
    else:
        view, slider = asked_view(indikator, tahun, *controls, state, shown)
        if view is None:
            return (no_update, slider, *(no_update,) * 5)
        new_state = {**asdict(view), "messages": []}
    shown = _shown(shown)
    data, _summary, colouring, _behind = _cached(view, lang)
    layer, rebuild = data.layer, uses_canvas(data.layer) != shown["canvas"]
    fresh = not rebuild and layer.key != shown["key"]  # new boundaries follow the colouring
    _shown_view, layer_store, target = _drawn(view, data, tahun, shown.get("first", False))
    return (
        new_state, slider,
        geometry_url(layer, services().boundaries.version) if fresh else no_update,
        no_update if rebuild else {**colouring, "seq": time.time_ns() // 1000, "fresh": fresh},
        layer_store, target,
        # A renderer is chosen with the map (a canvas for all kecamatan).
        choropleth(layer, {**colouring, "seq": time.time_ns() // 1000},
                   services().boundaries.version) if rebuild
        else no_update,
    )


@callback(
    Output(ids.MAP_LEGEND, "children"), Output(ids.MAP_PANEL, "children"),
    Output(ids.MAP_STATUS, "children"), Output(ids.MAP_NOTICES, "children"),
    Output(ids.MAP_BREADCRUMB, "children"), Output(ids.MAP_LEVEL, "data"),
    Output(ids.MAP_BASE, "disabled"), Output(ids.MAP_METHOD, "disabled"),
    Input(ids.MAP_DRAWN, "data"), State(ids.MAP_STATE, "data"),
    State(ids.SHELL_LANG_STORE, "data"), prevent_initial_call=True,
)
def describe(_drawn: int, state: dict[str, Any], lang: str) -> tuple[Any, ...]:
    """Build the legend, side panel, badges, messages and breadcrumb of the view.

    Once the map has painted its colouring (the drawn store): the map is drawn first.
    """
    svc, view = services(), _view(state)
    chain = [*svc.registry.ancestors(view.kode), svc.registry.get(view.kode)]
    parts = _described(view, url_messages(f"{ids.MAP_STATE}.data.messages",
                                          state.get("messages")), lang)
    return (
        parts["legend"], parts["panel"], parts["status"], parts["notices"],
        breadcrumb(chain, lang), _level_data(view.kode, _cached(view, lang)[0].levels, lang),
        view.tampil != "perubahan", view.tampil == "perubahan",
    )


# A year change is shown by the browser alone, from what the server drew for every year
# of the view shown (fetched once per view, after it is drawn; only the years drawn on
# the same boundaries): the map at once, the legend, panel and URL after its paint. Only
# a year not at hand (other boundaries, a view still loading) is asked of the server.
dash.clientside_callback(
    dash.ClientsideFunction(namespace="mataGaruda", function_name="askPeriods"),
    Output(ids.MAP_PERIODS_ASK, "data"), Input(ids.MAP_DRAWN, "data"),
    State(ids.MAP_LAYER, "data"), State(ids.MAP_STATE, "data"),
    State(ids.MAP_PERIODS_ASK, "data"),
    prevent_initial_call=True,
)
# The slider's value becomes the period it means in the browser (a keyboard step lands
# between two marks: 2023.95), moving on from the period asked last, so quick steps never
# race the server; the map is recoloured at once where that year's colouring is at hand.
dash.clientside_callback(
    dash.ClientsideFunction(namespace="mataGaruda", function_name="askYear"),
    Output(ids.MAP_YEAR, "value", allow_duplicate=True), Output(ids.MAP_YEAR_ASKED, "data"),
    Output(ids.MAP_YEAR_SERVER, "data", allow_duplicate=True),
    Input(ids.MAP_YEAR, "value"), State(ids.MAP_YEAR, "marks"),
    State(ids.MAP_YEAR_ASKED, "data"), State(ids.MAP_PERIODS, "data"),
    State(ids.MAP_LAYER, "data"), State(ids.MAP_INDICATOR, "value"),
    prevent_initial_call=True,
)

# What a year shown by the browser sets, in one update (map.js showYear); the year's
# entry of year_colourings gives each output's value by component id.
_YEAR_OUTPUTS = ((ids.MAP_STATE, "data"), (ids.MAP_LAYER, "data"), (ids.MAP_LEGEND, "children"),
                 (ids.MAP_PANEL, "children"), (ids.MAP_STATUS, "children"),
                 (ids.MAP_NOTICES, "children"), (ids.MAP_EXPORT, "children"),
                 (ids.MAP_URL, "data"))
dash.clientside_callback(
    dash.ClientsideFunction(namespace="mataGaruda", function_name="yearView"),
    *[Output(c, p, allow_duplicate=True) for c, p in _YEAR_OUTPUTS],
    Input(ids.MAP_YEAR_VIEW, "data"), prevent_initial_call=True,
)

dash.clientside_callback(
    dash.ClientsideFunction(namespace="mataGaruda", function_name="holdYears"),
    Input(ids.MAP_PERIODS, "data"), Input(ids.MAP_LAYER, "data"),
    Input(ids.MAP_YEAR_ASKED, "data"), Input(ids.MAP_YEAR, "marks"),
)


@callback(
    Output(ids.MAP_PERIODS, "data"), Input(ids.MAP_PERIODS_ASK, "data"),
    State(ids.SHELL_LANG_STORE, "data"), prevent_initial_call=True,
)
def year_colourings(asked: dict[str, Any], lang: str) -> dict[str, Any]:
    """Return every year of the view asked that is drawn on its layer, as the server draws it.

    For each year: its colouring, and what the page shows with it (the view and layer
    stores, the address bar, legend, side panel, status line, notices and export links),
    from the same cache and functions as the server's answers. A year change then needs
    no request: the browser shows all of it (shell.js askYear).
    """
    if asked is None:  # the page was swapped (back, forward) while this was on its way
        return no_update
    asked = params.mapping(f"{ids.MAP_PERIODS_ASK}.data", asked)
    view = _view(asked.get("state"), f"{ids.MAP_PERIODS_ASK}.data.state")
    layer = params.text(f"{ids.MAP_PERIODS_ASK}.data.layer", asked.get("layer"), limit=200)
    key = params.text(f"{ids.MAP_PERIODS_ASK}.data.key", asked.get("key"), limit=2000)
    periods = services().catalogue[view.indikator].shown_periods
    colourings, views = {}, {}
    for period in periods:
        year = replace(view, tahun=period)
        data, _summary, colouring, _behind = _cached(year, lang)
        if data.period == period and data.layer.key == layer:
            colourings[str(period)] = colouring
            shown_view, layer_store, target = _drawn(year, data, period, first=False)
            parts = _described(year, [], lang)
            views[str(period)] = {  # the outputs of yearView, by component id
                ids.MAP_STATE: {**asdict(year), "messages": []}, ids.MAP_LAYER: layer_store,
                ids.MAP_LEGEND: parts["legend"], ids.MAP_PANEL: parts["panel"],
                ids.MAP_STATUS: parts["status"], ids.MAP_NOTICES: parts["notices"],
                ids.MAP_EXPORT: export_links(view_export_href(shown_view), lang, MAP_FORMATS),
                ids.MAP_URL: target,
            }
    return {"key": key, "colourings": colourings, "views": views}


@callback(
    Output(ids.MAP_EXPORT, "children"), Input(ids.MAP_DRAWN, "data"),
    State(ids.MAP_LAYER, "data"), State(ids.SHELL_LANG_STORE, "data"),
    prevent_initial_call=True,
)
def export_view(_drawn: int, shown: dict[str, Any], lang: str) -> Any:
    """Point the download links at the view shown (its year and classes resolved)."""
    view = _shown(shown).get("view")
    if view is None:
        return no_update
    return export_links(view_export_href(view), lang, MAP_FORMATS)


def _levels(ind: Indicator) -> tuple[Level, ...]:
    """Return the map levels ``ind`` has values at (:func:`data_levels`, server cache)."""
    svc = services()

    def compute() -> tuple[Level, ...]:
        with svc.engine.connect() as conn:
            return data_levels(conn, ind)

    return svc.cached(f"levels|{ind.id}", compute)


def _level_data(kode: str, levels: tuple[Level, ...], lang: str) -> list[dict[str, Any]]:
    """Return the level buttons: those above the region or without values are disabled."""
    depth = 0 if kode == NATIONAL_CODE else min(kode.count(".") + 1, 2)
    return [{"value": v, "label": t(f"peta.level.{v}", lang),
             "disabled": i < depth or v not in levels}
            for i, v in enumerate(LEVEL_OPTIONS)]


@callback(
    Output(ids.MAP_YEAR, "min"), Output(ids.MAP_YEAR, "max"), Output(ids.MAP_YEAR, "marks"),
    Output(ids.MAP_YEAR, "value"), Output(ids.MAP_BASE, "data"),
    Input(ids.MAP_INDICATOR, "value"), State(ids.MAP_YEAR, "value"),
    prevent_initial_call=True,
)
def indicator_periods(indikator: str, year: int) -> tuple[Any, ...]:
    """Fit the year slider to the periods the chosen indicator exists for."""
    periods = list(params.indicator(f"{ids.MAP_INDICATOR}.value", indikator,
                                    services().catalogue).shown_periods)
    value = year if year in periods else periods[-1]
    return periods[0], periods[-1], _marks(periods), value, [str(p) for p in periods[:-1]]


# The controls a view sets, in the order of View's fields (and the drawn level last).
_CONTROLS = ((ids.MAP_INDICATOR, "value"), (ids.MAP_YEAR, "value"), (ids.MAP_SHOW, "value"),
             (ids.MAP_BASE, "value"), (ids.MAP_METHOD, "value"), (ids.MAP_METHOD, "data"),
             (ids.MAP_CLASSES, "value"), (ids.MAP_PALETTE, "value"), (ids.MAP_LEVEL, "value"))


@callback(
    *[Output(c, p, allow_duplicate=True) for c, p in _CONTROLS],
    Input(ids.MAP_DRAWN, "data"), State(ids.MAP_LAYER, "data"),
    *[State(c, p) for c, p in _CONTROLS],
    State(ids.MAP_YEAR_ASKED, "data"), State(ids.SHELL_LANG_STORE, "data"),
    prevent_initial_call=True,
)
def show_view(_drawn: int, shown: dict[str, Any], *current: Any) -> tuple[Any, ...]:
    """Set every control to the view drawn, defaults resolved, so controls and map agree.

    The year shown (the latest with data), the classification drawn (quantiles where
    official categories were asked for but do not exist), the base year of a change and
    the level of the regions drawn. A view drawn for a year asked before the one asked
    now leaves the year alone: the user has moved on, and the newer view follows.
    """
    *values, asked, lang = current
    layer = _shown(shown)
    view = layer.get("view")
    if view is None:
        return (no_update,) * len(_CONTROLS)
    ind = services().catalogue[view.indikator]
    wanted = (view.indikator, view.tahun, view.tampil,
              None if view.dari is None else str(view.dari), view.method(ind),
              _method_data(ind, lang), str(view.n), view.palet, layer["key"].split(":")[0])
    stale = layer.get("asked") not in (None, asked)
    return tuple(no_update if new == old or (stale and control == (ids.MAP_YEAR, "value"))
                 else new for control, new, old in zip(_CONTROLS, wanted, values, strict=True))


# Playing through the years happens in the browser: the button starts and stops the
# interval, and each tick moves the slider to the next period (as a key would), stopping
# after the last; no tick waits for the server.
dash.clientside_callback(
    dash.ClientsideFunction(namespace="mataGaruda", function_name="togglePlay"),
    Output(ids.MAP_TICK, "disabled"), Input(ids.MAP_PLAY, "n_clicks"),
    State(ids.MAP_TICK, "disabled"), prevent_initial_call=True,
)
dash.clientside_callback(
    dash.ClientsideFunction(namespace="mataGaruda", function_name="playIcon"),
    Output(ids.MAP_PLAY, "children"), Input(ids.MAP_TICK, "disabled"),
)
dash.clientside_callback(
    dash.ClientsideFunction(namespace="mataGaruda", function_name="playStep"),
    Output(ids.MAP_YEAR, "value", allow_duplicate=True),
    Output(ids.MAP_TICK, "disabled", allow_duplicate=True),
    Input(ids.MAP_TICK, "n_intervals"), State(ids.MAP_YEAR_ASKED, "data"),
    State(ids.MAP_YEAR, "marks"), prevent_initial_call=True,
)


@callback(
    Output(ids.MAP_HITS, "children"), Input(ids.MAP_SEARCH, "value"),
    State(ids.SHELL_LANG_STORE, "data"), prevent_initial_call=True,
)
def search_hits(text: str | None, lang: str) -> Any:
    """List regions whose names match, tolerant of case, accents, "Kab." forms and typos."""
    text = params.text(f"{ids.MAP_SEARCH}.value", text, limit=100)
    if len(text.strip()) < 2:
        return None
    registry = services().registry
    found = registry.search(text, limit=10)
    if not found:
        return html.Div(t("peta.search.none", lang), className="peta-hit-none")
    return [html.Button(_search_label(r.code, r.name, registry), type="button",
                        className="peta-hit", id={"type": ids.MAP_HIT, "kode": r.code})
            for r in found]


# Empty the search box (and so its list) once a view is shown; an empty box is left as it
# is, so a year change asks the server nothing for it.
dash.clientside_callback(
    dash.ClientsideFunction(namespace="mataGaruda", function_name="clearSearch"),
    Output(ids.MAP_SEARCH, "value"), Input(ids.MAP_STATE, "data"),
    State(ids.MAP_SEARCH, "value"), prevent_initial_call=True,
)


def _search_label(code: str, name: str, registry: Any) -> str:
    parents = [a.name for a in registry.ancestors(code)[1:]]
    return f"{name} ({', '.join(reversed(parents))})" if parents else name


dash.clientside_callback(
    dash.ClientsideFunction(namespace="mataGaruda", function_name="afterColour"),
    Output(ids.MAP_URL, "clear_data"),
    Output(ids.MAP_YEAR_SERVER, "data", allow_duplicate=True), Input(ids.MAP_URL, "data"),
    Input(ids.MAP_COLOURING, "data"), State(ids.MAP_LAYER, "data"),
    State(ids.MAP_YEAR_ASKED, "data"), prevent_initial_call=True,
)
