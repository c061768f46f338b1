"""Flask blueprint serving table exports: ``GET /ekspor/<table>.csv`` and ``.xlsx``.

- ``/ekspor/peta``: the map view's parameters (``kode``, the region of the map's path,
  ``indikator``, ``tahun``, ``tampil``, ``dari``, ``kelas``, ``n``, ``tingkat``); every
  account, and anyone with public view.
- ``/ekspor/tabel``: ``indikator`` (default ``idi``), ``tahun``; as the map.
- ``/ekspor/isian``: ``indikator``, ``tahun``, ``kode``; the roles of the ``/isian`` page
  (operators, pusat and admin), within their scope.
- ``/ekspor/kelengkapan``: ``indikator``, ``tahun``, ``tingkat``; the roles of its page
  (admin and pusat).
- ``/ekspor/audit``: the roles of its page (admin).
- ``/ekspor/catatan.csv``: ``aliran``, ``wilayah``, ``tahun``, ``pemilu``: the records of
  ``/catatan``,
  streamed (CSV only: a selection may hold up to a spreadsheet's million rows); every
  account, within its scope.

``/ekspor/peta`` also answers ``.png``, ``.svg`` and ``.pdf``: the map view as an image
(:mod:`export.image`), with the same parameters and access as its table.
``/ekspor/tren`` answers all five: the side panel's trend chart of the map view's region
(:mod:`export.trend`), with the map's parameters and access.
Another extension than ``csv`` or ``xlsx`` (or these for the map and trend) is 404. A bad parameter
raises :class:`~queries.params.ParameterError`, which the app answers with 400 and a
message naming it. Signing in is enforced by the app's guard
(:mod:`auth.web`: anonymous requests go to the sign-in page, or with public view reach
only the public routes, the others answering 401); a region outside the account's scope or
a role without access raises :class:`~auth.scope.ScopeError`, which the app answers with a
logged 403. Exports of non-public tables are written to the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Final, cast

import flask
from werkzeug.datastructures import MultiDict

from auth.accounts import Account
from auth.audit import audit
from auth.web import require_page_account
from export.files import (
    FORMATS,
    IMAGE_FORMATS,
    IMAGE_MIMETYPES,
    MIMETYPES,
    PREFIX,
    ImageFormat,
    Table,
    csv_chunks,
    to_csv,
    to_xlsx,
)
from export.image import map_image
from export.tables import (
    audit_export,
    completeness_export,
    entry_export,
    map_export,
    map_name,
    province_export,
    records_export,
)
from export.trend import trend, trend_image, trend_name, trend_table
from geodata.boundaries import BoundariesMissingError
from geodata.registry import Level
from geodata.serve import UnknownViewError
from i18n import Message, t
from queries import params
from queries.catalogue import Indicator
from queries.classify import METHODS
from queries.defaults import DEFAULT_INDICATORS
from queries.entry import OFFICE_LEVELS
from queries.mapview import View, map_data, parse_view
from queries.records import parse_selection, province_codes
from services import language, services

log = logging.getLogger("mata_garuda.export")
FMT = f"<any({', '.join(FORMATS)}):fmt>"
IMAGE_FMT = f"<any({', '.join(IMAGE_FORMATS)}):fmt>"
# parse_view's fallback messages, by the parameter they are about
_VIEW_PARAMETERS = {"peta.error.kode": "kode", "peta.error.indikator": "indikator",
                    "peta.error.tahun": "tahun", "peta.error.kelas": "kelas"}
# Non-public tables: the page whose roles they follow.
_PAGES: Final = {"isian": "pages.entry", "kelengkapan": "pages.completeness",
                 "audit": "pages.audit", "catatan": "pages.records"}


def _now() -> datetime:
    return datetime.now(UTC)


def _indicator(args: MultiDict[str, str], table: str) -> Indicator:
    """Return the ``indikator`` asked for, else the default of the export's page."""
    return params.indicator("indikator", args.get("indikator") or DEFAULT_INDICATORS[table],
                            services().catalogue)


def _period(args: MultiDict[str, str], periods: Sequence[int]) -> int | None:
    """Return the ``tahun`` asked for, None when absent; refuse one not in ``periods``."""
    text = args.get("tahun")
    return params.period("tahun", text, periods) if text else None


