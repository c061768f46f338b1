"""Components of the records behind a number: the records grid, links to it, the desa table."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash_ag_grid as dag
import polars as pl
from dash import dcc, html

import ids
from i18n import format_number, t
from lake.streams import STREAMS
from queries.records import PAGE_SIZE, RecordsBehind

RECORDS_PATH = "/catatan"
_NUMBERS = (pl.Int8, pl.Int32, pl.Int64, pl.Float64)


def records_href(stream: str, code: str, year: int, election: str | None = None) -> str:
    """Return the address of the records page: ``/catatan?aliran=tps&wilayah=32.73&tahun=2024``.

    ``election`` adds ``pemilu``: the TPS records of that election.
    """
    query: dict[str, object] = {"aliran": stream, "wilayah": code, "tahun": year}
    return f"{RECORDS_PATH}?{urlencode(query | ({'pemilu': election} if election else {}))}"


def records_link(stream: str, code: str, year: int, count: int, lang: str,
                 election: str | None = None) -> dcc.Link:
    """Return the link "Lihat N catatan" to the records of a value.

    A full page load (``refresh``): the map is not unmounted by the client mid-zoom.
    """
    return dcc.Link(t("catatan.link", lang, n=count, count=format_number(count, 0, lang)),
                    href=records_href(stream, code, year, election), id=ids.MAP_RECORDS,
                    className="records-link", refresh=True)


def records_grid(stream: str, lang: str) -> dag.AgGrid:
    """Return the records grid: the stream's columns, rows fetched a page at a time.

    The grid asks the server for each block of :data:`queries.records.PAGE_SIZE` rows
    (``getRowsRequest``), so a selection of millions of records is never sent whole.
    """
    schema = STREAMS[stream].schema
    columns: list[dict[str, Any]] = []
    for name, dtype in schema.items():
        column: dict[str, Any] = {"field": name, "headerName": t(f"catatan.col.{name}", lang),
                                  "sortable": False, "resizable": True}
        if dtype in _NUMBERS:
            column["type"] = "numericColumn"
        columns.append(column)
    return dag.AgGrid(
        id=ids.RECORDS_GRID, columnDefs=columns, rowModelType="infinite",
        dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE,
                         "paginationPageSizeSelector": False, "cacheBlockSize": PAGE_SIZE,
                         "maxBlocksInCache": 10, "animateRows": False},
        defaultColDef={"minWidth": 110}, style={"height": "70vh"},
        className="ag-theme-quartz records-grid",
    )


def records_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Return a page of records as grid rows (dates as ISO text)."""
    return frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d")).to_dicts()


def desa_table(frame: pl.DataFrame, *, stream: str, period: int, decimals: int,
               kecamatan: str, layer: bool, lang: str, election: str | None = None) -> html.Div:
    """Return the desa of a kecamatan with their value and record count.

    ``frame`` is :func:`queries.records.desa_values`. A desa without a value says
    "data tidak tersedia"; a simulated value is marked as in the top five (its full
    provenance in the cell's title). Without a desa
    boundary layer (``layer`` false) a line says the values are shown as a table.
    """
    head = html.Tr([html.Th(t("desa.name", lang)), html.Th(t("desa.value", lang, period=period)),
                    html.Th(t("desa.records", lang))])
    rows = []
    for r in frame.iter_rows(named=True):
        value, records = r["value"], r["records"]
        name: list[Any] = [r["name"]]
        if r["simulated"]:
            name.append(html.Span(t("provenance.simulated.short", lang),
                                  className="rank-simulated", title=r["provenance"]))
        rows.append(html.Tr([
            html.Td(name),
            html.Td(format_number(value, decimals, lang), title=r["provenance"],
                    className="desa-value" + (" cell-missing" if value is None else "")),
            html.Td("–" if records is None else dcc.Link(
                format_number(records, 0, lang),
                href=records_href(stream, r["code"], period, election),
                refresh=True), className="desa-records"),
        ], className="rank-row-simulated" if r["simulated"] else None))
    children: list[Any] = [html.Div(t("desa.title", lang, kecamatan=kecamatan),
                                    className="panel-subtitle")]
    if not layer:
        children.append(html.Div(t("desa.no_layer", lang), className="desa-note"))
    if rows:
        children.append(html.Table([html.Thead(head), html.Tbody(rows)],
                                   className="desa-table"))
    else:
        children.append(html.Div(t("desa.none", lang), className="desa-note"))
    return html.Div(children, id=ids.MAP_DESA, className="desa-box")


def records_section(found: RecordsBehind | None, *, name: str, decimals: int,
                    layer: bool, lang: str) -> html.Div | None:
    """Return the side panel's records part: the link to them, the desa of a kecamatan.

    None for a value not computed from records.
    """
    if found is None:
        return None
    children: list[Any] = []
    if found.count:  # a value without records (a published figure) has no link
        children.append(html.Div(records_link(found.stream, found.code, found.period,
                                              found.count, lang, found.election),
                                 className="records-row"))
    if found.desa is not None:
        children.append(desa_table(found.desa, stream=found.stream, period=found.period,
                                   decimals=decimals, kecamatan=name, layer=layer,
                                   lang=lang, election=found.election))
    return html.Div(children, className="peta-records")
