"""Isian data: an office enters, submits and verifies its regions' values."""

from __future__ import annotations

import logging
from typing import Any

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
import flask
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from sqlalchemy.exc import SQLAlchemyError

import ids
from auth.accounts import Account
from auth.scope import ENTRY_ROLES, VERIFY_ROLES
from auth.web import current_account, page_account
from components.controls import indicator_select
from components.entry import indicator_help, new_value_column, version_table
from components.export import export_href, export_links
from components.status import notice
from geodata.registry import NATIONAL_CODE
from i18n import t
from ingest.entry import ConflictError, EntryError, Target, act, history, restore
from queries import params
from queries.catalogue import Indicator
from queries.defaults import DEFAULT_INDICATORS
from queries.entry import entry_table
from services import language, services

dash.register_page(__name__, path="/isian", title="Isian data · Mata Garuda", order=3,
                   nav_key="nav.isian", description="Isian dan verifikasi data wilayah",
                   roles=ENTRY_ROLES)

log = logging.getLogger("mata_garuda.isian")


def layout(**_query: str) -> html.Div:
    """Return the entry page; viewers and anonymous visitors get a notice instead."""
    lang = language()
    account = page_account(__name__)
    if account is None:
        return html.Div(notice(t("isian.title", lang), t("isian.readonly", lang), "gray"))
    catalogue = services().catalogue
    ind = catalogue[DEFAULT_INDICATORS["isian"]]
    verifies = account.role in VERIFY_ROLES  # a kab/kota office only enters and submits
    return html.Div([
        dmc.Title(t("isian.title", lang), order=2),
        dmc.Text(t("isian.intro", lang, office=account.display_name), c="dimmed", mb="sm"),
        dcc.Store(id=ids.ENTRY_REFRESH, data=0),
        dmc.Group([
            indicator_select(ids.ENTRY_INDICATOR, catalogue, ind.id, lang),
            dmc.Select(id=ids.ENTRY_PERIOD, label=t("peta.year", lang), w=110,
                       value=str(ind.periods[-1]), allowDeselect=False,
                       data=[str(p) for p in ind.periods]),
            dmc.Select(id=ids.ENTRY_AREA, label=t("isian.area", lang), w=230,
                       value=account.region_code or NATIONAL_CODE, allowDeselect=False,
                       searchable=True, data=_areas(account, lang),
                       disabled=account.region_code is not None),
            dmc.TextInput(id=ids.ENTRY_COMMENT, label=t("isian.comment", lang), w=280,
                          display=None if verifies else "none"),
            html.Div(export_links(_export_href(ind, ind.periods[-1], None), lang),
                     id=ids.ENTRY_EXPORT),
        ], align="flex-end"),
        dmc.Group([
            dmc.Button(t(f"isian.{action}", lang), id={"type": ids.ENTRY_ACTION,
                                                        "action": action},
                       variant="filled" if action == "save" else "light")
            for action in ("save", "submit", *(("verify", "reject") if verifies else ()))
        ], my="sm"),
        html.Div(indicator_help(ind, lang), id=ids.ENTRY_HELP),
        html.Div(id=ids.ENTRY_MESSAGE),
        dag.AgGrid(id=ids.ENTRY_GRID, rowData=[], columnDefs=_columns(ind, lang),
                   defaultColDef={"sortable": True, "resizable": True, "filter": True},
                   dashGridOptions={"rowSelection": {"mode": "multiRow",
                                                     "selectAll": "filtered"},
                                    "stopEditingWhenCellsLoseFocus": True,
                                    "getRowId": "params.data.code"},
                   getRowId="params.data.code", style={"height": "52vh"},
                   className="ag-theme-quartz"),
        html.Div(id=ids.ENTRY_HISTORY, className="isian-history"),
        dmc.Group([
            dmc.NumberInput(id=ids.ENTRY_RESTORE_VERSION, label=t("isian.restore.version", lang),
                            min=1, w=140),
            dmc.Button(t("isian.restore", lang), id=ids.ENTRY_RESTORE, variant="outline"),
        ], align="flex-end", mt="xs"),
    ])


def _areas(account: Account, lang: str) -> list[dict[str, str]]:
    """Return the areas an account can list: its region, or the nation and each province."""
    registry = services().registry
    if account.region_code is not None:
        return [{"value": account.region_code, "label": registry.name(account.region_code)}]
    return [{"value": NATIONAL_CODE, "label": t("isian.area.national", lang)},
            *({"value": r.code, "label": r.name} for r in registry.children(NATIONAL_CODE))]


def _indicator(value: object) -> Indicator:
    return params.indicator(f"{ids.ENTRY_INDICATOR}.value", value, services().catalogue)


def _year(ind: Indicator, value: object) -> int:
    """Return the period chosen; the latest when none is, or the indicator lacks it."""
    year = params.optional_integer(f"{ids.ENTRY_PERIOD}.value", value)
    return year if year in ind.periods else ind.periods[-1]


