"""Records behind a number: paging, totals, scope, the CSV export and the desa table."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from dash import html
from flask.testing import FlaskClient
from flask_login import login_user

import ids
from app import create_app
from auth.accounts import add_account, get_account
from auth.web import SessionUser
from components.records import desa_table, records_section
from geodata.registry import Registry
from ingest.bootstrap import prepare_database
from ingest.store import NewValue, write_values
from queries.catalogue import read_catalogue
from queries.db import make_engine
from queries.params import ParameterError
from queries.records import (
    RecordsBehind,
    desa_values,
    parse_selection,
    province_codes,
    records_behind,
    records_count,
    records_frames,
    records_page,
)
from queries.schema import region
from services import EXTENSION
from settings import Settings
from tests.records_lake import TPS_2024, FileLake, tps_frame, tps_lake
from tests.test_entry_page import callback

PASSWORD = "Uji-Catatan-Wilayah-2026"
ACCOUNTS = {"admin": ("admin", None), "jabar": ("provinsi", "32"),
            "kotabandung": ("kabkota", "32.73"), "pengamat": ("viewer", None)}


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> FileLake:
    return tps_lake(tmp_path_factory.mktemp("lake"))


@pytest.fixture(scope="module")
def provs(registry: Registry) -> list[str]:
    return province_codes(registry)


def test_totals_count_the_region_and_everything_inside_it(lake: FileLake,
                                                          provs: list[str]) -> None:
    count = lambda code, year=2024: records_count(lake, "tps", code, year,  # noqa: E731
                                                   provinces=provs)
    assert count("ID") == sum(TPS_2024.values()) == 260
    assert count("32") == 240
    assert count("32.73") == 210
    assert count("32.73.01") == 210
    assert count("32.73.01.1002") == 60
    assert count("32.04") == 30
    assert count("33.01.01") == 20
    assert count("32.73", 2019) == 7
    assert count("11") == 0


def test_pages_follow_one_order_across_provinces(lake: FileLake, provs: list[str]) -> None:
    pages = []
    for offset in range(0, 300, 100):
        page, total = records_page(lake, "tps", "ID", 2024, offset, 100, provinces=provs)
        assert total == 260
        pages.append(page)
    assert [p.height for p in pages] == [100, 100, 60]
    whole = pl.concat(pages)
    assert whole.columns == list(whole.schema)  # the stored columns
    expected = [(code, n) for code in sorted(TPS_2024) for n in range(1, TPS_2024[code] + 1)]
    assert list(zip(whole["region_code"], whole["tps"], strict=True)) == expected
    # A page across the border of two provinces (32 ends at row 240).
    page, _ = records_page(lake, "tps", "ID", 2024, 230, 20, provinces=provs)
    assert page["region_code"].str.slice(0, 2).to_list() == ["32"] * 10 + ["33"] * 10
    page, total = records_page(lake, "tps", "32.73", 2024, 200, 100, provinces=provs)
    assert (page.height, total) == (10, 210)
    assert page["region_code"].unique().to_list() == ["32.73.01.1002"]
    assert page["tps"].to_list() == list(range(51, 61))
    # A page across two desa: only their records are read and sorted.
    page, _ = records_page(lake, "tps", "32.73", 2024, 140, 20, provinces=provs)
    assert list(zip(page["region_code"].str.slice(-4), page["tps"], strict=True)) == [
        *(("1001", n) for n in range(141, 151)), *(("1002", n) for n in range(1, 11))]
    assert records_page(lake, "tps", "32.73", 2024, 500, 100)[0].height == 0


def test_frames_for_the_export_hold_the_selection_in_page_order(lake: FileLake,
                                                                provs: list[str]) -> None:
    frames = list(records_frames(lake, "tps", "ID", 2024, provinces=provs))
    assert len(frames) == 2  # one per province with records
    page, _ = records_page(lake, "tps", "ID", 2024, 0, 1000, provinces=provs)
    assert pl.concat(frames).equals(page)


def test_a_selection_names_its_bad_parameter(registry: Registry) -> None:
    ok = parse_selection("tps", "32.73.01.1001", "2024", registry)
    assert (ok.aliran, ok.wilayah, ok.tahun) == ("tps", "32.73.01.1001", 2024)
    for query, name in ((("x", "32", "2024"), "aliran"), (("tps", "99.99", "2024"), "wilayah"),
                        (("tps", "32.73.99.1001", "2024"), "wilayah"),
                        (("tps", "32", "dua"), "tahun"), (("tps", None, "2024"), "wilayah")):
        with pytest.raises(ParameterError) as err:
            parse_selection(*query, registry)
        assert err.value.name == name


# --- the desa of a kecamatan -------------------------------------------------------------

DESA = {"32.73.01.1001": "Sukarasa", "32.73.01.1002": "Gegerkalong", "32.73.01.1003": "Isola"}


def _seed_desa(engine: sa.Engine) -> None:
    """Put three desa of Sukasari in the region table, values for two of them (2024)."""
    with engine.begin() as conn:
        conn.execute(sa.insert(region), [{"code": c, "level": "desa", "name": n,
                                          "parent_code": "32.73.01"} for c, n in DESA.items()])
        write_values(conn, [NewValue("turnout_pilpres", "32.73.01.1001", 2024, 75.0, "test",
                                     records=150)],
                     source_kind="agregat", status="agregat",
                     source_of={"turnout_pilpres": "Uji"}, recorded_by="test")
        write_values(conn, [NewValue("turnout_pilpres", "32.73.01.1002", 2024, 81.5, "test")],
                     source_kind="simulasi", status="verified",
                     source_of={"turnout_pilpres": "Uji"}, recorded_by="test")


def test_desa_values_of_a_kecamatan(engine: sa.Engine, lake: FileLake) -> None:
    _seed_desa(engine)
    with engine.connect() as conn:
        ind = read_catalogue(conn)["turnout_pilpres"]
        frame = desa_values(conn, ind, "32.73.01", 2024)
        hidden = desa_values(conn, ind, "32.73.01", 2024, simulated=False)
    rows = {r["code"]: r for r in frame.iter_rows(named=True)}
    assert frame["code"].to_list() == ["32.73.01.1002", "32.73.01.1001", "32.73.01.1003"]
    assert rows["32.73.01.1001"]["value"] == 75.0
    assert rows["32.73.01.1001"]["records"] == 150
    assert rows["32.73.01.1002"]["simulated"] is True
    assert rows["32.73.01.1003"]["value"] is None  # missing, never zero
    assert rows["32.73.01.1003"]["records"] is None
    assert hidden.filter(pl.col("code") == "32.73.01.1002")["value"].to_list() == [None]


def _text(component: object) -> str:
    """Return the text of a component tree."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


