"""Browser tests: the real server, with demo data, driven by headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from settings import PROJECT_ROOT

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
ARTIFACTS = PROJECT_ROOT / "test-results"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return
        except OSError:
            time.sleep(0.25)  # polling the server's start, not synchronising the page
    raise TimeoutError(f"server at {url} did not start within {timeout} s")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, published_dir: Path,
           boundaries_dir: Path) -> Iterator[str]:
    """Serve the app with published and demo data as `make run` does, on a free port."""
    port = _free_port()
    var = tmp_path_factory.mktemp("var")
    env = {**os.environ, "MATA_GARUDA_VAR_DIR": str(var), "MATA_GARUDA_PORT": str(port),
           "MATA_GARUDA_BOUNDARIES_DIR": str(boundaries_dir),
           "MATA_GARUDA_PUBLISHED_DIR": str(published_dir)}
    env.pop("MATA_GARUDA_DATABASE_URL", None)
    log = (var / "server.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve"], cwd=PROJECT_ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; `make test` installs it")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A fresh page that records console errors; the test fails if any appear."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"console errors: {errors}"


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
    page.goto(server + "/")
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
    page.goto(server + "/")
    page.wait_for_selector(".region-table .ag-row")
    page.get_by_text("EN", exact=True).click()
    page.get_by_text("Indonesian Democracy Index by province").wait_for()
    rows = grid_rows(page)
    assert rows["Jawa Barat"][2] == "82.80"
    assert page.get_by_text("SIMULATED DATA").first.is_visible()
    page.get_by_text("ID", exact=True).click()
    page.get_by_text("Indeks Demokrasi Indonesia per provinsi").wait_for()
