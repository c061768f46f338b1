"""Log audit: every sign-in and every change, for admins."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import Input, Output, callback, html

import ids
from auth.audit import audit_entries
from auth.scope import ADMIN_ROLES
from auth.web import page_account, require_page_account
from components.export import export_href, export_links
from components.status import notice
from i18n import t
from services import language, services

dash.register_page(__name__, path="/audit", title="Log audit · Mata Garuda", order=6,
                   nav_key="nav.audit", description="Log audit untuk admin", roles=ADMIN_ROLES)


def layout(**_query: str) -> html.Div:
    """Return the audit log page (admins only)."""
    lang = language()
    if page_account(__name__) is None:
        return html.Div(notice(t("audit.title", lang), t("audit.only", lang), "gray"))
    return html.Div([
        html.Div([dmc.Title(t("audit.title", lang), order=2),
                  html.Div(export_links(export_href("audit"), lang), id=ids.AUDIT_EXPORT)],
                 className="page-header"),
        dag.AgGrid(id=ids.AUDIT_GRID, rowData=[], columnDefs=[
            {"field": "at", "headerName": t("audit.at", lang), "width": 210},
            {"field": "username", "headerName": t("audit.user", lang), "width": 150},
            {"field": "action", "headerName": t("audit.action", lang), "width": 170},
            {"field": "target", "headerName": t("audit.target", lang), "flex": 1},
            {"field": "detail", "headerName": t("audit.detail", lang), "flex": 2},
            {"field": "remote_addr", "headerName": "IP", "width": 130},
        ], defaultColDef={"sortable": True, "filter": True, "resizable": True},
            style={"height": "75vh"}, className="ag-theme-quartz"),
    ])


@callback(Output(ids.AUDIT_GRID, "rowData"), Input(ids.SHELL_LANG_STORE, "data"))
def fill(_lang: str) -> Any:
    """Load the newest entries; anyone but an admin is refused."""
    require_page_account(__name__, "read the audit log")
    with services().engine.connect() as conn:
        rows = audit_entries(conn)
    return [{**r, "at": r["at"].isoformat(timespec="seconds")} for r in rows]