def _hrefs(component: object) -> list[str]:
    found = [component.href] if getattr(component, "href", None) else []  # type: ignore[attr-defined]
    children = getattr(component, "children", None)
    items = children if isinstance(children, list | tuple) else [children]
    return found + [h for c in items if c is not None for h in _hrefs(c)]


def test_desa_table_shows_values_missing_and_simulated(engine: sa.Engine,
                                                       lake: FileLake) -> None:
    _seed_desa(engine)
    for lang, missing, simulated, note in (
            ("id", "Data tidak tersedia", "simulasi", "Batas desa belum tersedia"),
            ("en", "No data", "simulated", "Village boundaries are not available")):
        with engine.connect() as conn:
            ind = read_catalogue(conn)["turnout_pilpres"]
            frame = desa_values(conn, ind, "32.73.01", 2024, lang)
        table = desa_table(frame, stream="tps", period=2024, decimals=2,
                           kecamatan="Sukasari", layer=False, lang=lang)
        rows = table.children[-1].children[1].children
        texts = [_text(r) for r in rows]
        assert [t.split(" ")[0] for t in texts] == ["Gegerkalong", "Sukarasa", "Isola"]
        assert ("81,50" if lang == "id" else "81.50") in texts[0] and simulated in texts[0]
        assert simulated not in texts[1]  # Sukarasa's value is computed from real records
        assert missing in texts[2] and "0,00" not in texts[2] and "0.00" not in texts[2]
        assert note in _text(table)
        assert "/catatan?aliran=tps&wilayah=32.73.01.1001&tahun=2024" in _hrefs(table)
    with_layer = desa_table(frame, stream="tps", period=2024, decimals=2,
                            kecamatan="Sukasari", layer=True, lang="id")
    assert "Batas desa" not in _text(with_layer)
    section = records_section(RecordsBehind("tps", "32.73.01", 2024, 210, frame),
                              name="Sukasari", decimals=2, layer=False, lang="id")
    assert "Lihat 210 catatan" in _text(section)
    assert "/catatan?aliran=tps&wilayah=32.73.01&tahun=2024" in _hrefs(section)
    none = records_section(RecordsBehind("tps", "32.73.01", 2024, 0, None), name="Sukasari",
                           decimals=2, layer=False, lang="id")
    assert "catatan" not in _text(none) and _hrefs(none) == []


# --- the page, its callbacks and the export, by role ---------------------------------------

