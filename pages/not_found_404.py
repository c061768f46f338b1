"""The page shown for an unknown address."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import html

from i18n import t
from services import language

dash.register_page(__name__, path="/404", title="Mata Garuda", order=99)


def layout(**_query: str) -> html.Div:
    """Return the not-found message with a link home."""
    lang = language()
    return html.Div([
        dmc.Title(t("notfound.title", lang), order=2),
        dmc.Anchor(t("notfound.body", lang), href="/"),
    ])
