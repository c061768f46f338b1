"""Uploads cannot exhaust the server (issue 10, finding 5).

A workbook is counted before it is loaded (:mod:`ingest.xlsx`): rows, columns, cells,
shared strings and XML elements, whatever its ``<dimension>`` says; then its only sheet
is streamed in openpyxl's read-only mode. At most ``MATA_GARUDA_UPLOAD_PARSERS`` files
are checked at once, as many more wait and the rest are turned away
(:mod:`ingest.upload.slots`), so page requests always find one of the server's threads.

The workbooks here are written by hand (a sheet's XML in a workbook openpyxl made), so
that large and malformed ones are quick to make.
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests
import waitress

import ids
import ingest.tidy
from app import create_app, services_of
from auth.accounts import add_account
from geodata.registry import Registry
from ingest.bootstrap import prepare_database
from ingest.tidy import read_table
from ingest.upload import ParseSlots, UploadBusyError, preview
from ingest.xlsx import MAX_COLUMNS, Limits
from queries.db import make_engine
from settings import PROJECT_ROOT, Settings, SettingsError

HEADER = ["indicator", "level", "code", "name", "year", "value", "reason", "current_value"]
ROW = ["turnout_pilkada", "kecamatan", "32.73.01", "Sukasari", 2024, 70.5, "alasan", 69]
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROWS = 20_000  # the upload's limit of data rows
CELLS = Limits.for_rows(ROWS).cells


def _cell(column: int, row: int, value: object) -> str:
    ref = f"{openpyxl.utils.get_column_letter(column)}{row}"
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def sheet_xml(rows: list[list[object]], *, dimension: str | None = "auto",
              tail: str = "") -> bytes:
    """A sheet of ``rows`` (the first is the header), then ``tail`` before its end."""
    width = max(len(r) for r in rows)
    ref = f"A1:{openpyxl.utils.get_column_letter(width)}{len(rows)}"
    parts = [f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">']
    if dimension is not None:
        parts.append(f'<dimension ref="{ref if dimension == "auto" else dimension}"/>')
    parts.append("<sheetData>")
    parts += [f'<row r="{r}">' + "".join(_cell(c, r, v) for c, v in enumerate(row, start=1))
              + "</row>" for r, row in enumerate(rows, start=1)]
    parts.append(tail or "</sheetData></worksheet>")
    return "".join(parts).encode()


def workbook(sheet: bytes, parts: dict[str, bytes] | None = None) -> bytes:
    """A workbook made by openpyxl with its sheet's XML replaced; ``parts`` added or replaced."""
    made = io.BytesIO()
    openpyxl.Workbook().save(made)
    replaced = {"xl/worksheets/sheet1.xml": sheet, **(parts or {})}
    out = io.BytesIO()
    with zipfile.ZipFile(made) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in source.infolist():
            dest.writestr(info.filename, replaced.pop(info.filename, None)
                          or source.read(info))
        for name, data in replaced.items():
            dest.writestr(name, data)
    return out.getvalue()


BROKEN = "<row r='999999'><c></row>"  # not XML: a scan that reaches it reports it
NOT_LOADED = "cannot be read as an XLSX workbook"


