"""Components of the data-entry page: the indicator's help, its columns, value history."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import html

from i18n import format_number, t
from ingest.entry import EntryVersion
from queries.catalogue import Indicator


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


def indicator_help(ind: Indicator, lang: str) -> dmc.Alert:
    """Return what an operator needs before typing: name, unit, range, direction, notes."""
    facts = [
        (t("isian.help.unit", lang), ind.unit(lang)),
        (t("isian.help.range", lang), "; ".join(filter(None, [
            ind.range_note(lang), t("isian.help.decimals", lang, n=ind.decimals)
            if ind.decimals else ""]))),
        (t("isian.help.direction", lang), t(f"direction.{ind.direction}", lang)),
    ]
    notes = ind.notes_en if lang == "en" else ind.notes_id
    return dmc.Alert([
        html.Dl([item for label, text in facts for item in (html.Dt(label), html.Dd(text))],
                className="isian-facts"),
        dmc.Text(notes, size="sm") if notes else None,
        dmc.Text(t("isian.help.empty", lang), size="sm", c="dimmed"),
    ], title=f"{ind.name(lang)} ({ind.publisher})", color="blue", variant="light",
        className="isian-help")


def new_value_column(ind: Indicator, lang: str) -> dict[str, Any]:
    """Return the editable "new value" column: unit in the header, range checked as typed.

    A cell that is not a number or lies outside the scale turns red at once; the write
    path checks again and refuses it with a message.
    """
    low = "null" if ind.scale_min is None else repr(ind.scale_min)
    high = "null" if ind.scale_max is None else repr(ind.scale_max)
    whole = "true" if ind.decimals == 0 else "false"
    invalid = (f"isInvalidEntry(params.value, {low}, {high}, {whole})")
    return {"field": "new_value", "headerName": f"{t('isian.new', lang)} ({ind.unit(lang)})",
            "headerTooltip": ind.range_note(lang), "width": 190, "editable": True, "filter": False,
            "cellClass": "cell-editable",
            "cellClassRules": {"cell-invalid": invalid},
            "tooltipValueGetter": {"function": f"{invalid} ? "
                                               f"{t('isian.new.invalid', lang)!r} : null"}}
