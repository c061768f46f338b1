"""Every role against every region level, through pages, hand-made callbacks and exports.

The expected outcomes are written out here, region by region, rather than derived from
:class:`auth.scope.Scope`, so a change to the scope rules shows up as a failing row.
Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook

import ids
from app import create_app
from auth.accounts import add_account
from auth.scope import Scope
from geodata.registry import Registry
from ingest.bootstrap import prepare_database
from queries.db import make_engine
from queries.schema import observation
from settings import Settings
from tests.conftest import _database_url
from tests.test_entry_page import COMPLETENESS_OUTPUTS, callback

PASSWORD = "Uji-Akses-Wilayah-2026"
INDICATOR, PERIOD = "turnout_pilkada", "2024"  # defined down to kecamatan
ACCOUNTS = {  # username: (role, region)
    "admin": ("admin", None), "pusat": ("pusat", None), "jabar": ("provinsi", "32"),
    "kotabandung": ("kabkota", "32.73"), "pengamat": ("viewer", None),
}
# One region of every level, inside and outside the regional offices' regions.
REGIONS = ["ID", "32", "33", "32.73", "32.04", "33.01", "32.73.01", "33.01.01"]
WRITES = {
    "admin": set(REGIONS), "pusat": set(REGIONS),
    "jabar": {"32", "32.73", "32.04", "32.73.01"}, "kotabandung": {"32.73", "32.73.01"},
    "pengamat": set(),
}
VERIFIES = {
    "admin": set(REGIONS), "pusat": {"ID", "32", "33"},
    "jabar": {"32.73", "32.04", "32.73.01"}, "kotabandung": set(), "pengamat": set(),
}
READS = {  # whose unverified values (the history, the entry grid) a role may read
    "admin": set(REGIONS), "pusat": set(REGIONS), "pengamat": set(),
    "jabar": {"32", "32.73", "32.04", "32.73.01"}, "kotabandung": {"32.73", "32.73.01"},
}
EXPORTS = {  # the entered values of a region (and the regions in it), as a file
    "admin": set(REGIONS), "pusat": set(REGIONS), "pengamat": set(),
    "jabar": {"32", "32.73", "32.04", "32.73.01"}, "kotabandung": {"32.73", "32.73.01"},
}
PAGES = {  # page: roles that get the working page (others a notice saying whose it is)
    "/isian": {"admin", "pusat", "jabar", "kotabandung"},
    "/unggah": {"admin", "pusat", "jabar", "kotabandung"},
    "/kelengkapan": {"admin", "pusat"},
    "/audit": {"admin"},
}
PAGE_MARK = {"/isian": ids.ENTRY_GRID, "/unggah": ids.UPLOAD_FILE,
             "/kelengkapan": ids.COMPLETENESS_GRID, "/audit": ids.AUDIT_GRID}


@dataclass
class Site:
    """The app on one database, one signed-in test client per account."""

    engine: sa.Engine
    clients: dict[str, FlaskClient]
    anonymous: FlaskClient


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         pg_ok: bool, registry: Registry) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("access")
    for url in _database_url(request.param, tmp, pg_ok):
        engine = make_engine(url)
        prepare_database(engine, registry)
        with engine.begin() as conn:
            for username, (role, region) in ACCOUNTS.items():
                add_account(conn, registry, username=username, role=role, region_code=region,
                            password=PASSWORD)
        app = create_app(Settings(var_dir=tmp, database_url=url, boundaries_dir=tmp / "none",
                                  published_dir=tmp / "none"))
        app.server.config["TESTING"] = True
        clients = {name: _signed_in(app.server.test_client(), name) for name in ACCOUNTS}
        anonymous = app.server.test_client()
        anonymous.get("/health")  # a CSRF cookie, as any visit gets
        yield Site(engine, clients, anonymous)
        engine.dispose()


def _signed_in(client: FlaskClient, username: str) -> FlaskClient:
    page = client.get("/masuk").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/masuk", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf})
    assert response.status_code == 302, username
    return client


def post(client: FlaskClient, outputs: list[tuple[str, str]], inputs: list[object],
         state: list[dict[str, object]] | None = None,
         changed: list[str] | None = None) -> tuple[int, object]:
    """Post a hand-made Dash callback request; return the status and the JSON answer."""
    response = callback(client, outputs, inputs, state or [], changed)
    return response.status_code, response.get_json(silent=True)  # type: ignore[attr-defined]


def value(id_: str, prop: str, v: object) -> dict[str, object]:
    return {"id": id_, "property": prop, "value": v}


def newest(site: Site, code: str) -> tuple[int | None, str | None]:
    o = observation.c
    with site.engine.connect() as conn:
        row = conn.execute(sa.select(o.version, o.status).where(
            o.indicator_id == INDICATOR, o.region_code == code, o.period == int(PERIOD),
            o.source_kind == "entry").order_by(o.version.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (None, None)


def refusals(caplog: pytest.LogCaptureFixture, username: str, text: str) -> int:
    """Return how many refusals of ``username`` naming ``text`` were logged."""
    return sum(f"({username})" in r.getMessage() and text in r.getMessage()
               for r in caplog.records)


def entry_count(site: Site) -> int:
    with site.engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(observation)) or 0


def act(client: FlaskClient, action: str, code: str, version: int | None,
        new_value: str = "") -> tuple[int, object]:
    """Press one of the entry page's buttons for one row, as the page would send it."""
    row = {"code": code, "version": version, "new_value": new_value}
    return post(
        client, [(ids.ENTRY_MESSAGE, "children"), (ids.ENTRY_REFRESH, "data")],
        [[value({"type": ids.ENTRY_ACTION, "action": a}, "n_clicks", 1 if a == action else None)
          for a in ("save", "submit", "verify", "reject")]],
        [value(ids.ENTRY_GRID, "rowData", [row]), value(ids.ENTRY_GRID, "selectedRows", [row]),
         value(ids.ENTRY_INDICATOR, "value", INDICATOR), value(ids.ENTRY_PERIOD, "value", PERIOD),
         value(ids.ENTRY_COMMENT, "value", ""), value(ids.ENTRY_REFRESH, "data", 0),
         value(ids.SHELL_LANG_STORE, "data", "id")],
        [json.dumps({"action": action, "type": ids.ENTRY_ACTION}, separators=(",", ":"))
         + ".n_clicks"])