@pytest.fixture
def unloaded(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record any attempt to load a workbook with openpyxl (every call fails)."""
    calls: list[object] = []

    def spy(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("the workbook was loaded")

    monkeypatch.setattr(ingest.tidy.openpyxl, "load_workbook", spy)
    return calls


def problems(data: bytes) -> list[str]:
    """The problems the upload's reader finds in a workbook, in English."""
    return [str(e) for e in read_table("isian.xlsx", data, columns=HEADER, max_rows=ROWS).errors]


# ------------------------------------------------------------------------- the limits


def test_the_issue_workbook_is_refused_from_its_dimension(unloaded: list[object]) -> None:
    # 20,000 x 60 numeric cells: 27 s and +560 MB before the fix.
    data = workbook(sheet_xml([list(range(60))] * (ROWS + 1)))
    assert len(data) < 5 * 2**20  # under the upload's size limit
    assert problems(data) == [f"the sheet has 60 columns; the limit is {MAX_COLUMNS}: keep "
                              "only the template's columns"]
    assert unloaded == []


@pytest.mark.parametrize(("dimension", "rows", "expected"), [
    (None, [list(range(60))] * 100, f"the sheet has more than {MAX_COLUMNS} columns"),
    ("A1:H10", [ROW] * (ROWS + 10), f"more than {ROWS:,} data rows"),  # a lying dimension
    (None, [HEADER[:1] + list(range(1, 16_000))], f"the sheet has more than {MAX_COLUMNS}"),
    (None, [list(range(16))] * ROWS, f"the workbook holds more than {CELLS:,} cells"),
])
def test_limits_hold_without_a_true_dimension(unloaded: list[object], dimension: str | None,
                                              rows: list[list[object]], expected: str) -> None:
    # The sheet ends in broken XML: the scan stops at the limit, long before it.
    data = workbook(sheet_xml(rows, dimension=dimension, tail=BROKEN))
    found = problems(data)
    assert len(found) == 1 and found[0].startswith(expected), found
    assert unloaded == []


def test_shared_strings_and_xml_elements_are_counted(unloaded: list[object]) -> None:
    sheet = sheet_xml([HEADER, ROW])
    strings = (f'<sst xmlns="{NS}">' + "<si><t>x</t></si>" * (CELLS + 1) + BROKEN).encode()
    assert problems(workbook(sheet, {"xl/sharedStrings.xml": strings})) == [
        f"the workbook holds more than {CELLS:,} cells; split it into smaller files or delete "
        "extra columns"]
    elements = Limits.for_rows(ROWS).elements
    styles = (f'<styleSheet xmlns="{NS}">' + "<x/>" * elements + BROKEN).encode()
    assert problems(workbook(sheet, {"xl/styles.xml": styles})) == [
        f"the workbook is too complex to check (more than {elements:,} XML elements: cells, "
        "texts, formats); copy the data into a new workbook and save that"]
    assert unloaded == []


def test_a_dtd_is_refused() -> None:
    laughs = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
              '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
              "<is><t>&b;</t></is></c></row></sheetData></worksheet>").encode()
    assert problems(workbook(laughs)) == [
        "part xl/worksheets/sheet1.xml of the workbook declares a DTD, which spreadsheet "
        "applications never write; save it again from Excel"]


def test_a_small_dimension_does_not_hide_cells() -> None:
    # openpyxl's read-only mode trusts <dimension>: cells outside it would be dropped.
    data = workbook(sheet_xml([HEADER, *[ROW] * 5], dimension="A1:B2"))
    table = read_table("isian.xlsx", data, columns=HEADER, max_rows=ROWS)
    assert (table.errors, table.header) == ([], HEADER)
    assert table.rows == [(row, ROW) for row in range(2, 7)]


def test_merged_cells_are_found_in_any_namespace_prefix() -> None:
    sheet = sheet_xml([HEADER, ROW], tail="</sheetData><x:mergeCells xmlns:x=\"" + NS
                      + '"><x:mergeCell ref="F2:G2"/></x:mergeCells></worksheet>')
    assert problems(workbook(sheet)) == [
        "merged cells F2:G2 on sheet 'Sheet'; unmerge them so that every value has its own "
        "cell"]


MEMORY = """
import sys
from pathlib import Path
from ingest.tidy import read_table

def kilobytes(field):
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith(field)).split()[1])

data = Path(sys.argv[1]).read_bytes()
Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from here
before = kilobytes("VmRSS:")
table = read_table("isian.xlsx", data, columns=("value",), max_rows=20_000)
print(len(table.rows), len(table.errors), (kilobytes("VmHWM:") - before) // 1024)
"""


