"""Tabel: every province's IDI for the latest period, with category and source."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
import polars as pl
from dash import Input, Output, callback, dcc, html

import ids
from components.export import export_href, export_links
from components.status import kpi, notice, simulated_badge
from components.table import region_table
from i18n import format_number, t
from queries.catalogue import Indicator, read_catalogue
from queries.defaults import DEFAULT_INDICATORS
from queries.indicators import indicator_values, latest_period
from queries.provenance import count_kinds, provenance_counts, simulated_label
from services import language, services

dash.register_page(
    __name__, path="/tabel", title="Tabel provinsi · Mata Garuda", order=2, nav_key="nav.tabel",
    description="Indeks Demokrasi Indonesia per provinsi",
)


def layout(**_query: str) -> html.Div:
    """Return the page skeleton; the callback fills it in the user's language."""
    lang = language()
    return html.Div([
        html.Div([dmc.Title(t("tabel.title", lang), order=2),
                  html.Div(export_links(export_href("tabel"), lang), id=ids.TABLE_EXPORT)],
                 className="page-header"),
        dmc.Text(t("tabel.description", lang), c="dimmed", mb="md"),
        dcc.Loading([html.Div(id=ids.TABLE_SUMMARY), html.Div(id=ids.TABLE_TABLE)],
                    type="dot", delay_show=300),
    ])


@callback(
    Output(ids.TABLE_SUMMARY, "children"),
    Output(ids.TABLE_TABLE, "children"),
    Input(ids.SHELL_LANG_STORE, "data"),
)
def fill(lang: str) -> tuple[object, object]:
    """Query the latest period and build the summary and the table."""
    svc = services()
    simulated = svc.settings.show_simulated
    with svc.engine.connect() as conn:
        ind = read_catalogue(conn)[DEFAULT_INDICATORS["tabel"]]
        period = latest_period(conn, ind, "provinsi", simulated=simulated)
        if period is None:
            return notice(t("nodata.title", lang), t("nodata.body", lang)), None
        frame = indicator_values(conn, ind, "provinsi", period, lang=lang, simulated=simulated)
        national = indicator_values(conn, ind, "nasional", period, lang=lang,
                                    simulated=simulated)
    return summary(ind, period, frame, national, lang), region_table(
        ids.TABLE_TABLE + "-grid", frame.to_dicts(), lang=lang, decimals=ind.decimals,
        unit=ind.unit(lang))


def summary(ind: Indicator, period: int, frame: pl.DataFrame, national: pl.DataFrame,
            lang: str) -> html.Div:
    """Build the KPI row: national value, counts by source, the simulated badge."""
    counts = count_kinds(frame)
    nat = national.row(0, named=True)
    items = [
        kpi(t("tabel.national", lang, name=ind.short_name, period=period),
            format_number(nat["value"], ind.decimals, lang), nat["provenance"],
            simulated=bool(nat["simulated"])),
        kpi(t("tabel.published", lang), f"{counts.official} / {counts.total}",
            provenance_counts(counts, lang)),
    ]
    breaks = [b for b in ind.breaks if b.period == period]
    row = [html.Div(items, className="kpi-row")]
    if counts.simulated or nat["simulated"]:
        row.insert(0, html.Div(simulated_badge(simulated_label(counts, lang), lang),
                               className="page-header"))
    if breaks:
        note = breaks[-1].note_en if lang == "en" else breaks[-1].note_id
        row.append(dmc.Alert(note, title=t("break.note", lang), color="blue", variant="light",
                             className="method-note", mb="md"))
    return html.Div(row)
