"""Catatan: the records behind a record-derived value, a page at a time (``/catatan``).

``/catatan?aliran=tps&wilayah=32.73&tahun=2024``: the records of one stream whose region
is the region or inside it, dated in the year (``&pemilu=pilpres``: the TPS records of
one election). Every account may open it within its
scope (a provinsi or kab/kota office sees its own region only); the export
``/ekspor/catatan.csv`` takes the same query.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, callback, html

import ids
from auth.accounts import Account
from auth.scope import RECORD_ROLES
from auth.web import page_account, require_page_account
from components.export import export_href, export_links
from components.records import records_grid, records_rows
from components.status import notice
from i18n import format_number, t
from queries import params
from queries.params import ParameterError
from queries.records import (
    PAGE_SIZE,
    Selection,
    any_simulated,
    parse_selection,
    province_codes,
    records_count,
    records_page,
    region_name,
)
from services import language, services

dash.register_page(__name__, path="/catatan", title="Catatan · Mata Garuda", order=8,
                   description="Catatan di balik sebuah nilai", roles=RECORD_ROLES)


def layout(aliran: str | None = None, wilayah: str | None = None, tahun: str | None = None,
           pemilu: str | None = None, **_query: str) -> html.Div:
    """Return the records page for its URL; a bad or refused selection shows why."""
    lang = language()
    account = page_account(__name__)
    if account is None:
        return html.Div(notice(t("catatan.title", lang), t("catatan.only", lang), "gray"))
    try:
        selection = parse_selection(aliran, wilayah, tahun, services().registry, pemilu)
    except ParameterError as exc:
        return html.Div(notice(t("catatan.bad", lang), exc.text(lang)))
    if not account.scope.covers(selection.wilayah):
        return html.Div(notice(t("catatan.title", lang),
                               t("catatan.refused", lang, wilayah=selection.wilayah), "red"))
    registry = services().registry
    region = registry.name(selection.wilayah) if selection.wilayah in registry \
        else selection.wilayah
    stream = t(f"catatan.stream.{selection.aliran}", lang)
    heading = t("catatan.heading", lang, region=region, year=selection.tahun,
                stream=f"{stream} {selection.pemilu}" if selection.pemilu else stream)
    return html.Div([
        dash.dcc.Store(id=ids.RECORDS_STATE, data=selection.query()),
        html.Div([dmc.Title(heading, order=2),
                  html.Div(export_links(export_href("catatan", selection.query()), lang,
                                        ("csv",)), id=ids.RECORDS_EXPORT)],
                 className="page-header"),
        html.Div(id=ids.RECORDS_SUMMARY, className="records-summary"),
        records_grid(selection.aliran, lang),
    ])


def _selection(state: object) -> tuple[Account, Selection]:
    """Return the account and the selection a callback is for; refuse one out of scope."""
    account = require_page_account(__name__, "read records")
    name = f"{ids.RECORDS_STATE}.data"
    given = params.mapping(name, state)
    selection = parse_selection(given.get("aliran"), given.get("wilayah"), given.get("tahun"),
                                services().registry, given.get("pemilu"))
    account.scope.require(account.scope.covers(selection.wilayah), "read the records of",
                          selection.wilayah)
    return account, selection


def provinces() -> list[str]:
    """Return the province codes: the partitions of a national selection."""
    return province_codes(services().registry)


@callback(Output(ids.RECORDS_SUMMARY, "children"), Input(ids.RECORDS_STATE, "data"),
          State(ids.SHELL_LANG_STORE, "data"))
def summary(state: dict[str, Any], lang: str) -> Any:
    """Say how many records the selection has, whether any is simulated, and a desa's name.

    A desa is not in the registry the page's heading names regions from: its name comes
    from the region table.
    """
    _account, s = _selection(state)
    svc = services()
    lake = svc.lake
    name: list[Any] = []
    if s.wilayah not in svc.registry:
        with svc.engine.connect() as conn:
            found = region_name(conn, s.wilayah)
        name = [dmc.Text(f"{found} ({s.wilayah})", fw=500)] if found else []
    total = records_count(lake, s.aliran, s.wilayah, s.tahun, provinces=provinces(),
                          election=s.pemilu)
    if total == 0:
        return [*name, notice(t("catatan.title", lang), t("catatan.none", lang), "gray")]
    lines: list[Any] = [*name, dmc.Text(t("catatan.total", lang, n=total, count=format_number(
        total, 0, lang), size=PAGE_SIZE), c="dimmed")]
    if any_simulated(lake, s.aliran, s.wilayah, s.tahun, provinces=provinces(),
                     election=s.pemilu):
        lines.insert(len(name), dmc.Badge(t("simulated", lang), color="orange", variant="filled",
                                  className="simulated-badge"))
        lines.append(dmc.Text(t("catatan.simulated", lang), size="sm"))
    return lines


@callback(Output(ids.RECORDS_GRID, "getRowsResponse"),
          Input(ids.RECORDS_GRID, "getRowsRequest"), State(ids.RECORDS_STATE, "data"),
          prevent_initial_call=True)
def rows(request: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """Answer the grid's request for a block of rows with those rows and the total."""
    _account, s = _selection(state)
    asked = params.mapping(f"{ids.RECORDS_GRID}.getRowsRequest", request)
    start = params.integer(f"{ids.RECORDS_GRID}.getRowsRequest.startRow",
                           asked.get("startRow"), 0)
    end = params.integer(f"{ids.RECORDS_GRID}.getRowsRequest.endRow", asked.get("endRow"),
                         start, start + 10 * PAGE_SIZE)
    page, total = records_page(services().lake, s.aliran, s.wilayah, s.tahun, start,
                               end - start, provinces=provinces(), election=s.pemilu)
    return {"rowData": records_rows(page), "rowCount": total}
