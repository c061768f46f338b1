"""Download links of a page's table: small "CSV" and "XLSX" buttons (the map: also images)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl, urlencode

import dash_mantine_components as dmc

from components.status import tip
from export.files import FORMATS, IMAGE_FORMATS
from geodata.registry import NATIONAL_CODE
from i18n import t
from queries.mapview import View, view_url

MAP_FORMATS: tuple[str, ...] = (*FORMATS, *IMAGE_FORMATS)
"""The map's downloads: its table, and the view as an image."""
TREND_FORMATS: tuple[str, ...] = (*IMAGE_FORMATS, *FORMATS)
"""The side panel's trend downloads: the chart as an image, and its data."""


def export_href(table: str, query: Mapping[str, object | None] | None = None) -> str:
    """Return the base address of an export, without the format: ``/ekspor/isian?tahun=2024``.

    Parameters that are None are left out.
    """
    given = {k: v for k, v in (query or {}).items() if v is not None and v != ""}
    return f"/ekspor/{table}" + (f"?{urlencode(given)}" if given else "")


def view_export_href(view: View) -> str:
    """Return the base address of the map view's export: the view's query plus ``kode``."""
    query = dict(parse_qsl(view_url(view).partition("?")[2]))
    return export_href("peta", {"kode": None if view.kode == NATIONAL_CODE else view.kode,
                                **query})


def trend_export_href(view: View) -> str:
    """Return the base address of the trend export of a view's region (the side panel's).

    Only what the trend depends on: the region, the indicator, the year (its target) and
    whether simulated values are hidden.
    """
    return export_href("tren", {"kode": None if view.kode == NATIONAL_CODE else view.kode,
                                "indikator": view.indikator, "tahun": view.tahun,
                                "resmi": 1 if view.resmi else None})


def export_links(base_href: str, lang: str, formats: Sequence[str] = FORMATS,
                 tooltip: str | None = None) -> dmc.Group:
    """Return a link per format for ``base_href`` (see :func:`export_href`): "CSV", "XLSX".

    ``formats`` may add the image formats of :data:`MAP_FORMATS` (the map page only).
    ``tooltip`` is the translation key of every link's tooltip (with ``{fmt}``); by
    default the table's, or the map's for an image.
    Plain links (``refresh``): the server answers with an attachment, so the browser
    downloads the file and stays on the page.
    """
    path, _, query = base_href.partition("?")
    links = []
    for fmt in formats:
        href = f"{path}.{fmt}" + (f"?{query}" if query else "")
        key = tooltip or ("export.image.tooltip" if fmt in IMAGE_FORMATS else "export.tooltip")
        label = t(key, lang, fmt=fmt.upper())
        links.append(tip(
            dmc.Anchor(fmt.upper(), href=href, refresh=True, underline="never", fz="xs",
                       fw=700, px=8, py=2, bd="1px solid var(--mantine-color-blue-3)",
                       bdrs="sm", className="export-link",
                       attributes={"root": {"aria-label": label}}),
            label, "end"))
    return dmc.Group([dmc.Text(t("export.label", lang), size="xs", c="dimmed"), *links],
                     gap=6, className="export-links")
