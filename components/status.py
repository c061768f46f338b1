"""Small status components: the DATA SIMULASI badge, notices, KPI figures."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import html

from i18n import t


def simulated_badge(text: str, lang: str) -> dmc.Tooltip:
    """Return the DATA SIMULASI badge shown wherever simulated values appear.

    ``text`` says how much is simulated: ``DATA SIMULASI · 26 dari 38 wilayah``.
    """
    return dmc.Tooltip(
        dmc.Badge(text, color="orange", variant="filled", size="lg",
                  className="simulated-badge"),
        label=t("simulated.note", lang), multiline=True, w=260,
    )


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