def _root(area: object) -> str | None:
    """Return the region whose regions are listed: None for the nation and the provinces."""
    if area in (None, "", NATIONAL_CODE):
        return None
    return params.region(f"{ids.ENTRY_AREA}.value", area, services().registry)


def _refresh(value: object) -> int:
    return params.integer(f"{ids.ENTRY_REFRESH}.data", value)


def _export_href(ind: Indicator, year: int, area: str | None) -> str:
    return export_href("isian", {"indikator": ind.id, "tahun": year, "kode": area})


@callback(
    Output(ids.ENTRY_EXPORT, "children"),
    Input(ids.ENTRY_INDICATOR, "value"), Input(ids.ENTRY_PERIOD, "value"),
    Input(ids.ENTRY_AREA, "value"), State(ids.SHELL_LANG_STORE, "data"),
    prevent_initial_call=True,
)
def export_choice(indikator: str, period: str | None, area: str | None, lang: str) -> Any:
    """Point the download links at the indicator, period and area chosen."""
    ind = _indicator(indikator)
    return export_links(_export_href(ind, _year(ind, period), _root(area)), lang)


def _columns(ind: Indicator, lang: str) -> list[dict[str, Any]]:
    return [
        {"field": "code", "headerName": t("col.code", lang), "width": 105},
        {"field": "name", "headerName": t("isian.region", lang), "flex": 2, "minWidth": 160},
        {"field": "level_label", "headerName": t("peta.level", lang), "width": 115},
        {"field": "value", "headerName": t("isian.current", lang), "width": 125,
         "type": "numericColumn", "filter": "agNumberColumnFilter",
         "valueFormatter": {"function": f"params.value == null ? '–' : "
                                        f"formatNumber(params.value, {ind.decimals}, '{lang}')"}},
        {"field": "status_label", "headerName": t("isian.status", lang), "width": 130},
        {"field": "version", "headerName": "v", "width": 65, "filter": False},
        {"field": "last_reason", "headerName": t("isian.last_reason", lang), "flex": 1,
         "minWidth": 130, "tooltipField": "last_reason"},
        new_value_column(ind, lang),
        {"field": "reason", "headerName": t("isian.reason", lang), "flex": 1, "minWidth": 130,
         "editable": True, "cellClass": "cell-editable", "filter": False},
    ]


def refusal(exc: EntryError, lang: str) -> dmc.Alert:
    """Return the alert for a refused action: a conflict (orange) or bad input (red)."""
    conflict = isinstance(exc, ConflictError)
    return dmc.Alert(exc.message.text(lang), color="orange" if conflict else "red",
                     title=t("isian.conflict" if conflict else "isian.failed", lang))


@callback(
    Output(ids.ENTRY_HELP, "children"), Output(ids.ENTRY_GRID, "columnDefs"),
    Input(ids.ENTRY_INDICATOR, "value"), State(ids.SHELL_LANG_STORE, "data"),
    prevent_initial_call=True,
)
def describe(indikator: str, lang: str) -> tuple[Any, Any]:
    """Show the chosen indicator's unit, range and notes, and check typed values against it."""
    ind = _indicator(indikator)
    return indicator_help(ind, lang), _columns(ind, lang)


@callback(
    Output(ids.ENTRY_GRID, "rowData"), Output(ids.ENTRY_PERIOD, "data"),
    Input(ids.ENTRY_INDICATOR, "value"), Input(ids.ENTRY_PERIOD, "value"),
    Input(ids.ENTRY_REFRESH, "data"), Input(ids.ENTRY_AREA, "value"),
)
def load(indikator: str, period: str, _refresh: int, area: str | None) -> tuple[Any, Any]:
    """Show the regions of the area chosen (an office: its own) with their newest values."""
    account, svc = current_account(), services()
    if account is None:
        flask.abort(401)
    ind = _indicator(indikator)
    year, root = _year(ind, period), _root(area)
    with svc.engine.connect() as conn:
        frame = entry_table(conn, svc.registry, ind, year, account.scope.area(root))
    lang = language()
    # The newest version's reason (or rejection comment) is shown, not reused: a new
    # value gets the reason typed for it, or none.
    rows = [{**r, "status_label": t(f"status.{r['status']}", lang) if r["status"] else "–",
             "level_label": t(f"level.{r['level']}", lang), "last_reason": r["reason"],
             "reason": None} for r in frame.to_dicts()]
    return rows, [str(p) for p in ind.periods]