class Site:
    def __init__(self, clients: dict[str, FlaskClient], engine: sa.Engine) -> None:
        self.clients, self.engine = clients, engine


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, registry: Registry,
         lake: FileLake) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("records-site")
    url = f"sqlite:///{tmp / 'test.db'}"
    engine = make_engine(url)
    prepare_database(engine, registry)
    with engine.begin() as conn:
        for username, (role, code) in ACCOUNTS.items():
            add_account(conn, registry, username=username, role=role, region_code=code,
                        password=PASSWORD)
    app = create_app(Settings(var_dir=tmp, database_url=url, boundaries_dir=tmp / "none",
                              published_dir=tmp / "none"))
    app.server.extensions[EXTENSION] = replace(app.server.extensions[EXTENSION], lake=lake)
    app.server.config["TESTING"] = True
    clients = {}
    for name in ACCOUNTS:
        client = app.server.test_client()
        page = client.get("/masuk").get_data(as_text=True)
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        assert client.post("/masuk", data={"username": name, "password": PASSWORD,
                                           "csrf_token": csrf}).status_code == 302
        clients[name] = client
    yield Site(clients, engine)
    engine.dispose()


def _state(code: str, stream: str = "tps") -> dict[str, object]:
    return {"id": ids.RECORDS_STATE, "property": "data",
            "value": {"aliran": stream, "wilayah": code, "tahun": "2024"}}


def _rows(client: FlaskClient, code: str, start: int, end: int) -> tuple[int, object]:
    response = callback(client, [(ids.RECORDS_GRID, "getRowsResponse")],
                        [{"id": ids.RECORDS_GRID, "property": "getRowsRequest",
                          "value": {"startRow": start, "endRow": end}}], [_state(code)])
    return response.status_code, response.get_json(silent=True)  # type: ignore[attr-defined]


def test_the_grid_pages_through_the_selection(site: Site) -> None:
    client = site.clients["admin"]
    status, body = _rows(client, "32.73", 0, 100)
    assert status == 200
    answer = body["response"][ids.RECORDS_GRID]["getRowsResponse"]  # type: ignore[index]
    assert answer["rowCount"] == 210 and len(answer["rowData"]) == 100
    assert answer["rowData"][0]["region_code"] == "32.73.01.1001"
    assert answer["rowData"][0]["date"] == "2024-02-14"
    status, body = _rows(client, "32.73", 200, 300)
    answer = body["response"][ids.RECORDS_GRID]["getRowsResponse"]  # type: ignore[index]
    assert len(answer["rowData"]) == 10
    assert _rows(client, "32.73", 0, 100_000)[0] == 400  # no block larger than ten pages


@pytest.mark.parametrize(("user", "code", "allowed"), [
    ("admin", "33", True), ("pengamat", "33.01", True), ("jabar", "32.73.01.1001", True),
    ("jabar", "33", False), ("kotabandung", "32.73.01", True), ("kotabandung", "32.04", False),
    ("kotabandung", "32", False), ("kotabandung", "ID", False), ("jabar", "ID", False),
])
def test_records_outside_the_scope_are_refused(site: Site, user: str, code: str,
                                               allowed: bool) -> None:
    client = site.clients[user]
    assert _rows(client, code, 0, 100)[0] == (200 if allowed else 403)
    export = client.get(f"/ekspor/catatan.csv?aliran=tps&wilayah={code}&tahun=2024")
    assert export.status_code == (200 if allowed else 403)
    if not allowed:
        assert "may not export the records of" in export.get_json()["error"]


def test_export_equals_the_pages_and_is_formula_safe(site: Site) -> None:
    client = site.clients["jabar"]
    export = client.get("/ekspor/catatan.csv?aliran=tps&wilayah=32&tahun=2024")
    assert export.status_code == 200
    assert "attachment" in export.headers["Content-Disposition"]
    text = export.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Pemilu", "Tanggal", "Kode wilayah", "No. TPS"]
    shown = []
    for start in range(0, 300, 100):
        _status, body = _rows(client, "32", start, start + 100)
        shown += body["response"][ids.RECORDS_GRID]["getRowsResponse"]["rowData"]  # type: ignore[index]
    assert len(rows) - 1 == len(shown) == 240
    assert [(r[2], int(r[3])) for r in rows[1:]] == [(r["region_code"], r["tps"])
                                                     for r in shown]
    ormas = client.get("/ekspor/catatan.csv?aliran=ormas&wilayah=32.73&tahun=2024")
    lines = list(csv.reader(io.StringIO(ormas.get_data().decode("utf-8-sig"))))
    # The kab/kota's own record comes before those of its desa (region code order).
    assert [r[1] for r in lines[1:]] == ["Karang Taruna", "'=HYPERLINK(\"http://x\")"]
    assert [r[2] for r in lines[1:]] == ["'-2+3", "'@SUM(A1)"]
    with site.engine.connect() as conn:
        logged = conn.execute(sa.text("select detail from audit_log where target ="
                                      " 'catatan.csv'")).scalars().all()
    assert any(d.startswith("tps 32 2024: 240 rows") for d in logged)


