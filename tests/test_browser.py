"""Browser tests: the real server, with demo data, driven by headless Chromium."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

import ids
from app import create_app
from auth.accounts import add_account
from geodata.registry import Registry
from i18n import t
from ingest.bootstrap import prepare_database
from ingest.store import NewValue, write_values
from presentation.palettes import MISSING_COLOR
from queries.db import make_engine
from queries.indicators import CHANGE_REASONS
from queries.mapview import snap_period
from queries.schema import region
from services import EXTENSION
from settings import PROJECT_ROOT, Settings
from tests.conftest import unavailable
from tests.live import free_port, wait_until_up
from tests.mapjs import POINT_IN_REGION, REGION_FILLS, region_class
from tests.records_lake import tps_lake

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
ARTIFACTS = PROJECT_ROOT / "test-results"
USERNAME, PASSWORD = "penguji", "Uji-Peta-Nasional-7"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, published_dir: Path,
           boundaries_dir: Path) -> Iterator[str]:
    """Serve the app with published and demo data as `make run` does, on a free port."""
    port = free_port()
    var = tmp_path_factory.mktemp("var")
    env = {**os.environ, "MATA_GARUDA_VAR_DIR": str(var), "MATA_GARUDA_PORT": str(port),
           "MATA_GARUDA_BOUNDARIES_DIR": str(boundaries_dir),
           "MATA_GARUDA_PUBLISHED_DIR": str(published_dir)}
    env.pop("MATA_GARUDA_DATABASE_URL", None)
    env.pop("MATA_GARUDA_PUBLIC_VIEW", None)  # signed in, as the ministry deploys it
    env.pop("MATA_GARUDA_DEMO", None)  # on: a development server with demo data
    subprocess.run([sys.executable, "-m", "cli", "user", "add", USERNAME, "--role", "admin",
                    "--password-stdin"], cwd=PROJECT_ROOT, env=env, input=PASSWORD.encode(),
                   check=True, capture_output=True)
    log = (var / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve"], cwd=PROJECT_ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, proc, timeout=240)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} not installed (`make test` installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):  # type: ignore[no-untyped-def]
    """Open pages that record console errors and page errors; the test fails on any error
    but those it names in ``expect`` (text each must contain), and on a named one missing."""
    opened: list[tuple[object, list[str], tuple[str, ...]]] = []

    def open_page(width: int = 1366, height: int = 768,  # type: ignore[no-untyped-def]
                  expect: tuple[str, ...] = (), csp: bool = False):
        # Playwright's wait_for_function evaluates strings, which the app's CSP forbids:
        # pages bypass it unless ``csp`` (test_pages_work_under_the_content_security_policy).
        context = browser.new_context(viewport={"width": width, "height": height},
                                      bypass_csp=not csp)
        errors: list[str] = []
        opened.append((context, errors, expect))
        pg = context.new_page()
        pg.on("console", lambda m: errors.append(f"console: {m.text} at {m.location['url']}")
              if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        return pg

    yield open_page
    problems = []
    for context, errors, expect in opened:
        context.close()  # type: ignore[attr-defined]
        problems += [e for e in errors if not any(x in e for x in expect)]
        problems += [f"expected, not seen: {x}" for x in expect if not any(x in e for e in errors)]
    assert problems == [], f"console errors: {problems}"


@pytest.fixture
def page(new_page, server: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A fresh page, signed in; a screenshot of it is kept in test-results/."""
    pg = new_page()
    sign_in(pg, server)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page, server: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/masuk")
    page.get_by_label("Nama pengguna").fill(USERNAME)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    if password == PASSWORD:
        page.wait_for_url(lambda url: "/masuk" not in url)


def idi_2024(published_dir: Path) -> dict[str, float]:
    frame = pl.read_csv(published_dir / "idi.csv", infer_schema=False).filter(
        (pl.col("level") == "provinsi") & (pl.col("year") == "2024"))
    return {r["name"]: float(r["value"]) for r in frame.iter_rows(named=True)}


def grid_rows(page) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    page.wait_for_selector(".region-table .ag-row")
    rows = page.locator(".region-table .ag-center-cols-container .ag-row")
    result = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator(".ag-cell").all_inner_texts()
        result[cells[1]] = cells
    return result


def test_first_page_shows_38_provinces_with_published_idi(page, server: str,  # type: ignore[no-untyped-def]
                                                          published_dir: Path) -> None:
    page.goto(server + "/tabel")
    rows = grid_rows(page)
    assert len(rows) == 38
    published = idi_2024(published_dir)
    assert published, "fixture has published IDI 2024 values"
    for name, value in published.items():
        shown = rows[name]
        assert shown[2] == f"{value:.2f}".replace(".", ","), (name, shown)
        assert "BPS" in shown[6]
    others = [cells for name, cells in rows.items() if name not in published]
    simulated = [cells for cells in others if "DATA SIMULASI" in cells[6]]
    missing = [cells for cells in others if cells[2] == "Data tidak tersedia"]
    assert simulated and len(simulated) + len(missing) == len(others)
    assert all(cells[6] == "" and cells[4] == "" for cells in missing)
    assert page.get_by_text("DATA SIMULASI").first.is_visible()
    assert page.get_by_text("79,81").is_visible()  # national IDI 2024, BPS


