"""Small status components: the DATA SIMULASI badge, notices, KPI figures."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import html

from i18n import t


def tip(child: Any, label: str, place: str = "", wide: bool = False) -> html.Span:
    """Return ``child`` with ``label`` shown on hover and keyboard focus (CSS only).

    ``place`` adds ``below`` (under the child, for the header) and ``end`` (right-aligned,
    for controls near the right edge). A Mantine Tooltip is a component Dash re-checks on
    every update of the page (it declares ``dashChildrenUpdate``): 13 of them cost a
    drill-down 200 ms of script.
    """
    return html.Span([child, html.Span(label, role="tooltip",
                                       className="tip-text" + (" wide" if wide else ""))],
                     className=f"tip {place}".strip())


def simulated_badge(text: str, lang: str) -> html.Span:
    """Return the DATA SIMULASI badge shown wherever simulated values appear.

    ``text`` says how much is simulated: ``DATA SIMULASI · 26 dari 38 wilayah``.
    """
    return tip(dmc.Badge(text, color="orange", variant="filled", size="lg",
                         className="simulated-badge"),
               t("simulated.note", lang), "below end", wide=True)


def notice(title: str, body: str, color: str = "yellow") -> dmc.Alert:
    """Return a notice box (no data yet, boundaries missing, bad link)."""
    return dmc.Alert(body, title=title, color=color, variant="light", className="notice")


def kpi(label: str, value: str, detail: str | None = None, tone: str | None = None, *,
        simulated: bool = False) -> dmc.Paper:
    """Return a KPI card: a label, a large value and an optional detail line.

    ``tone`` (``good`` or ``bad``) colours the value, e.g. a change for the better; a
    ``simulated`` value's card is drawn striped (its detail says DATA SIMULASI).
    """
    children = [dmc.Text(label, size="sm", c="dimmed"),
                dmc.Text(value, fz=32, fw=700, className=f"kpi-value kpi-{tone or 'plain'}")]
    if detail:
        children.append(dmc.Text(detail, size="xs", c="dimmed"))
    return dmc.Paper(html.Div(children), withBorder=True, p="md", radius="md",
                     className="kpi kpi-simulated" if simulated else "kpi")
