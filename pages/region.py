"""Wilayah: the map page focused on one region, ``/wilayah/<kode>``."""

from __future__ import annotations

import dash
from dash import html

from pages.map import layout as map_layout

dash.register_page(__name__, path_template="/wilayah/<kode>", title="Wilayah · Mata Garuda",
                   order=1, description="Peta indikator untuk satu wilayah")


def layout(kode: str | None = None, **query: str) -> html.Div:
    """Return the map page for the region ``kode`` (same components as the national map)."""
    return map_layout(kode=kode, **query)