def page_text(client: FlaskClient, path: str) -> tuple[int, str]:
    """Render a page through Dash's own router callback, as a browser navigation does."""
    status, body = post(client, [("_pages_content", "children"), ("_pages_store", "data")],
                        [value("_pages_location", "pathname", path),
                         value("_pages_location", "search", "")])
    return status, json.dumps(body)


@pytest.mark.parametrize("path", sorted(PAGES))
def test_pages_by_role(site: Site, path: str) -> None:
    assert page_text(site.anonymous, path)[0] == 401
    for username, client in site.clients.items():
        status, text = page_text(client, path)
        assert status == 200, (username, path)
        assert (PAGE_MARK[path] in text) == (username in PAGES[path]), (username, path)


def test_entry_page_offers_verification_to_verifying_roles(site: Site) -> None:
    for username, client in site.clients.items():  # not to a kab/kota office nor a viewer
        shown = '"action": "verify"' in page_text(client, "/isian")[1]
        assert shown == (username in {"admin", "pusat", "jabar"}), username


def test_navigation_lists_the_pages_of_the_role(site: Site) -> None:
    for username, client in site.clients.items():
        layout = client.get("/_dash-layout").get_json()
        listed = {link["props"]["id"]["path"] for link in _nav_links(layout)}
        assert {"/", "/tabel"} <= listed, username
        for path, roles in PAGES.items():
            assert (path in listed) == (username in roles), (username, path)


