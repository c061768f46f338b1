"""Region tables (AG Grid): sortable, numbers in the interface language, missing shown as such."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag

from i18n import t


def region_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add the display source (publisher link, or the value's kind) to query records.

    The text is the value's provenance label; a simulated value's is bold.
    """
    rows = []
    for r in records:
        label = r.get("provenance") or ""
        if r.get("simulated"):
            source = f"**{label}**"
        elif r.get("kind") == "published" and r.get("source_url"):
            source = f"[{label} ↗]({r['source_url']})"
        else:
            source = label
        rows.append({**r, "source_display": source})
    return rows


def region_table(
    grid_id: str, records: list[dict[str, Any]], *, lang: str, decimals: int, unit: str
) -> dag.AgGrid:
    """Return a sortable table of regions with value, category, rank, change and source."""
    number = f"formatNumber(params.value, {decimals}, '{lang}')"
    columns = [
        {"field": "code", "headerName": t("col.code", lang), "width": 90},
        {"field": "name", "headerName": t("col.region", lang), "flex": 2, "minWidth": 180},
        {"field": "value", "headerName": f"{t('col.value', lang)} ({unit})", "flex": 1,
         "minWidth": 150, "type": "numericColumn", "valueFormatter": {"function": number},
         "cellClassRules": {"cell-missing": "params.value == null"}},
        {"field": "category", "headerName": t("col.category", lang), "flex": 1,
         "valueFormatter": {"function": f"params.value == null ? '{t('missing', lang)}'"
                                        " : params.value"},
         "cellClassRules": {"cell-missing": "params.value == null"}},
        {"field": "rank", "headerName": t("col.rank", lang), "width": 120,
         "type": "numericColumn"},
        {"field": "change", "headerName": t("col.change", lang), "width": 130,
         "type": "numericColumn",
         "valueFormatter": {"function": f"formatChange(params.value, {decimals}, "
                                        f"'{lang}')"}},
        {"field": "source_display", "headerName": t("col.source", lang), "flex": 1,
         "minWidth": 160, "cellRenderer": "markdown",
         "cellRendererParams": {"linkTarget": "_blank"}},
    ]
    return dag.AgGrid(
        id=grid_id,
        rowData=region_rows(records),
        columnDefs=columns,
        defaultColDef={"sortable": True, "resizable": True, "filter": False},
        dashGridOptions={"domLayout": "autoHeight", "animateRows": False,
                         "getRowId": "params.data.code"},
        getRowId="params.data.code",
        style={"width": "100%"},
        className="ag-theme-quartz region-table",
    )