@callback(
    Output(ids.ENTRY_MESSAGE, "children"), Output(ids.ENTRY_REFRESH, "data"),
    Input({"type": ids.ENTRY_ACTION, "action": dash.ALL}, "n_clicks"),
    State(ids.ENTRY_GRID, "rowData"), State(ids.ENTRY_GRID, "selectedRows"),
    State(ids.ENTRY_INDICATOR, "value"), State(ids.ENTRY_PERIOD, "value"),
    State(ids.ENTRY_COMMENT, "value"), State(ids.ENTRY_REFRESH, "data"),
    State(ids.SHELL_LANG_STORE, "data"), prevent_initial_call=True,
)
def run(clicks: list[int | None], rows: list[dict[str, Any]], selected: list[dict[str, Any]],
        indikator: str, period: str, comment: str | None, refresh: int,
        lang: str) -> tuple[Any, Any]:
    """Save edits, or submit, verify or reject the selected rows, all or nothing."""
    account, svc = current_account(), services()
    trigger = ctx.triggered_id
    if account is None or not any(clicks) or not isinstance(trigger, dict):
        return no_update, no_update
    action, refresh = str(trigger["action"]), _refresh(refresh)
    chosen = params.entry_rows(f"{ids.ENTRY_GRID}.rowData", rows) if action == "save" else (
        params.entry_rows(f"{ids.ENTRY_GRID}.selectedRows", selected))
    ind = _indicator(indikator)
    year = params.integer(f"{ids.ENTRY_PERIOD}.value", period)
    comment = params.text(f"{ids.ENTRY_COMMENT}.value", comment)
    try:
        with svc.engine.begin() as conn:
            done = act(conn, svc.registry, account, ind, year, action, chosen, comment=comment,
                       remote_addr=flask.request.remote_addr or "")
    except EntryError as exc:
        return refusal(exc, lang), refresh + 1
    except SQLAlchemyError:
        log.exception("entry %s by %s failed", action, account.username)
        return dmc.Alert(t("isian.dberror", lang), color="red",
                         title=t("isian.failed", lang)), refresh + 1
    return dmc.Alert(t("isian.done", lang, n=done), color="green"), refresh + 1


@callback(
    Output(ids.ENTRY_HISTORY, "children"),
    Input(ids.ENTRY_GRID, "selectedRows"), Input(ids.ENTRY_REFRESH, "data"),
    State(ids.ENTRY_INDICATOR, "value"), State(ids.ENTRY_PERIOD, "value"),
    State(ids.SHELL_LANG_STORE, "data"), prevent_initial_call=True,
)
def show_history(selected: list[dict[str, Any]] | None, _refresh: int, indikator: str,
                 period: str, lang: str) -> Any:
    """Show every version of the one selected value: who, when, value, status, reason."""
    account, svc = current_account(), services()
    chosen = params.entry_rows(f"{ids.ENTRY_GRID}.selectedRows", selected)
    if account is None or len(chosen) != 1:
        return None
    code = params.region(f"{ids.ENTRY_GRID}.selectedRows.code", chosen[0]["code"], svc.registry)
    ind = _indicator(indikator)
    with svc.engine.connect() as conn:
        versions = history(conn, account.scope, ind.id, code, _year(ind, period))
    return version_table(versions, f"{t('isian.history', lang)}: {code} {svc.registry.name(code)}",
                         lang)


@callback(
    Output(ids.ENTRY_MESSAGE, "children", allow_duplicate=True),
    Output(ids.ENTRY_REFRESH, "data", allow_duplicate=True),
    Input(ids.ENTRY_RESTORE, "n_clicks"),
    State(ids.ENTRY_GRID, "selectedRows"), State(ids.ENTRY_RESTORE_VERSION, "value"),
    State(ids.ENTRY_INDICATOR, "value"), State(ids.ENTRY_PERIOD, "value"),
    State(ids.ENTRY_REFRESH, "data"), State(ids.SHELL_LANG_STORE, "data"),
    prevent_initial_call=True,
)
def restore_version(_clicks: int, selected: list[dict[str, Any]] | None, version: int | None,
                    indikator: str, period: str, refresh: int, lang: str) -> tuple[Any, Any]:
    """Bring back an earlier version of the selected value as a new draft."""
    account, svc = current_account(), services()
    chosen = params.entry_rows(f"{ids.ENTRY_GRID}.selectedRows", selected)
    from_version = params.optional_integer(f"{ids.ENTRY_RESTORE_VERSION}.value", version, low=1)
    if account is None or len(chosen) != 1 or from_version is None:
        return dmc.Alert(t("isian.restore.pick", lang), color="yellow"), no_update
    row, refresh = chosen[0], _refresh(refresh)
    target = Target(_indicator(indikator), row["code"],
                    params.integer(f"{ids.ENTRY_PERIOD}.value", period))
    try:
        with svc.engine.begin() as conn:
            restore(conn, svc.registry, account, target, from_version=from_version,
                    base_version=row["version"], remote_addr=flask.request.remote_addr or "")
    except EntryError as exc:
        return refusal(exc, lang), refresh + 1
    return dmc.Alert(t("isian.done", lang, n=1), color="green"), refresh + 1
