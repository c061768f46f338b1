"""Completeness map: every office coloured by the status of its own region's value."""

from __future__ import annotations

import time
from typing import Any

import dash_leaflet as dl
import polars as pl
from dash import html

import ids
from components.map import CENTER, HATCH, geometry_url
from i18n import t
from queries.mapview import Layer

# Status -> colour, the furthest step first (Okabe-Ito, distinguishable with colour
# blindness). Offices that entered nothing carry the hatch of missing data.
STATUS_COLORS: dict[str, str] = {
    "verified": "#009E73",
    "submitted": "#56B4E9",
    "draft": "#F0E442",
    "rejected": "#D55E00",
    "withdrawn": "#999999",
}
STATUSES = tuple(STATUS_COLORS)
FN = "mataGaruda.status."


def kabkota_note(row: dict[str, Any], lang: str) -> str | None:
    """Return "Kab/kota: 12 dari 27 mengajukan, 8 diverifikasi" for a province's row."""
    if row.get("kab_offices") is None:
        return None
    return t("kelengkapan.kab_note", lang, n=row["kab_submitted"], total=row["kab_offices"],
             verified=row["kab_verified"])


def status_colouring(offices: pl.DataFrame, lang: str) -> dict[str, Any]:
    """Return the hideout of the completeness map, read by ``assets/map.js``.

    ``offices`` has ``code, status, recorded_by`` (null status: nothing entered) and,
    for provinces, may have the ``kab_*`` counts of their kab/kota offices.
    """
    rows = {}
    for r in offices.iter_rows(named=True):
        note = kabkota_note(r, lang)
        if r["status"] is not None or note:
            status = None if r["status"] is None else STATUSES.index(r["status"])
            rows[r["code"]] = [status, r["recorded_by"], note]
    return {
        "d": rows, "colors": list(STATUS_COLORS.values()), "missing": HATCH,
        "labels": [t(f"status.{s}", lang) for s in STATUSES],
        "none": t("kelengkapan.none", lang), "by": t("kelengkapan.by", lang),
        "weight": 0.4 if offices.height > 100 else 0.8, "seq": time.time_ns() // 1000,
    }


def status_url(level: str, version: str) -> str:
    """Return the boundary URL of the offices of ``level``, nationally."""
    return geometry_url(Layer(level, None), version)  # type: ignore[arg-type]


def status_map(level: str, version: str) -> dl.Map:
    """Return the map of the offices of ``level`` (provinsi or kabkota), nationally."""
    return dl.Map(
        dl.GeoJSON(id=ids.COMPLETENESS_GEOJSON, url=status_url(level, version), hideout={},
                   style={"variable": FN + "style"},
                   onEachFeature={"variable": FN + "onEachFeature"}, zoomToBounds=True,
                   disableDefaultEventHandlers=True,
                   eventHandlers={"mouseover": {"variable": FN + "mouseover"},
                                  "mouseout": {"variable": FN + "mouseout"}}),
        center=CENTER, zoom=4, zoomSnap=0.25, minZoom=3, zoomAnimation=False,
        fadeAnimation=False, attributionControl=False, className="lengkap-map",
        style={"height": "100%", "width": "100%"},
    )


def status_legend(offices: pl.DataFrame, title: str, lang: str) -> list[Any]:
    """Return the legend: one swatch per status with its count, then the offices without."""
    counts = offices["status"].value_counts()
    count_of = dict(zip(counts["status"].to_list(), counts["count"].to_list(), strict=True))
    items = [html.Li([html.Span(className="swatch", style={"background": color}),
                      html.Span(t(f"status.{status}", lang), className="legend-label"),
                      html.Span(str(count_of.get(status, 0)), className="legend-count")])
             for status, color in STATUS_COLORS.items()]
    items.append(html.Li([html.Span(className="swatch swatch-missing"),
                          html.Span(t("kelengkapan.none", lang), className="legend-label"),
                          html.Span(str(count_of.get(None, 0)), className="legend-count")],
                         className="legend-missing"))
    return [html.Div(title, className="legend-title"), html.Ul(items)]
