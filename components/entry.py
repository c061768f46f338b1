"""Components of the data-entry page: the version history of one value."""

from __future__ import annotations

from dash import html

from i18n import format_number, t
from ingest.entry import EntryVersion


def version_table(versions: list[EntryVersion], title: str, lang: str) -> html.Div:
    """Return every version of a value, newest first, with who, when, status and reason."""
    header = html.Tr([html.Th(t(key, lang)) for key in (
        "isian.version", "audit.at", "audit.user", "isian.current", "isian.status",
        "isian.reason")])
    rows = [html.Tr([
        html.Td(str(v.version)), html.Td(v.recorded_at.strftime("%Y-%m-%d %H:%M")),
        html.Td(v.recorded_by), html.Td(format_number(v.value, 2, lang)),
        html.Td(t(f"status.{v.status}", lang)), html.Td(v.reason),
    ]) for v in reversed(versions)]
    if not rows:
        rows = [html.Tr(html.Td(t("isian.history.none", lang), colSpan=6))]
    return html.Div([html.Div(title, className="panel-subtitle"),
                     html.Table([html.Thead(header), html.Tbody(rows)],
                                className="version-table")])
