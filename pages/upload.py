"""Unggah data: download a template, upload it filled in, check the preview, then save."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

import dash
import dash_ag_grid as dag
import dash_mantine_components as dmc
import flask
from dash import Input, Output, State, callback, dcc, html, no_update

import ids
from auth.scope import ENTRY_ROLES
from auth.web import page_account, require_page_account
from components.controls import indicator_select
from components.status import notice
from i18n import Message, t
from ingest.entry import EntryError
from ingest.upload import (
    ParseSlots,
    UploadBusyError,
    UploadError,
    apply,
    preview,
    template,
    template_filename,
)
from queries import params
from queries.defaults import DEFAULT_INDICATORS
from services import language, services
from settings import UPLOAD_WAIT_SECONDS

dash.register_page(__name__, path="/unggah", title="Unggah data · Mata Garuda", order=4,
                   nav_key="nav.unggah", description="Unggah isian data dari templat",
                   roles=ENTRY_ROLES)

MAX_UPLOAD = 6 * 1024 * 1024  # bytes of the base64 the browser sends (the file: 5 MB)
SLOTS = "mata_garuda.upload_slots"  # the app's ParseSlots, in flask.Flask.extensions


def layout(**_query: str) -> html.Div:
    """Return the upload page for offices; others get a notice."""
    lang = language()
    if page_account(__name__) is None:
        return html.Div(notice(t("unggah.title", lang), t("isian.readonly", lang), "gray"))
    catalogue = services().catalogue
    return html.Div([
        dmc.Title(t("unggah.title", lang), order=2),
        dmc.Text(t("unggah.intro", lang), c="dimmed", mb="sm"),
        dcc.Store(id=ids.UPLOAD_TOKEN),
        dcc.Download(id=ids.UPLOAD_DOWNLOAD),
        dmc.Group([
            indicator_select(ids.UPLOAD_INDICATOR, catalogue, DEFAULT_INDICATORS["unggah"],
                             lang),
            dmc.TextInput(id=ids.UPLOAD_PERIOD, label=t("peta.year", lang), value="2024", w=90),
            dmc.Button(t("unggah.template.xlsx", lang), id=ids.UPLOAD_XLSX, variant="light"),
            dmc.Button(t("unggah.template.csv", lang), id=ids.UPLOAD_CSV, variant="subtle"),
        ], align="flex-end", mb="sm"),
        dcc.Upload(html.Div(t("unggah.drop", lang)), id=ids.UPLOAD_FILE, max_size=MAX_UPLOAD,
                   className="unggah-drop", multiple=False),
        dcc.Loading(html.Div(id=ids.UPLOAD_SUMMARY, className="unggah-summary"),
                    custom_spinner=dmc.Text(t("unggah.checking", lang), c="dimmed"),
                    delay_show=300),
        dag.AgGrid(id=ids.UPLOAD_GRID, rowData=[], columnDefs=[
            {"field": "row", "headerName": t("unggah.row", lang), "width": 80},
            {"field": "code", "headerName": t("col.code", lang), "width": 110},
            {"field": "name", "headerName": t("isian.region", lang), "flex": 1},
            {"field": "value", "headerName": t("isian.new", lang), "width": 110},
            {"field": "current", "headerName": t("isian.current", lang), "width": 120},
            {"field": "status", "headerName": t("isian.status", lang), "width": 110},
            {"field": "errors", "headerName": t("unggah.errors", lang), "flex": 2,
             "cellClassRules": {"cell-error": "params.value"}},
        ], defaultColDef={"sortable": True, "resizable": True}, style={"height": "45vh"},
            className="ag-theme-quartz"),
        dmc.Button(t("unggah.apply", lang), id=ids.UPLOAD_APPLY, mt="sm", disabled=True),
        html.Div(id=ids.UPLOAD_RESULT, className="unggah-result"),
    ])


@callback(
    Output(ids.UPLOAD_DOWNLOAD, "data"),
    Input(ids.UPLOAD_XLSX, "n_clicks"), Input(ids.UPLOAD_CSV, "n_clicks"),
    State(ids.UPLOAD_INDICATOR, "value"), State(ids.UPLOAD_PERIOD, "value"),
    State(ids.SHELL_LANG_STORE, "data"), prevent_initial_call=True,
)
def download(_xlsx: int, _csv: int, indikator: str, period: str, lang: str) -> Any:
    """Send the template of the office's regions for one indicator and period."""
    account, svc = require_page_account(__name__, "download a template"), services()
    fmt = "csv" if dash.ctx.triggered_id == ids.UPLOAD_CSV else "xlsx"
    ind = params.indicator(f"{ids.UPLOAD_INDICATOR}.value", indikator, svc.catalogue)
    typed = params.text(f"{ids.UPLOAD_PERIOD}.value", period).strip()
    year = (params.period(f"{ids.UPLOAD_PERIOD}.value", typed, ind.periods) if typed
            else ind.periods[-1])
    with svc.engine.connect() as conn:
        body = template(svc.registry, svc.catalogue, account, ind.id, year, fmt, lang,
                        conn=conn)
    return dcc.send_bytes(body, template_filename(ind.id, year, account, fmt))