def test_language_switch_to_english(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/tabel")
    page.wait_for_selector(".region-table .ag-row")
    page.get_by_text("EN", exact=True).click()
    page.get_by_text("Indonesian Democracy Index by province").wait_for()
    rows = grid_rows(page)
    assert rows["Jawa Barat"][2] == "82.80"
    assert page.get_by_text("SIMULATED DATA").first.is_visible()
    page.get_by_text("ID", exact=True).click()
    page.get_by_text("Indeks Demokrasi Indonesia per provinsi").wait_for()


# --- the map ----------------------------------------------------------------------------

def regions_drawn(page, n: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        f"document.querySelectorAll('path.leaflet-interactive').length == {n}"
        " && window.mataGaruda.map.current && window.mataGaruda.map.current.rev")


# The legend's classes and missing line; the simulated line counts some of them again.
LEGEND_COUNTS = ".peta-legend li:not(.legend-simulated) .legend-count"


def legend_total(page, n: int) -> None:  # type: ignore[no-untyped-def]
    """Wait until the legend (drawn by the page's second callback) counts ``n`` regions."""
    page.wait_for_function(
        f"n => Array.from(document.querySelectorAll('{LEGEND_COUNTS}'))"
        ".reduce((s, e) => s + Number(e.textContent), 0) === n", arg=n)


def legend_counts(page) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(c) for c in page.locator(LEGEND_COUNTS).all_inner_texts()]


# When the drilled-in map's regions appear, and when the legend and panel are asked for.
DRILL_TIMES = """() => {
  const times = window.__drill = {map: null, legend: null};
  new MutationObserver(() => {
    if (times.map === null && document.querySelector("[class*='region-64-']")) {
      times.map = performance.now();
    }
  }).observe(document.body, {subtree: true, childList: true});
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    if (times.legend === null && init && String(init.body).includes("peta-legend.children")) {
      times.legend = performance.now();
    }
    return fetch0.apply(this, arguments);
  };
}"""


def test_a_drill_down_draws_the_map_before_its_legend_and_panel(  # type: ignore[no-untyped-def]
        page, server: str) -> None:
    # One round trip to the map; the legend and panel (Dash's slowest rendering) are
    # asked for once the map has painted, so their rendering never delays it.
    page.goto(server + "/?indikator=konflik")
    regions_drawn(page, 38)
    page.locator(".legend-title").wait_for()
    page.evaluate(DRILL_TIMES)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "")
            if "_dash-update-component" in r.url else None)
    page.mouse.click(*page.evaluate(POINT_IN_REGION, region_class("64")))
    page.locator(".peta-breadcrumb .crumb-current", has_text="Kalimantan Timur").wait_for()
    times = page.evaluate("window.__drill")
    assert times["map"] is not None and times["legend"] is not None
    assert times["map"] < times["legend"], times
    # The click's one request sets the view and answers with the map's colouring.
    assert "peta-geojson.clickData" in sent[0] and "peta-colouring-store.data" in sent[0]