def test_a_legal_large_workbook_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "isian.xlsx"
    path.write_bytes(workbook(sheet_xml([HEADER, *[ROW] * ROWS])))
    # A fresh process, whose peak resident memory (Linux) is reset just before the read.
    out = subprocess.run([sys.executable, "-c", MEMORY, str(path)], cwd=PROJECT_ROOT,
                         check=True, capture_output=True, text=True).stdout.split()
    rows, errors, grown_mb = map(int, out)
    assert (rows, errors) == (ROWS, 0)
    assert grown_mb < 40, f"reading grew the process by {grown_mb} MB"  # +70 MB when loaded


# -------------------------------------------------------------------------- the slots


def _holder(slots: ParseSlots, inside: threading.Semaphore,
            leave: threading.Event) -> Callable[[], str]:
    def hold() -> str:
        try:
            with slots.slot():
                inside.release()
                assert leave.wait(timeout=30)
        except UploadBusyError:
            return "busy"
        return "parsed"
    return hold


def test_slots_admit_parsers_queue_as_many_and_turn_the_rest_away() -> None:
    slots = ParseSlots(2, wait=30)
    inside, leave = threading.Semaphore(0), threading.Event()
    with ThreadPoolExecutor(6) as pool:
        first = [pool.submit(_holder(slots, inside, leave)) for _ in range(2)]
        assert inside.acquire(timeout=30) and inside.acquire(timeout=30)
        later = [pool.submit(_holder(slots, inside, leave)) for _ in range(4)]
        # Two parse and two may wait: the other two are turned away at once.
        done: set[Future[str]] = set()
        while len(done) < 2:
            finished, _ = wait(set(later) - done, timeout=30, return_when=FIRST_COMPLETED)
            assert finished, "no one was turned away"
            done |= finished
        assert [f.result() for f in done] == ["busy", "busy"]
        assert not any(f.done() for f in first) and len([f for f in later if f.done()]) == 2
        leave.set()
        assert [f.result(timeout=30) for f in first + later if f not in done] == ["parsed"] * 4


def test_a_wait_is_bounded() -> None:
    slots = ParseSlots(1, wait=0.05)
    inside, leave = threading.Semaphore(0), threading.Event()
    with ThreadPoolExecutor(1) as pool:
        holder = pool.submit(_holder(slots, inside, leave))
        assert inside.acquire(timeout=30)
        with pytest.raises(UploadBusyError):  # waited 0.05 s for the only slot
            with slots.slot():
                pass
        leave.set()
        assert holder.result(timeout=30) == "parsed"


@pytest.mark.parametrize(("raw", "problem"), [
    ("0", "must be 1 to 3"), ("4", "must be 1 to 3"), ("dua", "must be a whole number"),
    ("²", "must be a whole number")])
def test_the_setting_is_checked(raw: str, problem: str) -> None:
    with pytest.raises(SettingsError, match=problem):
        Settings.from_env({"MATA_GARUDA_UPLOAD_PARSERS": raw})
    assert Settings.from_env({"MATA_GARUDA_UPLOAD_PARSERS": "3"}).upload_parsers == 3
    assert Settings.from_env({}).upload_parsers == 2


# ------------------------------------------------------------------ through the server

PASSWORD = "Unggah-Berkas-Besar-7"
UPLOADS = 8  # as many as the server has threads