def _view(args: MultiDict[str, str]) -> View:
    """Read the map's view from the query; any part the map would replace is refused."""
    svc = services()
    view, messages = parse_view(args.get("kode"), args, svc.registry, svc.catalogue)
    expected: dict[str, str | Message] = {
        "kode": Message("request.expected.kode"), "indikator": ", ".join(svc.catalogue),
        "kelas": ", ".join(METHODS)}
    if messages:
        name = _VIEW_PARAMETERS[messages[0][0]]
        raise params.ParameterError(name, args.get(name), expected.get(name, ""))
    _period(args, svc.catalogue[view.indikator].shown_periods)
    return view


def _account(table: str) -> Account:
    """Return the signed-in account if it may open the page whose table is exported.

    The export of ``/isian`` follows the roles of the ``/isian`` page, and so on.
    """
    return require_page_account(_PAGES[table], f"export {table}")


def _attachment(body: bytes | Iterator[bytes], content_type: str,
                filename: str) -> flask.Response:
    response = flask.Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _send(table: Table, fmt: str) -> flask.Response:
    body = to_csv(table) if fmt == "csv" else to_xlsx(table)
    return _attachment(body, MIMETYPES[fmt], f"{table.name}.{fmt}")


def _send_image(body: bytes, fmt: ImageFormat, name: str) -> flask.Response:
    return _attachment(body, IMAGE_MIMETYPES[fmt], f"{name}.{fmt}")


def _send_recorded(account: Account, table: Table, fmt: str) -> flask.Response:
    """Send a non-public table and write who exported what to the audit log."""
    response = _send(table, fmt)
    with services().engine.begin() as conn:
        audit(conn, account.username, "export",
              f"{table.name.removeprefix(PREFIX + '_')}.{fmt}", f"{table.frame.height} rows",
              flask.request.remote_addr or "")
    return response


def _error(status: int, message: str) -> flask.Response:
    """Answer with a JSON error (refusals, 401 and 403, are answered by :mod:`auth.web`)."""
    response = flask.jsonify(error=message)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _no_boundaries(exc: BoundariesMissingError) -> flask.Response:
    log.warning("map image without boundaries: %s", exc)
    return _error(503, t("boundaries.missing", language()))


def _no_view(exc: UnknownViewError) -> flask.Response:
    return _error(404, str(exc))


def _unknown(_rest: str) -> flask.Response:
    # Without this, Dash would answer any path with its page shell (200).
    return _error(404, "no such export: tables peta, tren, tabel, isian, kelengkapan, audit,"
                       " catatan; formats csv, xlsx (peta and tren also png, svg, pdf;"
                       " catatan csv only)")


def _map_table(fmt: str) -> flask.Response:
    svc, view = services(), _view(flask.request.args)
    with svc.engine.connect() as conn:
        table = map_export(conn, view, svc.registry, svc.catalogue, _now(), language(),
                           demo=svc.settings.show_simulated)
    return _send(table, fmt)


def _map_image(fmt: ImageFormat) -> flask.Response:
    svc, view, lang = services(), _view(flask.request.args), language()
    with svc.engine.connect() as conn:
        data = map_data(conn, view, svc.registry, svc.catalogue, lang,
                        demo=svc.settings.show_simulated)
    regions = svc.boundaries.simplified(data.layer.level, data.layer.parent, data.layer.vintage)
    body = map_image(data, regions, svc.registry, _now(), fmt, lang)
    return _send_image(body, fmt, map_name(data))


def _trend_table(fmt: str) -> flask.Response:
    svc, view, lang = services(), _view(flask.request.args), language()
    with svc.engine.connect() as conn:
        found = trend(conn, view, svc.registry, svc.catalogue, lang,
                      demo=svc.settings.show_simulated)
    return _send(trend_table(found, _now(), lang), fmt)


def _trend_image(fmt: ImageFormat) -> flask.Response:
    svc, view, lang = services(), _view(flask.request.args), language()
    with svc.engine.connect() as conn:
        found = trend(conn, view, svc.registry, svc.catalogue, lang,
                      demo=svc.settings.show_simulated)
    return _send_image(trend_image(found, _now(), fmt, lang), fmt, trend_name(found))