def _slots() -> ParseSlots:
    """Return the app's upload slots (:mod:`ingest.upload.slots`), made on first use."""
    parsers = services().settings.upload_parsers
    slots: ParseSlots = flask.current_app.extensions.setdefault(
        SLOTS, ParseSlots(parsers, UPLOAD_WAIT_SECONDS))
    return slots


@callback(
    Output(ids.UPLOAD_GRID, "rowData"), Output(ids.UPLOAD_SUMMARY, "children"),
    Output(ids.UPLOAD_APPLY, "disabled"), Output(ids.UPLOAD_TOKEN, "data"),
    # The same content under another name or date is checked again (to show "unchanged").
    Input(ids.UPLOAD_FILE, "contents"), Input(ids.UPLOAD_FILE, "filename"),
    Input(ids.UPLOAD_FILE, "last_modified"), State(ids.SHELL_LANG_STORE, "data"),
    prevent_initial_call=True,
)
def check(contents: str | None, filename: str | None, _modified: int | None,
          lang: str) -> tuple[Any, ...]:
    """Check the uploaded file; keep the preview on the server under a token."""
    account, svc = require_page_account(__name__, "upload values"), services()
    if not contents or not filename:
        return no_update, no_update, no_update, no_update
    data = _file(contents)
    filename = params.text(f"{ids.UPLOAD_FILE}.filename", filename, limit=1000)
    try:
        with _slots().slot(), svc.engine.connect() as conn:
            result = preview(conn, svc.registry, svc.catalogue, account, filename, data)
    except UploadBusyError as exc:
        return [], dmc.Alert(exc.message.text(lang), color="yellow"), True, None
    token = uuid.uuid4().hex
    svc.cache.set(f"upload|{account.username}|{token}", result, timeout=3600)
    totals = ", ".join(f"{t('unggah.status.' + k, lang)}: {v}" for k, v in result.totals.items())
    summary = [dmc.Text(f"{filename}: {totals}", fw=600)]
    summary += [dmc.Alert(e.text(lang), color="red", variant="light", p="xs")
                for e in result.errors[:20]]
    rows = [{**r, "status": t(f"unggah.status.{r['status']}", lang)}
            for r in result.records(lang)]
    return rows, summary, not result.ok, token


def _file(contents: object) -> bytes:
    """Return the bytes of a file as ``dcc.Upload`` sends it: a base64 data URL."""
    name = f"{ids.UPLOAD_FILE}.contents"
    text = params.text(name, contents, limit=MAX_UPLOAD + 200)
    head, _, body = text.partition(",")
    try:
        if not head.startswith("data:") or not head.endswith(";base64"):
            raise ValueError(head)
        return base64.b64decode(body, validate=True)
    except (ValueError, binascii.Error):
        raise params.ParameterError(name, text, Message("request.expected.file")) from None


@callback(
    Output(ids.UPLOAD_RESULT, "children"), Output(ids.UPLOAD_APPLY, "disabled",
                                                  allow_duplicate=True),
    Input(ids.UPLOAD_APPLY, "n_clicks"), State(ids.UPLOAD_TOKEN, "data"),
    State(ids.SHELL_LANG_STORE, "data"), prevent_initial_call=True,
)
def save(_clicks: int, token: str | None, lang: str) -> tuple[Any, bool]:
    """Save the checked upload all or nothing; a stale preview is refused."""
    account, svc = require_page_account(__name__, "upload values"), services()
    token = params.text(f"{ids.UPLOAD_TOKEN}.data", token, limit=64)
    checked = svc.cache.get(f"upload|{account.username}|{token}") if token else None
    if checked is None:
        return dmc.Alert(t("unggah.expired", lang), color="yellow"), True
    try:
        with svc.engine.begin() as conn:
            report = apply(conn, svc.registry, svc.catalogue, account, checked,
                           flask.request.remote_addr or "")
    except (UploadError, EntryError) as exc:
        return dmc.Alert(exc.message.text(lang), color="red",
                         title=t("isian.failed", lang)), True
    svc.cache.delete(f"upload|{account.username}|{token}")
    return dmc.Alert(t("unggah.saved", lang, n=report.written), color="green"), True