def test_national_map_drill_down_and_back(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    regions_drawn(page, 38)
    page.wait_for_url("**/?indikator=idi&tahun=2024**")  # the canonical URL replaces "/"
    entries = page.evaluate("history.length")
    legend_total(page, 38)
    point = page.evaluate(POINT_IN_REGION, region_class("32"))
    page.mouse.move(*point)
    tooltip = page.locator(".peta-tooltip").inner_text()
    for expected in ("Jawa Barat", "82,80", "indeks 0-100", "Kategori: Baik", "Sumber: BPS",
                     "Peringkat: "):
        assert expected in tooltip, tooltip
    # IDI has no kab/kota values: hovering fetches no boundaries a click will not load.
    assert not page.evaluate(
        "performance.getEntriesByType('resource').some(e => e.name.includes('/geo/kabkota'))")
    page.mouse.click(*point)
    page.wait_for_url("**/wilayah/32?indikator=idi**")
    assert page.evaluate("history.length") == entries + 1  # one entry per view, no more
    page.locator(".peta-breadcrumb .crumb-current", has_text="Jawa Barat").wait_for()
    assert page.locator(".peta-breadcrumb").inner_text().split() == [
        "Indonesia", "›", "Jawa", "Barat"]
    # IDI has no kab/kota values: the provinces stay, Jawa Barat selected, levels without
    # values cannot be chosen, and the indicators with kab/kota values are one click away.
    offers = page.locator("#" + ids.MAP_OFFERS)
    offers.wait_for()
    page.wait_for_function("window.mataGaruda.map.current.sel === '32'")
    regions_drawn(page, 38)
    legend_total(page, 38)
    assert "tidak per kab/kota" in page.locator(".peta-notices").inner_text()
    levels = page.locator(f"#{ids.MAP_LEVEL} input")
    assert {levels.nth(i).get_attribute("value"): levels.nth(i).is_disabled()
            for i in range(3)} == {"provinsi": True, "kabkota": True, "kecamatan": True}
    offers.get_by_role("link", name="IKP", exact=True).click()
    regions_drawn(page, 27)
    page.wait_for_url("**/wilayah/32?indikator=ikp**")
    legend_total(page, 27)
    assert not page.locator(f"#{ids.MAP_LEVEL} input[value=kabkota]").is_disabled()
    page.go_back()
    page.wait_for_url("**/wilayah/32?indikator=idi**")
    regions_drawn(page, 38)
    page.go_forward()
    regions_drawn(page, 27)
    page.locator(".peta-breadcrumb").get_by_role("button", name="Indonesia").click()
    regions_drawn(page, 38)


def test_official_data_only_hides_simulated_values(page, server: str,  # type: ignore[no-untyped-def]
                                                    published_dir: Path) -> None:
    """National IDI 2024: published, simulated and missing regions are counted and told
    apart; "Hanya data resmi" hides every simulated value, on the page and in its CSV."""
    published = idi_2024(published_dir)
    real = len(published)
    page.goto(server + "/?indikator=idi&tahun=2024")
    regions_drawn(page, 38)
    legend_total(page, 38)
    counts = page.locator(".legend-provenance").inner_text()
    found = re.fullmatch(rf"{real} resmi · (\d+) simulasi · (\d+) tidak tersedia", counts)
    assert found, counts
    simulated, missing = int(found[1]), int(found[2])
    assert simulated > 0 and real + simulated + missing == 38
    assert page.locator(".simulated-badge").inner_text().lower() == (
        f"data simulasi · {simulated} dari 38 wilayah")
    assert page.locator(".legend-simulated .legend-count").inner_text() == str(simulated)
    rows = page.evaluate("() => Object.values(window.mataGaruda.map.current.d)")
    assert sum(r[7] for r in rows) == simulated
    striped = [f for f in page.evaluate(REGION_FILLS).values() if f.startswith("url(#mg-sim-")]
    assert len(striped) == simulated  # drawn apart from the real values, no hover needed
    assert page.locator(".rank-simulated").count() > 0  # top/bottom five mark them

    page.get_by_role("switch", name="Hanya data resmi").click()
    page.wait_for_url("**resmi=1**")
    page.locator(".legend-provenance",
                 has_text=f"{real} resmi · 0 simulasi · {38 - real} tidak tersedia").wait_for()
    legend_total(page, 38)
    page.wait_for_function(
        "() => Object.values(window.mataGaruda.map.current.d).every(r => r[7] === 0)")
    assert legend_counts(page)[-1] == 38 - real
    assert page.locator(".simulated-badge, .legend-simulated, .rank-simulated, "
                        ".kpi-simulated").count() == 0
    assert "SIMULASI" not in page.locator("body").inner_text().upper().replace(
        "0 SIMULASI", "")
    fills = page.evaluate(REGION_FILLS)
    assert sum(f == "url(#mg-hatch)" for f in fills.values()) == 38 - real
    href = page.locator(f"#{ids.MAP_EXPORT} a", has_text="CSV").get_attribute("href")
    assert "resmi=1" in href
    response = page.request.get(server + href)
    assert response.status == 200
    body = read_csv_body(response.body())
    header = body[0]
    table = [dict(zip(header, row, strict=True)) for row in body[1:]
             if row[header.index("Tingkat")] == "provinsi"]  # the nation's row comes first
    assert len(table) == 38 and len(body) == 1 + 1 + 38
    assert {r["Wilayah"]: float(r["Nilai"]) for r in table if r["Nilai"]} == published
    assert {r["Jenis nilai"] for r in table} == {"Angka terbitan resmi", ""}
    assert {r["Simulasi"] for r in table} == {"Tidak", ""}
    assert not any("SIMULASI" in cell.upper() for row in body[1:] for cell in row)

    page.get_by_role("switch", name="Hanya data resmi").click()
    page.locator(".legend-provenance", has_text=f"{simulated} simulasi").wait_for()
    # The URL follows the drawn view (written after the colours arrive).
    page.wait_for_url(lambda url: "resmi=1" not in url)


def read_csv_body(body: bytes) -> list[list[str]]:
    """Return the rows of an exported CSV, its header first."""
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_missing_regions_are_hatched(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/?indikator=ikn&tingkat=kabkota")
    regions_drawn(page, 514)
    fills = page.evaluate(REGION_FILLS)
    missing = page.evaluate(
        "() => Object.entries(window.mataGaruda.map.current.d)"
        ".filter(([c, r]) => r[0] === null).map(([c]) => c)")
    assert missing, "the demo data has gaps"
    hatched = {cls for cls, fill in fills.items() if fill == "url(#mg-hatch)"}
    assert hatched == {region_class(code) for code in missing}
    legend_total(page, 514)
    assert legend_counts(page)[-1] == len(missing)
    # A tiny region may be covered by its neighbours' borders: hover one that is not.
    points = [page.evaluate(POINT_IN_REGION, region_class(code)) for code in missing]
    reachable = [p for p in points if p is not None]
    assert reachable, "no region without data can be hovered"
    page.mouse.move(*reachable[0])
    assert "Data tidak tersedia" in page.locator(".peta-tooltip").inner_text()


def test_change_view_says_why_a_region_has_no_change(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/?indikator=idi&tahun=2024&tampil=perubahan&dari=2022")
    regions_drawn(page, 38)
    legend_total(page, 38)
    legend = page.locator(".peta-legend").inner_text()
    assert "Perubahan tidak dihitung" in legend, legend
    rows = page.evaluate("() => window.mataGaruda.map.current.d")
    kinds = [code for code, row in rows.items() if row[8] == CHANGE_REASONS.index("jenis")]
    count = page.locator(".peta-legend li", has_text="Jenis nilai berbeda").locator(
        ".legend-count").inner_text()
    assert int(count) == len(kinds) >= 5
    points = [page.evaluate(POINT_IN_REGION, region_class(code)) for code in kinds]
    page.mouse.move(*next(p for p in points if p is not None))
    tooltip = page.locator(".peta-tooltip").inner_text()
    assert "Perubahan sejak 2022: Jenis nilai berbeda (resmi, isian, simulasi)" in tooltip
    page.goto(server + "/?indikator=idi&tahun=2024&tampil=perubahan&dari=2019")
    page.locator(".legend-warning", has_text="Metode berubah pada 2021").wait_for()
    legend_total(page, 38)


def test_indicator_change_recolours_in_place(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/?indikator=idi&tahun=2024")
    regions_drawn(page, 38)
    before = page.evaluate("() => window.mataGaruda.map.current.rev")
    fills = page.evaluate(REGION_FILLS)
    # Tag the shapes: a recolour restyles them, it does not draw them again.
    page.evaluate("() => document.querySelectorAll('.leaflet-overlay-pane path')"
                  ".forEach(p => p.dataset.drawn = 'before')")
    page.locator("#" + ids.MAP_INDICATOR).click()
    page.get_by_role("option", name="IKP – Indeks Kerawanan Pemilu").click()
    page.wait_for_function(f"window.mataGaruda.map.current.rev !== '{before}'")
    page.wait_for_url("**indikator=ikp**")
    # The legend comes with the panel, from the second callback of the same view.
    page.locator(".legend-title", has_text="IKP 2024").wait_for()
    paths = page.locator(".leaflet-overlay-pane path.leaflet-interactive")
    assert paths.count() == 38
    assert page.locator(".leaflet-overlay-pane path[data-drawn=before]").count() == 38
    assert page.evaluate(REGION_FILLS) != fills


def test_a_year_change_needs_no_request_legend_and_panel_included(page, server: str) -> None:  # type: ignore[no-untyped-def]
    def fetched(response) -> bool:  # type: ignore[no-untyped-def]
        return ("_dash-update-component" in response.url
                and ids.MAP_PERIODS in (response.request.post_data or ""))

    def step(key: str, year: int) -> None:
        """Press a key on the slider; wait until the slider (not the server) is on ``year``."""
        slider.press(key)
        page.wait_for_function(f"document.querySelector('#{ids.MAP_YEAR} [role=slider]')"
                               f".getAttribute('aria-valuenow') === '{year}'")

    def rev() -> str:
        return str(page.evaluate("() => window.mataGaruda.map.current.rev"))

    slider = page.locator(f"#{ids.MAP_YEAR} [role=slider]")
    with page.expect_response(fetched):  # the colourings of every year of the view
        page.goto(server + "/?indikator=idi&tahun=2024")
    regions_drawn(page, 38)
    page.locator(".legend-title", has_text="IDI 2024").wait_for()
    # The browser snaps the slider by the server's rule (snap_period), one to one.
    for periods in (tuple(range(2015, 2025)), (2019, 2024)):
        for value, previous in ((2024, 2023), (2023.95, 2024), (2019.05, 2019), (2015.1, None),
                                (2014.9, 2015), (2024.05, 2024), (2021.4, None)):
            snapped = page.evaluate("a => window.mataGaruda.snapPeriod(...a)",
                                    [value, previous, list(periods)])
            assert snapped == snap_period(value, previous, periods), (value, previous)
    shown, fills = rev(), page.evaluate(REGION_FILLS)
    # A year at hand is shown by the browser alone, with no request: the map at once,
    # then the legend, side panel, status line and address bar.
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "")
            if "_dash-update-component" in r.url else None)
    step("ArrowLeft", 2023)  # on the period, not between two (2023.9)
    page.wait_for_function(f"window.mataGaruda.map.current.rev !== '{shown}'")
    assert page.evaluate(REGION_FILLS) != fills
    page.wait_for_url("**tahun=2023**")
    page.locator(".legend-title", has_text="IDI 2023").wait_for()
    assert "Indonesia · 2023" in page.locator(f"#{ids.MAP_PANEL}").inner_text()
    assert sent == []
    # Steps quicker than the server never race it: each moves on from the period asked
    # before. 2021 and earlier are drawn on the 34 provinces of then: asked of the server.
    with page.expect_response(fetched):
        for year in (2022, 2021, 2020):
            step("ArrowLeft", year)
        page.wait_for_url("**tahun=2020**")
    page.locator(".legend-title", has_text="IDI 2020").wait_for()
    assert sent, "2021 is drawn on other boundaries: the server draws it"
    sent.clear()
    step("ArrowRight", 2021)
    page.wait_for_url("**tahun=2021**")
    page.locator(".legend-title", has_text="IDI 2021").wait_for()
    assert sent == []
    # What the browser shows alone is what the server draws for the same URL.
    def shown_now() -> tuple[str, str, str, str]:
        return (rev(), page.locator(f"#{ids.MAP_LEGEND}").inner_text(),
                page.locator(f"#{ids.MAP_PANEL}").inner_text(),
                page.locator(f"#{ids.MAP_STATUS}").inner_text())

    alone = shown_now()
    page.reload()
    regions_drawn(page, 34)
    page.locator(".legend-title", has_text="IDI 2021").wait_for()
    page.locator(f"#{ids.MAP_PANEL} img").wait_for()
    assert shown_now() == alone
    # A year key recolours in its own task, before Dash hears of it: the fills have
    # changed when the key's dispatch returns. The slider, legend and URL follow.
    fills = page.evaluate(REGION_FILLS)
    at_once = page.evaluate(f"""() => {{
        document.querySelector('#{ids.MAP_YEAR} [role=slider]').dispatchEvent(
            new KeyboardEvent('keydown', {{key: 'ArrowLeft', bubbles: true}}));
        return ({REGION_FILLS})(); }}""")
    assert at_once != fills
    page.wait_for_url("**tahun=2020**")
    page.locator(".legend-title", has_text="IDI 2020").wait_for()
    assert page.evaluate(REGION_FILLS) == at_once


def test_the_first_view_comes_with_the_page(new_page, server: str) -> None:  # type: ignore[no-untyped-def]
    # Drawn by the server: without any of Dash's scripts the map is there, with its
    # stripes for simulated values, hatching for missing ones and the DATA SIMULASI badge.
    page = new_page(expect=("Failed to load resource", "DashRenderer is not defined"))
    sign_in(page, server)
    page.route("**/_dash-component-suites/**", lambda route: route.abort())
    page.goto(server + "/?indikator=idi&tahun=2024")
    fills = page.locator("#mg-first-view path").evaluate_all(
        "paths => paths.map(p => p.getAttribute('fill'))")
    assert len(fills) == 38 and "url(#fv-hatch)" in fills
    assert any(f.startswith("url(#fv-sim-") for f in fills)
    assert any(f.startswith("#") for f in fills)
    badge = page.locator("#mg-first-view .fv-badge").text_content()
    assert badge == "DATA SIMULASI · 22 dari 38 wilayah"
    # All 7,285 kecamatan too, as their canvas draws them: thin borders, no patterns
    # (missing values grey, simulated ones faded, as the legend shows them).
    page.goto(server + "/?indikator=konflik&tingkat=kecamatan")
    kecamatan = page.locator("#mg-first-view path").evaluate_all(
        "paths => paths.map(p => [p.getAttribute('fill'), p.getAttribute('fill-opacity')])")
    assert len(kecamatan) == 7285
    assert not any(fill.startswith("url(") for fill, _opacity in kecamatan)
    assert [MISSING_COLOR, None] in kecamatan and any(o == "0.45" for _f, o in kecamatan)
    assert page.locator("#mg-first-view g").get_attribute("stroke-width") == "0.3"
    page.unroute("**/_dash-component-suites/**")
    # It gives way to the interactive map once that has its colours.
    page.goto(server + "/?indikator=idi&tahun=2014")  # 34 provinces: boundaries of then
    regions_drawn(page, 34)
    page.locator("#mg-first-view").wait_for(state="detached")
    fetched = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter(e => e.name.includes('/geo/')).map(e => [e.name, e.initiatorType])""")
    # Preloaded by the page's Link header, and the map's own fetch used that download.
    assert len(fetched) == 1 and fetched[0][1] == "link"
    assert fetched[0][0].startswith(server + "/geo/provinsi.json?vintage=pra2022&v=")


def test_tooltips_show_on_hover_and_cost_dash_nothing(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/?indikator=idi&tahun=2024")
    regions_drawn(page, 38)
    for target, text in ((".simulated-badge", t("simulated.note", "id")),
                         (f"#{ids.SHELL_PRESENT}", t("shell.present", "id")),
                         (f"#{ids.MAP_PLAY}", t("peta.play", "id"))):
        tip = page.locator(".tip", has=page.locator(target)).locator(".tip-text")
        assert not tip.is_visible()
        page.hover(target)
        tip.wait_for(state="visible")
        assert tip.inner_text() == text
        page.mouse.move(2, 400)
    # No component on the page makes Dash re-check every layout change on each update
    # (a Mantine Tooltip does: `dashChildrenUpdate`, 200 ms of script per drill-down).
    rechecked = page.evaluate("""() => { const found = []; const walk = (x) => {
        if (Array.isArray(x)) return x.forEach(walk);
        if (!x || typeof x !== 'object' || !x.namespace) return;
        const type = (window[x.namespace] || {})[x.type];
        if (type && 'dashChildrenUpdate' in type) found.push(x.type);
        Object.values(x.props || {}).forEach(walk); };
        walk(window.store.getState().layout.components); return found; }""")
    assert rechecked == []


@pytest.mark.parametrize(("url", "message"), [
    ("/wilayah/99.99", "Kode wilayah '99.99' tidak dikenal"),
    ("/?indikator=xyz", "Indikator 'xyz' tidak dikenal"),
    ("/?tahun=2030", "Tidak ada data IDI untuk 2030"),
])
def test_bad_urls_show_a_message_and_a_map(page, server: str, url: str,  # type: ignore[no-untyped-def]
                                           message: str) -> None:
    page.goto(server + url)
    regions_drawn(page, 38)
    page.locator(".peta-notices", has_text=message).wait_for()


def test_search_tolerates_forms_and_typos(page, server: str,  # type: ignore[no-untyped-def]
                                          registry: Registry) -> None:
    page.goto(server + "/?indikator=konflik")  # an indicator with kecamatan values
    regions_drawn(page, 38)
    # Hovering a region fetches the boundaries a click on it loads, ahead of the click.
    page.mouse.move(*page.evaluate(POINT_IN_REGION, region_class("64")))  # clear of the legend
    page.wait_for_function("performance.getEntriesByType('resource').some("
                           "e => e.name.includes('/geo/kabkota.json?parent=64&'))")
    page.locator("#" + ids.MAP_SEARCH).fill("kab bandng")
    first = page.locator(".peta-hit").first
    first.wait_for()
    assert first.inner_text() == "Kabupaten Bandung (Jawa Barat)"
    first.click()
    page.wait_for_url("**/wilayah/32.04?**")
    regions_drawn(page, len(registry.children("32.04")))
    page.locator(".peta-breadcrumb .crumb-current", has_text="Kabupaten Bandung").wait_for()
    assert page.locator(".peta-breadcrumb").inner_text().split() == [
        "Indonesia", "›", "Jawa", "Barat", "›", "Kabupaten", "Bandung"]
    page.wait_for_function(f"document.getElementById('{ids.MAP_SEARCH}').value === ''")
    # Short names and the keyboard: ArrowDown into the list, along it, Enter picks.
    box = page.locator("#" + ids.MAP_SEARCH)
    box.fill("Sulut")
    page.locator(".peta-hit", has_text="Sulawesi Utara").wait_for()
    box.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == "Sulawesi Utara"
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == ids.MAP_SEARCH
    box.fill("32.73")
    page.locator(".peta-hit", has_text="Kota Bandung").wait_for()
    box.press("Enter")
    page.wait_for_url("**/wilayah/32.73?**")


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_one_screen_without_scrolling(new_page, server: str, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    page = new_page(*size)
    sign_in(page, server)
    for path, regions in (("/", 38), ("/wilayah/32?indikator=ikp", 27)):
        page.goto(server + path)
        regions_drawn(page, regions)
        assert page.evaluate("document.documentElement.scrollHeight") <= size[1]
        for selector in (".peta-map-area", ".peta-legend", ".peta-controls", ".kpi-grid .kpi"):
            page.locator(selector).first.wait_for()
            box = page.locator(selector).first.bounding_box()
            assert box is not None, selector
            assert box["y"] >= 0 and box["y"] + box["height"] <= size[1], (selector, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= size[0], (selector, box)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"one-screen-{size[0]}x{size[1]}.png"))


def test_all_kecamatan_on_one_canvas(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/?indikator=konflik&tingkat=kecamatan")
    page.wait_for_function(
        "document.querySelector('.leaflet-overlay-pane canvas') && window.mataGaruda.map.current"
        " && Object.keys(window.mataGaruda.map.current.d).length == 7285")
    legend_total(page, 7285)
    assert page.locator(".legend-missing .swatch-grey").count() == 1  # no hatch on a canvas
    # Nor stripes: the legend says how simulated values look there.
    assert page.locator(".legend-simulated").inner_text().startswith(
        "Data simulasi (warna pudar)")


def test_sign_in_page_refuses_then_signs_in_and_out(new_page, server: str) -> None:  # type: ignore[no-untyped-def]
    # The wrong password is answered 401, which Chromium logs as a failed load.
    page = new_page(expect=(f"status of 401 (UNAUTHORIZED) at {server}/masuk",))
    page.goto(server + "/wilayah/32?indikator=ikp")
    page.wait_for_url("**/masuk?next=/wilayah/32**")
    page.get_by_label("Nama pengguna").fill(USERNAME)
    page.get_by_label("Kata sandi").fill("Salah-Sandi-0000")
    page.get_by_role("button", name="Masuk").click()
    assert page.get_by_role("alert").inner_text() == "Nama pengguna atau kata sandi salah."
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/wilayah/32?indikator=ikp**")
    regions_drawn(page, 27)
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url("**/masuk")
    page.goto(server + "/")
    page.wait_for_url("**/masuk?next=/**")


def test_upload_a_filled_template(page, server: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    page.goto(server + "/unggah")
    with page.expect_download() as download:
        page.get_by_role("button", name="Unduh templat XLSX").click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    book = load_workbook(template)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    value_col = next(i for i, h in enumerate(header) if str(h).startswith("value")) + 1
    codes = {sheet.cell(r, header.index("code") + 1).value: r for r in range(2, sheet.max_row + 1)}
    sheet.cell(codes["32"], value_col, 77.5)
    sheet.cell(codes["33"], value_col, 76.25)
    book.save(template)
    page.locator("#" + ids.UPLOAD_FILE + " input[type=file]").set_input_files(str(template))
    page.get_by_text("baru: 2").wait_for()
    page.get_by_role("button", name="Simpan sebagai draf").click()
    page.get_by_text("2 nilai tersimpan sebagai draf.").wait_for()
    # The same content again changes nothing.
    again = tmp_path / ("lagi-" + template.name)
    again.write_bytes(template.read_bytes())
    page.locator("#" + ids.UPLOAD_FILE + " input[type=file]").set_input_files(str(again))
    page.get_by_text("tetap: 2").wait_for()


def test_entry_reaches_the_completeness_map(page, server: str) -> None:  # type: ignore[no-untyped-def]
    from components.completeness import STATUS_COLORS

    page.goto(server + "/isian")
    page.get_by_text("% pemilih terdaftar (DPT)").wait_for()  # the indicator's unit and range
    page.get_by_text("0 s.d. 100; 2 angka desimal").wait_for()
    cell = page.locator(f'#{ids.ENTRY_GRID} .ag-row[row-id="35"] .ag-cell[col-id="new_value"]')
    for typed, invalid in (("7o,5", True), ("101", True), ("71,5", False)):
        cell.dblclick()
        page.keyboard.press("Control+A")
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
        assert ("cell-invalid" in (cell.get_attribute("class") or "")) == invalid, typed
    page.get_by_role("button", name="Simpan draf").click()
    page.get_by_text("1 nilai diproses.").wait_for()
    row = page.locator(f'#{ids.ENTRY_GRID} .ag-row[row-id="35"]')
    row.locator('.ag-cell[col-id="status_label"]').get_by_text("Draf").wait_for()
    row.locator("input[type=checkbox]").first.check()
    page.get_by_role("button", name="Ajukan terpilih").click()
    row.locator('.ag-cell[col-id="status_label"]').get_by_text("Diajukan").wait_for()

    page.goto(server + "/kelengkapan")
    submitted = STATUS_COLORS["submitted"]
    page.wait_for_function(
        f"() => {{ const p = document.querySelector('path.{region_class('35')}');"
        f" return p && p.getAttribute('fill').toLowerCase() === '{submitted.lower()}'; }}")
    fills = page.evaluate(REGION_FILLS)
    assert len(fills) == 38
    assert fills[region_class("91")] == "url(#mg-hatch)"  # Papua Barat entered nothing
    items = page.locator(f"#{ids.COMPLETENESS_LEGEND} li").all()
    counts = {item.locator(".legend-label").inner_text(): int(item.locator(
        ".legend-count").inner_text()) for item in items}
    painted = [fill.lower() for fill in fills.values()]
    assert counts["Diajukan"] == painted.count(submitted.lower()) >= 1
    assert counts["Belum mengisi"] == painted.count("url(#mg-hatch)") >= 1
    point = page.evaluate(POINT_IN_REGION, region_class("35"))
    page.mouse.move(*point)
    page.locator(".peta-tooltip").get_by_text("Diajukan").wait_for()


def test_pages_work_under_the_content_security_policy(new_page, server: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page(csp=True)
    page.add_init_script("window.__csp = []; document.addEventListener("
                         "'securitypolicyviolation', e => window.__csp.push("
                         "e.violatedDirective + ' ' + e.blockedURI));")
    sign_in(page, server)
    shapes = "path.leaflet-interactive"
    checks = {"/": shapes, "/wilayah/32?indikator=ikp": shapes,
              "/tabel": ".region-table .ag-row", "/isian": ".ag-row",
              "/kelengkapan": shapes, "/unggah": "input[type=file]", "/audit": ".ag-row"}
    for path, selector in checks.items():
        page.goto(server + path)
        page.locator(selector).first.wait_for(state="attached")
        assert page.evaluate("window.__csp") == [], path


# --- controls, URL and legend agree with what is drawn (issue 11, finding 8) -------------

class Callbacks:
    """Count the page's callback requests in flight, to wait until the page is settled."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        import time

        self.page, self.pending, self.clock = page, 0, time.monotonic
        self.last = self.clock()
        page.on("request", lambda r: self._count(r, 1))
        page.on("requestfinished", lambda r: self._count(r, -1))
        page.on("requestfailed", lambda r: self._count(r, -1))

    def _count(self, request, step: int) -> None:  # type: ignore[no-untyped-def]
        if "/_dash-update-component" in request.url:
            self.pending += step
            self.last = self.clock()

    def settled(self, quiet: float = 0.6) -> None:
        """Wait until no callback has been in flight for ``quiet`` seconds (a chain's next
        request follows its answer within milliseconds) and the map shows a colouring."""
        self.last = self.clock()  # the action just taken may start a chain
        while self.pending or self.clock() - self.last < quiet:
            self.page.wait_for_timeout(50)
        self.page.wait_for_function("window.mataGaruda.map.current"
                                    " && window.mataGaruda.map.current.rev")


def shown_state(page) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Read the controls, the URL, the legend and the regions the map colours."""
    from urllib.parse import parse_qs, urlsplit

    url = urlsplit(page.url)
    drawn = page.evaluate("() => Object.keys(window.mataGaruda.map.current.d)")
    return {
        "path": url.path, "query": {k: v[0] for k, v in parse_qs(url.query).items()},
        "indicator": page.locator("#" + ids.MAP_INDICATOR).input_value(),
        "year": page.locator(f"#{ids.MAP_YEAR} [role=slider]").get_attribute("aria-valuenow"),
        "tampil": page.locator(f"#{ids.MAP_SHOW} input:checked").get_attribute("value"),
        "method": page.locator("#" + ids.MAP_METHOD).input_value(),
        "classes": page.locator("#" + ids.MAP_CLASSES).input_value(),
        "level": page.locator(f"#{ids.MAP_LEVEL} input:checked").get_attribute("value"),
        "title": page.locator(".peta-legend .legend-title").inner_text(),
        "subtitle": page.locator(".peta-legend .legend-subtitle").inner_text(),
        "drawn": ("provinsi", "kabkota", "kecamatan")[drawn[0].count(".")],
        "play": page.locator("#" + ids.MAP_PLAY).inner_text(),
    }


def check_agreement(s: dict[str, object], catalogue: dict[str, object]) -> None:
    """Check the controls, the URL and the legend describe the same, drawn view."""
    from i18n import t

    query = s["query"]
    assert isinstance(query, dict)
    ind = catalogue[query["indikator"]]
    assert s["indicator"].startswith(f"{ind.short_name} – "), s  # type: ignore[attr-defined]
    assert s["year"] == query["tahun"], s
    assert s["tampil"] == query.get("tampil", "nilai"), s
    assert s["level"] == s["drawn"], s
    region_default = "provinsi" if s["path"] == "/" else "kabkota"
    assert query.get("tingkat", region_default) == s["drawn"] or (
        "tingkat" not in query and s["drawn"] == "provinsi"), s  # a region below the data
    assert s["play"] == "▶", s
    if s["tampil"] == "nilai":
        assert s["title"] == f"{ind.short_name} {query['tahun']}", s  # type: ignore[attr-defined]
        method = t(f"peta.method.{query['kelas']}", "id")
        assert s["method"] == method and s["subtitle"].startswith(method + " · "), s
        if query["kelas"] != "kategori":
            assert s["classes"] == query["n"], s
    else:
        assert s["title"].startswith("Perubahan") and s["title"].endswith(query["tahun"]), s


def test_controls_url_and_legend_agree_after_random_changes(page, server: str) -> None:  # type: ignore[no-untyped-def]
    import random

    from queries.catalogue import load_catalogue_file

    catalogue = load_catalogue_file()
    rng = random.Random(4)  # a seed whose 20 changes include every kind
    callbacks = Callbacks(page)
    page.goto(server + "/wilayah/32?indikator=ikp")
    callbacks.settled()
    check_agreement(shown_state(page), catalogue)  # type: ignore[arg-type]
    done: list[str] = []
    while len(done) < 20:
        kind = rng.choice(["indicator", "year", "level", "method", "tampil"])
        if kind == "indicator":
            page.locator("#" + ids.MAP_INDICATOR).click()
            options = page.locator("[role=option][aria-selected=false]:visible")
            options.nth(rng.randrange(options.count())).click()
        elif kind == "year":
            page.locator(f"#{ids.MAP_YEAR} [role=slider]").press(
                rng.choice(["ArrowLeft", "ArrowRight", "Home", "End"]))
        elif kind == "level":
            free = page.locator(f"#{ids.MAP_LEVEL} input:not([disabled]):not(:checked)")
            if not free.count():
                continue
            value = free.nth(rng.randrange(free.count())).get_attribute("value")
            page.locator(f"#{ids.MAP_LEVEL} label[for$='{value}']").click()
        elif kind == "method":
            if page.locator("#" + ids.MAP_METHOD).is_disabled():
                continue
            page.locator("#" + ids.MAP_METHOD).click()
            options = page.locator(
                "[role=option][aria-selected=false]:visible:not([data-combobox-disabled])")
            options.nth(rng.randrange(options.count())).click()
        else:
            page.locator(f"#{ids.MAP_SHOW} input:not(:checked) + label").click()
        callbacks.settled()
        done.append(kind)
        check_agreement(shown_state(page), catalogue)  # type: ignore[arg-type]
    assert set(done) == {"indicator", "year", "level", "method", "tampil"}


def test_play_stops_with_the_button_on_play(page, server: str) -> None:  # type: ignore[no-untyped-def]
    callbacks = Callbacks(page)
    page.goto(server + "/?indikator=idi&tahun=2023")
    callbacks.settled()
    page.locator("#" + ids.MAP_PLAY).click()
    page.wait_for_function(f"document.getElementById('{ids.MAP_PLAY}').textContent === '❚❚'")
    page.wait_for_url("**tahun=2024**")
    page.wait_for_function(f"document.getElementById('{ids.MAP_PLAY}').textContent === '▶'")
    callbacks.settled()
    assert page.locator(f"#{ids.MAP_YEAR} [role=slider]").get_attribute("aria-valuenow") == "2024"


def test_turnout_has_no_official_categories_to_choose(page, server: str) -> None:  # type: ignore[no-untyped-def]
    callbacks = Callbacks(page)
    page.goto(server + "/wilayah/32?indikator=ikp")
    callbacks.settled()
    assert page.locator("#" + ids.MAP_METHOD).input_value() == "Kategori resmi"
    page.locator("#" + ids.MAP_INDICATOR).click()
    page.get_by_role("option", name="Partisipasi Pilpres – Partisipasi pemilih Pilpres").click()
    callbacks.settled()
    state = shown_state(page)
    assert (state["method"], state["query"]) == ("Kuantil", {  # type: ignore[comparison-overlap]
        "indikator": "turnout_pilpres", "tahun": "2024", "kelas": "kuantil", "n": "5"})
    assert state["subtitle"].startswith("Kuantil · ")  # type: ignore[attr-defined]
    page.locator("#" + ids.MAP_METHOD).click()
    official = page.get_by_role("option", name="Kategori resmi")
    assert official.get_attribute("data-combobox-disabled") == "true"


def test_a_map_before_2022_draws_the_34_provinces_of_then(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/?indikator=idi&tahun=2019")
    regions_drawn(page, 34)
    legend_total(page, 34)
    fills = page.evaluate(REGION_FILLS)
    assert region_class("91") in fills and region_class("94") not in fills  # old Papua
    assert "url(#mg-hatch)" not in fills.values()  # no new province hatched as missing
    page.locator(f"#{ids.MAP_YEAR} [role=slider]").press("End")
    page.wait_for_url("**tahun=2024**")
    regions_drawn(page, 38)
    legend_total(page, 38)


# --- Records behind a number (/catatan) and the desa of a kecamatan -----------------------
# On an app served in this process with the stand-in lake of tests/records_lake.py: the
# server above runs in its own process, with the lake of its settings.
DESA = {"32.73.01.1001": "Sukarasa", "32.73.01.1002": "Gegerkalong", "32.73.01.1003": "Isola"}


def test_values_computed_from_records_say_so(page, server: str) -> None:  # type: ignore[no-untyped-def]
    """The demo's TPS records give turnout per kecamatan and desa, its incidents per kab/kota.

    Each value computed from records says how many, and, simulated records being behind
    them, that it is DATA SIMULASI.
    """
    page.goto(server + "/?indikator=turnout_pilpres&tahun=2024&kode=32.73.01")
    regions_drawn(page, 30)  # the kecamatan of Kota Bandung, Sukasari selected
    card = page.locator(".kpi").first.inner_text()
    assert "Sukasari" in card and "DATA SIMULASI" in card, card
    assert re.search(r"dihitung dari \d+ catatan", card), card
    page.mouse.move(*page.evaluate(POINT_IN_REGION, region_class("32.73.02")))  # Coblong
    tooltip = page.locator(".peta-tooltip").inner_text()
    assert re.search(r"DATA SIMULASI · dihitung dari \d+ catatan", tooltip), tooltip
    desa = page.locator(f"#{ids.MAP_DESA} tbody tr").all_inner_texts()
    assert len(desa) == 4 and all(re.search(r"\d+,\d\d", row) for row in desa), desa

    page.goto(server + "/?indikator=konflik&tahun=2024&tingkat=kabkota")
    regions_drawn(page, 514)
    legend_total(page, 514)
    page.mouse.move(*page.evaluate(POINT_IN_REGION, region_class("91.03")))
    tooltip = page.locator(".peta-tooltip").inner_text()
    assert "Kabupaten Jayapura" in tooltip
    assert re.search(r"DATA SIMULASI · dihitung dari [\d.]+ catatan", tooltip), tooltip


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
        write_values(conn, [NewValue("turnout_pilpres", "32.73.01.1001", 2024, 75.0, "test",
                                     records=150)],
                     source_kind="agregat", status="agregat",
                     source_of={"turnout_pilpres": "Uji"}, recorded_by="test")
        write_values(conn, [NewValue("turnout_pilpres", code, 2024, value, "test")
                            for code, value in (("32.73.01", 77.1), ("32.73", 78.0),
                                                ("32", 80.0), ("ID", 81.0))],
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
def test_records_page_pages_through_the_records(new_page, records_server: str,  # type: ignore[no-untyped-def]
                                                lang: str, total: str, heading: str) -> None:
    page = new_page(csp=True)  # the grid's paging works under the content security policy
    sign_in(page, records_server)
    page.context.add_cookies([{"name": "lang", "value": lang, "url": records_server}])
    page.goto(records_server + "/catatan?aliran=tps&wilayah=32.73&tahun=2024")
    page.wait_for_selector(f"#{ids.RECORDS_SUMMARY} >> text={total}")
    assert heading in page.inner_text("h2")
    rows = ".records-grid .ag-center-cols-container .ag-row"
    page.locator(f"{rows}[row-index='0']", has_text="32.73.01.1001").wait_for()
    page.locator(f"{rows}[row-index='0']").hover()
    page.mouse.wheel(0, 20_000)  # the last row of the page, filled in too
    page.locator(f"{rows}[row-index='99']", has_text="32.73.01.1001").wait_for()
    page.locator(".records-grid .ag-paging-button[aria-label='Next Page']").click()
    # The second page: the rest of desa 1001, whose TPS run to 150, then desa 1002.
    page.locator(f"{rows}[row-index='100']", has_text="32.73.01.1001").wait_for()
    page.locator(f"{rows}[row-index='100']").hover()
    page.mouse.wheel(0, 20_000)
    page.locator(f"{rows}[row-index='199']", has_text="32.73.01.1002").wait_for()
    csv_link = page.locator(f"#{ids.RECORDS_EXPORT} a")
    assert "/ekspor/catatan.csv?aliran=tps&wilayah=32.73&tahun=2024" in (
        csv_link.get_attribute("href") or "")


@pytest.mark.parametrize(("lang", "missing", "note", "link"), [
    ("id", "Data tidak tersedia", "Batas desa belum tersedia", "Lihat 210 catatan"),
    ("en", "No data", "Village boundaries are not available", "See 210 records"),
])
def test_a_kecamatan_lists_its_desa(new_page, records_server: str, lang: str,  # type: ignore[no-untyped-def]
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