def _province_table(fmt: str) -> flask.Response:
    svc, ind = services(), _indicator(flask.request.args, "tabel")
    period = _period(flask.request.args, ind.shown_periods)
    with svc.engine.connect() as conn:
        table = province_export(conn, ind, period, _now(), language(),
                                demo=svc.settings.show_simulated)
    return _send(table, fmt)


def _entry_table(fmt: str) -> flask.Response:
    account, svc, args = _account("isian"), services(), flask.request.args
    ind = _indicator(args, "isian")
    period = _period(args, ind.periods) or ind.periods[-1]
    kode = params.region("kode", args["kode"], svc.registry) if args.get("kode") else None
    with svc.engine.connect() as conn:
        table = entry_export(conn, svc.registry, account.scope, ind, period, _now(),
                             kode=kode, lang=language())
    return _send_recorded(account, table, fmt)


def _completeness_table(fmt: str) -> flask.Response:
    account, svc = _account("kelengkapan"), services()
    ind = _indicator(flask.request.args, "kelengkapan")
    period = _period(flask.request.args, ind.periods) or ind.periods[-1]
    level = cast("Level | None", params.optional_choice(
        "tingkat", flask.request.args.get("tingkat"), OFFICE_LEVELS))
    with svc.engine.connect() as conn:
        table = completeness_export(conn, svc.registry, ind, period, _now(), language(),
                                    level=level)
    return _send_recorded(account, table, fmt)


def _audit_log(fmt: str) -> flask.Response:
    account = _account("audit")
    with services().engine.connect() as conn:
        table = audit_export(conn, _now(), language())
    return _send_recorded(account, table, fmt)


def _records() -> flask.Response:
    """Stream the records of a selection as CSV, and log who exported what."""
    account, svc, args = _account("catatan"), services(), flask.request.args
    selection = parse_selection(args.get("aliran"), args.get("wilayah"), args.get("tahun"),
                                svc.registry, args.get("pemilu"))
    found = records_export(svc.lake, account.scope, selection, province_codes(svc.registry),
                           language())
    with svc.engine.begin() as conn:
        audit(conn, account.username, "export", "catatan.csv",
              f"{selection.aliran} {selection.wilayah} {selection.tahun}"
              f"{' ' + selection.pemilu if selection.pemilu else ''}:"
              f" {found.total} rows", flask.request.remote_addr or "")
    return _attachment(csv_chunks(found.columns, found.frames), MIMETYPES["csv"],
                       f"{found.name}.csv")


_ERROR_HANDLERS: Final = ((BoundariesMissingError, _no_boundaries),
                          (UnknownViewError, _no_view))
_ROUTES: Final = (
    ("/ekspor/<path:_rest>", _unknown),
    (f"/ekspor/peta.{FMT}", _map_table),
    (f"/ekspor/peta.{IMAGE_FMT}", _map_image),
    (f"/ekspor/tren.{FMT}", _trend_table),
    (f"/ekspor/tren.{IMAGE_FMT}", _trend_image),
    (f"/ekspor/tabel.{FMT}", _province_table),
    (f"/ekspor/isian.{FMT}", _entry_table),
    (f"/ekspor/kelengkapan.{FMT}", _completeness_table),
    (f"/ekspor/audit.{FMT}", _audit_log),
    ("/ekspor/catatan.csv", _records),
)


def export_blueprint() -> flask.Blueprint:
    """Return the blueprint serving the exports; register it on the server without a prefix.

    Returns
    -------
    flask.Blueprint
        Named ``"export"``, with the routes in the module's table. Each answers 200 with
        the file as an attachment (``Cache-Control: no-store``), 400 (through
        :class:`~queries.params.ParameterError`) with a JSON ``{"error": ...}`` naming a
        bad parameter, 401 without an account (non-public tables), 403 (through
        :class:`~auth.scope.ScopeError`) out of role or scope.
    """
    blueprint = flask.Blueprint("export", __name__)
    for error, handler in _ERROR_HANDLERS:
        blueprint.register_error_handler(error, handler)
    for rule, view in _ROUTES:
        blueprint.add_url_rule(rule, view_func=view, methods=["GET"])
    return blueprint