def test_an_export_larger_than_a_sheet_is_refused(site: Site,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("export.tables.MAX_EXPORT_ROWS", 100)
    export = site.clients["admin"].get("/ekspor/catatan.csv?aliran=tps&wilayah=32&tahun=2024")
    assert export.status_code == 400
    assert "wilayah" in json.dumps(export.get_json())


def test_page_layout_refuses_out_of_scope_and_names_bad_parameters(site: Site) -> None:
    from pages.records import layout  # registers the page: only once the app exists

    client = site.clients["kotabandung"]
    with site.engine.connect() as conn:
        account = next(a for a in (get_account(conn, i) for i in range(1, 10))
                       if a is not None and a.username == "kotabandung")
    with client.application.test_request_context("/catatan"):
        login_user(SessionUser(account))
        refused = _text(layout(aliran="tps", wilayah="32.04", tahun="2024"))
        bad = _text(layout(aliran="tps", wilayah="32.04", tahun="dua"))
        shown = layout(aliran="tps", wilayah="32.73", tahun="2024")
    assert "32.04" in refused and "di luar wilayah kerja" in refused
    assert "tahun" in bad
    assert "Catatan TPS · Kota Bandung · 2024" in _text(shown)
    assert isinstance(shown, html.Div)


def test_the_stand_in_lake_prunes_partitions(lake: FileLake) -> None:
    assert lake.scan("tps", years=[2024], provs=["33"]).collect().height == 20
    assert lake.scan("media", years=[2024]).collect().height == 0


def test_a_kecamatan_without_desa_in_the_region_table_says_so(engine: sa.Engine,
                                                               lake: FileLake) -> None:
    with engine.connect() as conn:
        ind = read_catalogue(conn)["turnout_pilpres"]
        frame = desa_values(conn, ind, "32.73.02", 2024)
    assert frame.is_empty()
    table = desa_table(frame, stream="tps", period=2024, decimals=2,
                       kecamatan="Coblong", layer=False, lang="en")
    assert "No villages of this kecamatan in the region table yet." in _text(table)


def test_the_records_of_one_election(tmp_path: Path, engine: sa.Engine, registry: Registry,
                                     provs: list[str]) -> None:
    lake = tps_lake(tmp_path)
    lake.write("tps", tps_frame({"32.73.01.1001": 40}, 2024, election="pileg_dpr"))
    count = lambda election: records_count(lake, "tps", "32.73", 2024,  # noqa: E731
                                            provinces=provs, election=election)
    assert (count(None), count("pilpres"), count("pileg_dpr"), count("pilkada")) == (
        250, 210, 40, 0)
    page, total = records_page(lake, "tps", "32.73", 2024, 0, 100, provinces=provs,
                               election="pileg_dpr")
    assert (total, page["election"].unique().to_list()) == (40, ["pileg_dpr"])
    assert parse_selection("tps", "32", "2024", registry, "pileg_dpr").query()["pemilu"] == (
        "pileg_dpr")
    for stream, election in (("ormas", "pilpres"), ("tps", "pemilu")):
        with pytest.raises(ParameterError) as err:
            parse_selection(stream, "32", "2024", registry, election)
        assert err.value.name == "pemilu"
    _seed_desa(engine)
    with engine.connect() as conn:
        ind = read_catalogue(conn)["turnout_pilpres"]
        found = records_behind(conn, lake, ind, "32.73.01", 2024, provs)
    assert found is not None and (found.count, found.election) == (210, "pilpres")
    assert found.desa is not None
    assert found.desa.filter(pl.col("code") == "32.73.01.1001")["records"].to_list() == [150]
    section = records_section(found, name="Sukasari", decimals=2, layer=False,
                              lang="id")
    assert ("/catatan?aliran=tps&wilayah=32.73.01&tahun=2024&pemilu=pilpres"
            in _hrefs(section))


def test_the_summary_names_a_desa_from_the_region_table(site: Site) -> None:
    with site.engine.begin() as conn:
        conn.execute(sa.insert(region), [{"code": "32.73.01.1001", "level": "desa",
                                          "name": "Sukarasa", "parent_code": "32.73.01"}])
    response = callback(site.clients["admin"], [(ids.RECORDS_SUMMARY, "children")],
                        [_state("32.73.01.1001")], [{"id": ids.SHELL_LANG_STORE,
                                                     "property": "data", "value": "en"}])
    body = json.dumps(response.get_json())  # type: ignore[attr-defined]
    assert "Sukarasa (32.73.01.1001)" in body and "150 records" in body
