"""Kelengkapan data: which offices have submitted and verified their values, map and table."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import Input, Output, callback, html

import ids
from auth.scope import MINISTRY_ROLES
from auth.web import page_account, require_page_account
from components.completeness import (
    kabkota_note,
    status_colouring,
    status_legend,
    status_map,
    status_url,
)
from components.controls import indicator_select
from components.export import export_href, export_links
from components.status import kpi, notice
from i18n import t
from queries import params
from queries.defaults import DEFAULT_INDICATORS
from queries.entry import OFFICE_LEVELS, completeness
from services import language, services

dash.register_page(__name__, path="/kelengkapan", title="Kelengkapan data · Mata Garuda",
                   order=5, nav_key="nav.kelengkapan",
                   description="Kelengkapan pengisian data per kantor Kesbangpol",
                   roles=MINISTRY_ROLES)



def layout(**_query: str) -> html.Div:
    """Return the completeness page (for admin and pusat)."""
    lang = language()
    if page_account(__name__) is None:
        return html.Div(notice(t("kelengkapan.title", lang), t("kelengkapan.only", lang), "gray"))
    catalogue = services().catalogue
    ind = catalogue[DEFAULT_INDICATORS["kelengkapan"]]
    return html.Div([
        dmc.Title(t("kelengkapan.title", lang), order=2, mb="sm"),
        dmc.Group([
            indicator_select(ids.COMPLETENESS_INDICATOR, catalogue, ind.id, lang),
            dmc.Select(id=ids.COMPLETENESS_PERIOD, label=t("peta.year", lang), w=110,
                       value=str(ind.periods[-1]), allowDeselect=False,
                       data=[str(p) for p in ind.periods]),
            dmc.SegmentedControl(id=ids.COMPLETENESS_LEVEL, value="provinsi", data=_levels(
                OFFICE_LEVELS, lang)),
            html.Div(id=ids.COMPLETENESS_EXPORT),
        ], align="flex-end", mb="sm"),
        html.Div(id=ids.COMPLETENESS_SUMMARY, className="kpi-row"),
        html.Div([
            html.Div([status_map("provinsi", services().boundaries.version),
                      html.Div(id=ids.COMPLETENESS_LEGEND, className="peta-legend lengkap-legend")],
                     className="lengkap-map-box"),
            dag.AgGrid(id=ids.COMPLETENESS_GRID, rowData=[], columnDefs=_columns(lang),
                       defaultColDef={"sortable": True, "filter": True, "resizable": True},
                       className="ag-theme-quartz lengkap-grid"),
        ], className="lengkap-body"),
    ])


def _levels(levels: tuple[str, ...], lang: str) -> list[dict[str, Any]]:
    return [{"value": level, "label": t(f"peta.level.{level}", lang),
             "disabled": level not in levels} for level in OFFICE_LEVELS]


def _columns(lang: str, level: str = "provinsi") -> list[dict[str, Any]]:
    return [
        {"field": "code", "headerName": t("col.code", lang), "width": 85},
        {"field": "name", "headerName": t("kelengkapan.office", lang), "flex": 2,
         "minWidth": 170},
        {"field": "parent", "headerName": t("col.region", lang), "flex": 1, "minWidth": 120,
         "hide": level == "provinsi"},
        {"field": "status_label", "headerName": t("isian.status", lang), "width": 130},
        {"field": "recorded_by", "headerName": t("kelengkapan.by", lang), "width": 100},
        {"field": "kab_submitted", "headerName": t("kelengkapan.kab", lang), "width": 150,
         "hide": level != "provinsi", "filter": "agNumberColumnFilter",
         "valueFormatter": {"function": "params.value == null ? '–' : params.value + ' / ' + "
                                        "params.data.kab_offices"},
         "tooltipField": "kab_note"},
    ]


@callback(
    Output(ids.COMPLETENESS_PERIOD, "data"), Output(ids.COMPLETENESS_PERIOD, "value"),
    Output(ids.COMPLETENESS_LEVEL, "data"), Output(ids.COMPLETENESS_LEVEL, "value"),
    Output(ids.COMPLETENESS_SUMMARY, "children"), Output(ids.COMPLETENESS_GRID, "rowData"),
    Output(ids.COMPLETENESS_GRID, "columnDefs"),
    Output(ids.COMPLETENESS_GEOJSON, "url"), Output(ids.COMPLETENESS_GEOJSON, "hideout"),
    Output(ids.COMPLETENESS_LEGEND, "children"), Output(ids.COMPLETENESS_EXPORT, "children"),
    Input(ids.COMPLETENESS_INDICATOR, "value"), Input(ids.COMPLETENESS_PERIOD, "value"),
    Input(ids.COMPLETENESS_LEVEL, "value"), Input(ids.SHELL_LANG_STORE, "data"),
)
def fill(indikator: str, period: str, level: str, lang: str) -> tuple[Any, ...]:
    """Count the offices that submitted and verified; map and list one level's offices."""
    require_page_account(__name__, "read the completeness of offices")
    svc = services()
    ind = params.indicator(f"{ids.COMPLETENESS_INDICATOR}.value", indikator, svc.catalogue)
    year = params.optional_integer(f"{ids.COMPLETENESS_PERIOD}.value", period)
    year = year if year in ind.periods else ind.periods[-1]
    with svc.engine.connect() as conn:
        found = completeness(conn, svc.registry, ind, year)
    levels = found.levels
    level = level if level in levels else levels[0]
    offices = found.of_level(level)
    cards = [kpi(t(f"peta.level.{r['level']}", lang),
                 t("kelengkapan.count", lang, n=r["submitted"], total=r["offices"]),
                 t("kelengkapan.verified", lang, n=r["verified"]))
             for r in found.counts.iter_rows(named=True)]
    rows = [{**r, "parent": svc.registry.name(r["parent_code"]),
             "kab_note": kabkota_note(r, lang),
             "status_label": t(f"status.{r['status']}", lang) if r["status"]
             else t("kelengkapan.none", lang)} for r in offices.to_dicts()]
    return ([str(p) for p in ind.periods], str(year), _levels(levels, lang), level, cards, rows,
            _columns(lang, level), status_url(level, svc.boundaries.version),
            status_colouring(offices, lang),
            status_legend(offices, f"{ind.short_name} {year}", lang),
            export_links(export_href("kelengkapan", {"indikator": ind.id, "tahun": year,
                                                     "tingkat": level}), lang))


dash.clientside_callback(
    dash.ClientsideFunction(namespace="mataGaruda", function_name="afterStatus"),
    Output(ids.COMPLETENESS_LEGEND, "className"), Input(ids.COMPLETENESS_GEOJSON, "hideout"),
    prevent_initial_call=True,
)
