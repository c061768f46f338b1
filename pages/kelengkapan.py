"""Kelengkapan data: which offices have submitted and verified their values."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
import flask
from dash import Input, Output, callback, html

import ids
from auth.web import current_account
from components.controls import indicator_select
from components.status import kpi, notice
from i18n import t
from queries.entries import completeness, office_status
from services import language, services

dash.register_page(__name__, path="/kelengkapan", title="Kelengkapan data · Mata Garuda",
                   order=5, nav_key="nav.kelengkapan",
                   description="Kelengkapan pengisian data per kantor Kesbangpol")


def layout(**_query: str) -> html.Div:
    """Return the completeness page (for admin and pusat)."""
    lang = language()
    account = current_account()
    if account is None or account.role not in ("admin", "pusat"):
        return html.Div(notice(t("kelengkapan.title", lang), t("kelengkapan.only", lang), "gray"))
    catalogue = services().catalogue
    ind = catalogue["turnout_pilkada"]
    return html.Div([
        dmc.Title(t("kelengkapan.title", lang), order=2, mb="sm"),
        dmc.Group([
            indicator_select(ids.LENGKAP_INDICATOR, catalogue, ind.id, lang),
            dmc.Select(id=ids.LENGKAP_PERIOD, label=t("peta.year", lang), w=110,
                       value=str(ind.periods[-1]), allowDeselect=False,
                       data=[str(p) for p in ind.periods]),
        ], align="flex-end", mb="sm"),
        html.Div(id=ids.LENGKAP_SUMMARY, className="kpi-row"),
        dag.AgGrid(id=ids.LENGKAP_GRID, rowData=[], columnDefs=[
            {"field": "code", "headerName": t("col.code", lang), "width": 110},
            {"field": "name", "headerName": t("kelengkapan.office", lang), "flex": 2},
            {"field": "status_label", "headerName": t("isian.status", lang), "flex": 1},
            {"field": "recorded_by", "headerName": t("kelengkapan.by", lang), "flex": 1},
        ], defaultColDef={"sortable": True, "filter": True, "resizable": True},
            style={"height": "55vh"}, className="ag-theme-quartz"),
    ])


@callback(
    Output(ids.LENGKAP_SUMMARY, "children"), Output(ids.LENGKAP_GRID, "rowData"),
    Input(ids.LENGKAP_INDICATOR, "value"), Input(ids.LENGKAP_PERIOD, "value"),
)
def fill(indikator: str, period: str) -> tuple[Any, Any]:
    """Count the offices that submitted and verified, and list every office's status."""
    account, svc, lang = current_account(), services(), language()
    if account is None or account.role not in ("admin", "pusat"):
        flask.abort(403)
    ind = svc.catalogue[indikator]
    year = int(period) if int(period) in ind.periods else ind.periods[-1]
    with svc.engine.connect() as conn:
        counts = completeness(conn, svc.registry, ind, year)
        offices = [office_status(conn, svc.registry, ind, year, level)
                   for level in counts["level"]]
    cards = [kpi(t(f"peta.level.{r['level']}", lang),
                 t("kelengkapan.count", lang, n=r["submitted"], total=r["offices"]),
                 t("kelengkapan.verified", lang, n=r["verified"]))
             for r in counts.iter_rows(named=True)]
    rows = [{**r, "status_label": t(f"status.{r['status']}", lang) if r["status"]
             else t("kelengkapan.none", lang)}
            for frame in offices for r in frame.to_dicts()]
    return cards, rows
