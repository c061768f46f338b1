"""Uploads cannot exhaust the server (issue 10, finding 5).

A workbook is counted before it is loaded (:mod:`ingest.xlsx`): rows, columns, cells,
shared strings and XML elements, whatever its ``<dimension>`` says; then its only sheet
is streamed in openpyxl's read-only mode.

The workbooks here are written by hand (a sheet's XML in a workbook openpyxl made), so
that large and malformed ones are quick to make.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

import ingest.tidy
from ingest.tidy import read_table
from ingest.xlsx import MAX_COLUMNS, Limits
from settings import PROJECT_ROOT

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


def test_merged_cells_are_found_in_any_namespace_prefix() -> None:
    sheet = sheet_xml([HEADER, ROW], tail="</sheetData><x:mergeCells xmlns:x=\"" + NS
                      + '"><x:mergeCell ref="F2:G2"/></x:mergeCells></worksheet>')
    assert problems(workbook(sheet)) == [
        "merged cells F2:G2 on sheet 'Sheet'; unmerge them so that every value has its own "
        "cell"]


MEMORY = """
import resource, sys
from ingest.tidy import read_table
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
table = read_table("isian.xlsx", data, columns=("value",), max_rows=20_000)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(len(table.rows), len(table.errors), grown // 1024)
"""


def test_a_legal_large_workbook_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "isian.xlsx"
    path.write_bytes(workbook(sheet_xml([HEADER, *[ROW] * ROWS])))
    # A fresh process, so that the peak of its resident memory is this read's.
    out = subprocess.run([sys.executable, "-c", MEMORY, str(path)], cwd=PROJECT_ROOT,
                         check=True, capture_output=True, text=True).stdout.split()
    rows, errors, grown_mb = map(int, out)
    assert (rows, errors) == (ROWS, 0)
    assert grown_mb < 40, f"reading grew the process by {grown_mb} MB"  # +70 MB when loaded