@pytest.fixture
def server(tmp_path: Path, registry: Registry) -> Iterator[tuple[str, Any]]:
    """The app under waitress with 8 threads, as `mata-garuda serve` runs it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    prepare_database(engine, registry)
    with engine.begin() as conn:
        add_account(conn, registry, username="kotabandung", role="kabkota",
                    region_code="32.73", password=PASSWORD)
    engine.dispose()
    none = tmp_path / "none"
    app = create_app(Settings(var_dir=tmp_path / "var",
                              database_url=f"sqlite:///{tmp_path / 'app.db'}",
                              boundaries_dir=none, published_dir=none, upload_parsers=2))
    served = waitress.create_server(app.server, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{served.effective_port}", app
    finally:
        served.trigger.pull_trigger(served.close)  # closed by its own loop, not under it
        served.task_dispatcher.shutdown()
        services_of(app).engine.dispose()


def _signed_in(url: str) -> requests.Session:
    session = requests.Session()
    page = session.get(url + "/masuk", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    answer = session.post(url + "/masuk", allow_redirects=False, timeout=30, data={
        "username": "kotabandung", "password": PASSWORD, "csrf_token": token.group(1)})
    assert answer.status_code == 302, answer.text[:300]
    return session


def _upload(url: str, cookies: Any, data: bytes) -> str:
    """Post the upload page's check callback as the browser does; return its summary."""
    outputs = [(ids.UPLOAD_GRID, "rowData"), (ids.UPLOAD_SUMMARY, "children"),
               (ids.UPLOAD_APPLY, "disabled"), (ids.UPLOAD_TOKEN, "data")]
    contents = "data:text/csv;base64," + base64.b64encode(data).decode()
    body = {"output": f"..{'...'.join(f'{i}.{p}' for i, p in outputs)}..",
            "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [{"id": ids.UPLOAD_FILE, "property": "contents", "value": contents},
                       {"id": ids.UPLOAD_FILE, "property": "filename", "value": "isian.csv"},
                       {"id": ids.UPLOAD_FILE, "property": "last_modified", "value": 1}],
            "state": [{"id": ids.SHELL_LANG_STORE, "property": "data", "value": "en"}],
            "changedPropIds": [f"{ids.UPLOAD_FILE}.contents"]}
    with requests.Session() as session:
        session.cookies.update(cookies)
        answer = session.post(url + "/_dash-update-component", json=body, timeout=120,
                              headers={"X-CSRFToken": session.cookies.get("mg_csrf") or ""})
    assert answer.status_code == 200, answer.text[:300]
    return json.dumps(answer.json()["response"][ids.UPLOAD_SUMMARY]["children"])


def test_parses_never_keep_pages_waiting(server: tuple[str, Any],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from pages import upload as upload_page  # registers the page: after the app is made

    url, app = server
    # Long waits, so that the two uploads that queue are admitted however slow this runs.
    app.server.extensions[upload_page.SLOTS] = ParseSlots(2, wait=120)
    inside, leave = threading.Semaphore(0), threading.Event()

    def slow_preview(*args: Any, **kwargs: Any) -> Any:
        inside.release()
        assert leave.wait(timeout=60)
        return preview(*args, **kwargs)

    monkeypatch.setattr(upload_page, "preview", slow_preview)
    session = _signed_in(url)
    data = b"indicator,level,code,name,year,value\nikp,kabkota,32.73,Kota Bandung,2024,70\n"
    with ThreadPoolExecutor(UPLOADS) as pool:
        uploads = [pool.submit(_upload, url, session.cookies, data) for _ in range(UPLOADS)]
        assert inside.acquire(timeout=60) and inside.acquire(timeout=60)
        done: set[Future[str]] = set()
        while len(done) < UPLOADS - 4:  # two parse, two wait, four are turned away
            finished, _ = wait(set(uploads) - done, timeout=60, return_when=FIRST_COMPLETED)
            assert finished, "no upload was turned away"
            done |= finished
        assert all("other files are being checked" in f.result() for f in done)
        # Four threads hold uploads; a page is answered while the parses still run.
        page = session.get(url + "/unggah", timeout=30)
        assert page.status_code == 200 and page.elapsed.total_seconds() < 5
        assert not leave.is_set() and len(done) == UPLOADS - 4
        leave.set()
        checked = [f.result(timeout=120) for f in uploads if f not in done]
    session.close()
    assert len(checked) == 4 and all("new: 1" in text for text in checked), checked
