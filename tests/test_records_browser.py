"""Browser test of the records page and the desa table, on an app served in this process.

The app gets the stand-in lake of :mod:`tests.records_lake` (the server of
``tests/test_browser.py`` runs in its own process, with the lake of its settings).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

import ids
from app import create_app
from auth.accounts import add_account
from geodata.registry import Registry
from ingest.bootstrap import prepare_database
from ingest.store import NewValue, write_values
from queries.db import make_engine
from queries.schema import region
from services import EXTENSION
from settings import Settings
from tests.live import free_port
from tests.records_lake import tps_lake
from tests.test_browser import PASSWORD, USERNAME, browser, new_page, sign_in  # noqa: F401

pytestmark = pytest.mark.browser
DESA = {"32.73.01.1001": "Sukarasa", "32.73.01.1002": "Gegerkalong", "32.73.01.1003": "Isola"}


@pytest.fixture(scope="module")
def records_server(tmp_path_factory: pytest.TempPathFactory, registry: Registry,
                   boundaries_dir: Path) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("records-browser")
    url = f"sqlite:///{tmp / 'test.db'}"
    engine = make_engine(url)
    prepare_database(engine, registry)
    with engine.begin() as conn:
        add_account(conn, registry, username=USERNAME, role="admin", region_code=None,
                    password=PASSWORD)
        conn.execute(sa.insert(region), [{"code": c, "level": "desa", "name": n,
                                          "parent_code": "32.73.01"} for c, n in DESA.items()])
        write_values(conn, [NewValue("turnout_pilpres", code, 2024, value, "test")
                            for code, value in (("32.73.01.1001", 75.0), ("32.73.01", 77.1),
                                                ("32.73", 78.0), ("32", 80.0), ("ID", 81.0))],
                     source_kind="published", status="verified",
                     source_of={"turnout_pilpres": "Uji"}, recorded_by="test")
    app = create_app(Settings(var_dir=tmp, database_url=url, boundaries_dir=boundaries_dir,
                              published_dir=tmp / "none", demo=False))
    app.server.extensions[EXTENSION] = replace(app.server.extensions[EXTENSION],
                                               lake=tps_lake(tmp / "lake"))
    port = free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    engine.dispose()


@pytest.mark.parametrize(("lang", "total", "heading"), [
    ("id", "210 catatan", "Catatan TPS · Kota Bandung · 2024"),
    ("en", "210 records", "polling station records · Kota Bandung · 2024"),
])
def test_records_page_pages_through_the_records(new_page, records_server: str,  # type: ignore[no-untyped-def]  # noqa: F811
                                                lang: str, total: str, heading: str) -> None:
    page = new_page(csp=True)  # the grid's paging works under the content security policy
    sign_in(page, records_server)
    page.context.add_cookies([{"name": "lang", "value": lang, "url": records_server}])
    page.goto(records_server + "/catatan?aliran=tps&wilayah=32.73&tahun=2024")
    page.wait_for_selector(f"#{ids.RECORDS_SUMMARY} >> text={total}")
    assert heading in page.inner_text("h2")
    rows = ".records-grid .ag-center-cols-container .ag-row"
    page.locator(f"{rows}[row-index='0']", has_text="32.73.01.1001").wait_for()
    page.locator(".records-grid .ag-paging-button[aria-label='Next Page']").click()
    # The second page: the rest of desa 1001, whose TPS run to 150.
    page.locator(f"{rows}[row-index='100']", has_text="32.73.01.1001").wait_for()
    csv_link = page.locator(f"#{ids.RECORDS_EXPORT} a")
    assert "/ekspor/catatan.csv?aliran=tps&wilayah=32.73&tahun=2024" in (
        csv_link.get_attribute("href") or "")


@pytest.mark.parametrize(("lang", "missing", "note", "link"), [
    ("id", "Data tidak tersedia", "Batas desa belum tersedia", "Lihat 210 catatan"),
    ("en", "No data", "Village boundaries are not available", "See 210 records"),
])
def test_a_kecamatan_lists_its_desa(new_page, records_server: str, lang: str,  # type: ignore[no-untyped-def]  # noqa: F811
                                    missing: str, note: str, link: str) -> None:
    page = new_page()
    sign_in(page, records_server)
    page.context.add_cookies([{"name": "lang", "value": lang, "url": records_server}])
    page.goto(records_server + "/wilayah/32.73.01?indikator=turnout_pilpres&tahun=2024")
    table = page.wait_for_selector(f"#{ids.MAP_DESA}")
    text = table.inner_text()
    assert note in text
    rows = page.locator(f"#{ids.MAP_DESA} tbody tr").all_inner_texts()
    assert [r.split("\t")[0].strip() for r in rows] == ["Sukarasa", "Gegerkalong", "Isola"]
    assert missing in rows[1] and missing in rows[2]
    assert "150" in rows[0]
    page.get_by_text(link).click()
    page.wait_for_url("**/catatan?aliran=tps&wilayah=32.73.01&tahun=2024&pemilu=pilpres")
    page.locator(".records-grid .ag-row[row-index='0']", has_text="32.73.01.1001").wait_for()