def _nav_links(node: object) -> list[dict[str, Any]]:
    """Return the navigation links of a serialised layout."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        props = node.get("props", {})
        if isinstance(props.get("id"), dict) and props["id"].get("type") == ids.SHELL_NAV:
            found.append(node)
        for child in node.values():
            found += _nav_links(child)
    elif isinstance(node, list):
        for child in node:
            found += _nav_links(child)
    return found


def test_writes_by_role_and_level(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="mata_garuda.auth")
    for code in REGIONS:
        before = entry_count(site)
        assert act(site.anonymous, "save", code, None, "50")[0] == 401
        assert entry_count(site) == before
        for username, client in site.clients.items():
            version, state = newest(site, code)
            caplog.clear()
            status, body = act(client, "save", code, version, "61,5")
            saved = ((version or 0) + 1, "draft")
            assert (status, "1 nilai diproses" in json.dumps(body), newest(site, code),
                    entry_count(site) - before, refusals(caplog, username, f"may not write {code}")
                    ) == ((200, True, saved, 1, 0) if code in WRITES[username]
                          else (403, False, (version, state), 0, 1)), (username, code, body)
            before = entry_count(site)


def test_verification_by_role_and_level(site: Site) -> None:
    admin = site.clients["admin"]
    for code in REGIONS:
        for username, client in site.clients.items():
            version, _ = newest(site, code)
            assert act(admin, "save", code, version, "70")[0] == 200
            assert act(admin, "submit", code, (version or 0) + 1)[0] == 200
            submitted = (version or 0) + 2
            status, body = act(client, "verify", code, submitted)
            assert (status, newest(site, code)) == (
                (200, (submitted + 1, "verified")) if code in VERIFIES[username]
                else (403, (submitted, "submitted"))), (username, code, body)


def test_history_by_role_and_level(site: Site) -> None:
    admin = site.clients["admin"]
    for code in REGIONS:
        assert act(admin, "save", code, newest(site, code)[0], "55")[0] == 200
        for username, client in site.clients.items():
            status, body = post(
                client, [(ids.ENTRY_HISTORY, "children")],
                [value(ids.ENTRY_GRID, "selectedRows", [{"code": code, "name": code}]),
                 value(ids.ENTRY_REFRESH, "data", 0)],
                [value(ids.ENTRY_INDICATOR, "value", INDICATOR),
                 value(ids.ENTRY_PERIOD, "value", PERIOD),
                 value(ids.SHELL_LANG_STORE, "data", "id")])
            assert (status, "Riwayat perubahan" in json.dumps(body)) == (
                (200, True) if code in READS[username] else (403, False)), (username, code)


def test_unverified_values_by_role_and_level() -> None:
    for username, (role, region) in ACCOUNTS.items():
        scope = Scope(role, region)
        assert {c for c in REGIONS if scope.can_read_unverified(c)} == READS[username], username
        # The upload preview shows the stored value of the rows an office may write.
        assert WRITES[username] <= READS[username], username


def test_pages_showing_unverified_values_are_for_roles_that_read_them() -> None:
    """/kelengkapan shows every office's status and value, /isian the area's values."""
    for username, (role, region) in ACCOUNTS.items():
        scope = Scope(role, region)
        assert (username in PAGES["/kelengkapan"]) == scope.can_read_unverified("ID"), username
        assert (username in PAGES["/isian"]) == scope.can_read_unverified(region or "ID")


def grid_codes(client: FlaskClient, area: str | None) -> tuple[int, set[str]]:
    """Load the entry grid of ``area`` as the page does; return the status and the codes."""
    status, body = post(client, [(ids.ENTRY_GRID, "rowData"), (ids.ENTRY_PERIOD, "data")],
                        [value(ids.ENTRY_INDICATOR, "value", INDICATOR),
                         value(ids.ENTRY_PERIOD, "value", PERIOD),
                         value(ids.ENTRY_REFRESH, "data", 0), value(ids.ENTRY_AREA, "value", area)])
    if status != 200:
        return status, set()
    return status, {r["code"] for r in body["response"][ids.ENTRY_GRID]["rowData"]}  # type: ignore[index]


def _with_descendants(registry: Registry, code: str) -> set[str]:
    return {code, *(c for child in registry.children(code)
                    for c in _with_descendants(registry, child.code))}


def test_entry_grid_lists_the_office_regions_only(site: Site, registry: Registry) -> None:
    national = {"ID", *(r.code for r in registry.children("ID"))}
    for username, client in site.clients.items():
        region = ACCOUNTS[username][1]
        # The ministry: the national figure and the provinces; an office: its region and
        # every region in it, down to the indicator's lowest level (kecamatan); a viewer
        # nothing (the grid shows unverified values).
        expected = national if region is None else _with_descendants(registry, region)
        assert grid_codes(client, region or "ID") == (
            (403, set()) if username == "pengamat" else (200, expected)), username
        assert grid_codes(client, None)[0] == (403 if username == "pengamat" else 200), username
    # The ministry may open one province; an office may not open another's area.
    jawa_barat = grid_codes(site.clients["pusat"], "32")[1]
    assert "32.73.01" in jawa_barat and all(c.split(".")[0] == "32" for c in jawa_barat)
    assert grid_codes(site.clients["admin"], None) == (200, national)
    assert grid_codes(site.clients["jabar"], "33")[0] == 403
    assert grid_codes(site.clients["kotabandung"], "32")[0] == 403
    assert grid_codes(site.clients["kotabandung"], "32.73.01")[1] == {"32.73.01"}


@pytest.mark.parametrize(("outputs", "inputs", "allowed"), [
    ([(ids.AUDIT_GRID, "rowData")], [value(ids.SHELL_LANG_STORE, "data", "id")], {"admin"}),
    (COMPLETENESS_OUTPUTS,
     [value(ids.COMPLETENESS_INDICATOR, "value", INDICATOR),
      value(ids.COMPLETENESS_PERIOD, "value", PERIOD),
      value(ids.COMPLETENESS_LEVEL, "value", "kabkota"), value(ids.SHELL_LANG_STORE, "data", "id")],
     {"admin", "pusat"}),
], ids=["audit", "kelengkapan"])
def test_ministry_callbacks_by_role(site: Site, outputs: list[tuple[str, str]],
                                   inputs: list[object], allowed: set[str]) -> None:
    assert post(site.anonymous, outputs, inputs)[0] == 401
    for username, client in site.clients.items():
        assert post(client, outputs, inputs)[0] == (200 if username in allowed else 403), username


def test_a_forged_csrf_token_changes_nothing(site: Site) -> None:
    client = site.clients["jabar"]
    version, _ = newest(site, "32.73")
    before = entry_count(site)
    token = client.get_cookie("mg_csrf")
    assert token is not None
    client.set_cookie("mg_csrf", "forged")
    try:
        assert act(client, "save", "32.73", version, "44")[0] == 403
    finally:
        client.set_cookie("mg_csrf", token.value)
    assert entry_count(site) == before
    assert act(client, "save", "32.73", version, "44")[0] == 200


def cells(data: bytes, fmt: str) -> set[str]:
    """Return the text of every cell of an exported file."""
    if fmt == "csv":
        return {c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row}
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_by_role_and_level(site: Site, fmt: str,
                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="mata_garuda.auth")
    for code in REGIONS:
        url = f"/ekspor/isian.{fmt}?indikator={INDICATOR}&tahun={PERIOD}&kode={code}"
        assert site.anonymous.get(url).status_code == 302  # to the sign-in page
        for username, client in site.clients.items():
            caplog.clear()
            response = client.get(url)
            file = response.headers.get("Content-Disposition", "").startswith("attachment")
            assert (response.status_code, file, file and code in cells(response.data, fmt),
                    refusals(caplog, username, "refused GET /ekspor/isian.")) == (
                (200, True, True, 0) if code in EXPORTS[username] else (403, False, False, 1)
            ), (username, code)
            # What the map shows is public to every signed-in account.
            shown = client.get(f"/ekspor/peta.{fmt}?indikator={INDICATOR}&kode={code}")
            assert shown.status_code == 200, (username, code)
    for table, allowed in (("kelengkapan", {"admin", "pusat"}), ("audit", {"admin"})):
        for username, client in site.clients.items():
            status = client.get(f"/ekspor/{table}.{fmt}").status_code
            assert status == (200 if username in allowed else 403), (table, username)
