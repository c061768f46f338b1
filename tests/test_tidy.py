"""One reader and one row check for both doors: the published import and the office upload.

Every case goes through both doors, ``mata-garuda data import`` (:func:`import_file`) and
the upload on ``/unggah`` (:func:`preview`, then :func:`apply` when the preview is clean),
and must get the same answer: the same problems (the import adds the file name) and,
when accepted, one stored row.
"""

from __future__ import annotations

import codecs
import io
import shutil
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from geodata.registry import Registry
from ingest.bootstrap import prepare_database
from ingest.published import ImportRejectedError, import_file, import_targets
from ingest.tidy import MAX_UNZIPPED, read_rows
from ingest.upload import apply, preview
from queries.catalogue import load_catalogue_file, read_catalogue
from queries.db import make_engine
from queries.schema import observation
from tests.tiny import PUSAT

HEADER = "indicator,level,code,name,year,value"
IND = "turnout_pilkada"  # defined down to kecamatan, 0 to 100, periods include 2024
ROW = f"{IND},kabkota,32.73,Kota Bandung,2024"
KNOWN = ", ".join(sorted(load_catalogue_file()))
SAVE_AS = "in Excel choose File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)'"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Path:
    path = tmp_path_factory.mktemp("tidy") / "prepared.db"
    eng = make_engine(f"sqlite:///{path}")
    prepare_database(eng, registry)
    eng.dispose()
    return path


@pytest.fixture
def engine(prepared: Path, tmp_path: Path) -> Iterator[sa.Engine]:
    """A fresh copy of a migrated SQLite database with regions and catalogue, per test."""
    copy = tmp_path / "test.db"
    shutil.copyfile(prepared, copy)
    eng = make_engine(f"sqlite:///{copy}")
    yield eng
    eng.dispose()


def stored(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(observation)) or 0)


def by_import(engine: sa.Engine, registry: Registry, tmp_path: Path, filename: str,
              data: bytes) -> tuple[list[str], int]:
    """The import's problems (as the command prints them) and the rows it stored."""
    path = tmp_path / filename
    path.write_bytes(data)
    before = stored(engine)
    try:
        import_file(path, engine, registry)
        problems: list[str] = []
    except ImportRejectedError as exc:
        problems = exc.errors
    return problems, stored(engine) - before


def by_upload(engine: sa.Engine, registry: Registry, tmp_path: Path, filename: str,
              data: bytes) -> tuple[list[str], int]:
    """The upload's problems (in English) and the rows it stored; applied when clean."""
    with engine.connect() as conn:
        catalogue = read_catalogue(conn)
        checked = preview(conn, registry, catalogue, PUSAT, filename, data)
    before = stored(engine)
    if checked.ok:
        with engine.begin() as conn:
            apply(conn, registry, catalogue, PUSAT, checked)
    return [str(e) for e in checked.errors], stored(engine) - before


Door = Callable[[sa.Engine, Registry, Path, str, bytes], tuple[list[str], int]]
DOORS: dict[str, tuple[Door, Callable[[str, str], str]]] = {
    "import": (by_import, lambda filename, problem: f"{filename}: {problem}"),
    "upload": (by_upload, lambda filename, problem: problem),
}


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *lines)) + "\n").encode()


def xlsx_bytes(*rows: list[object], build: Callable[[openpyxl.Workbook], None] | None = None
               ) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [HEADER.split(","), *rows]:
        ws.append(row)
    if build is not None:
        build(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _merged(wb: openpyxl.Workbook) -> None:
    wb.active.merge_cells("F2:G2")


def _formula(wb: openpyxl.Workbook) -> None:
    wb.active["F2"] = "=35*2"


def _second_sheet(wb: openpyxl.Workbook) -> None:
    wb.create_sheet("Catatan")


def with_member(workbook: bytes, name: str, data: bytes) -> bytes:
    """Return ``workbook`` with one more file in its ZIP archive."""
    out = io.BytesIO(workbook)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return out.getvalue()


XLSX_ROW: list[object] = [IND, "kabkota", "32.73", "Kota Bandung", 2024, 70]

# (file name, bytes, problems in English); no problems means one stored row.
CASES: dict[str, tuple[str, bytes, list[str]]] = {
    # Accepted by both doors now; one of them used to refuse the row.
    "decimal-comma": ("rows.csv", csv_bytes(f'{ROW},"68,5"'), []),
    "national-empty-code": ("rows.csv", csv_bytes(f"{IND},nasional,,Indonesia,2024,70"), []),
    "header-note": ("rows.csv", csv_bytes(f"{ROW},70", header=HEADER + " (persen)"), []),
    "semicolons": ("rows.csv", csv_bytes(f"{ROW};70".replace(",", ";"),
                                         header=HEADER.replace(",", ";")), []),
    "utf16-tabs": ("rows.txt", f"{HEADER}\n{ROW},70\n".replace(",", "\t").encode("utf-16"),
                   []),
    "xlsx": ("rows.xlsx", xlsx_bytes(XLSX_ROW), []),
    # Refused by both doors now; the import used to accept the row.
    "empty-name": ("rows.csv", csv_bytes(f"{IND},kabkota,32.73,,2024,70"), [
        "row 2, column name: empty name; expected 'Kota Bandung' (the name guards against a "
        "mistyped code)"]),
    "year-with-decimals": ("rows.csv", csv_bytes(f"{IND},kabkota,32.73,Kota Bandung,2024.0,70"), [
        "row 2, column year: bad year '2024.0'; expected a year 1945-2100, such as 2024"]),
    "count-with-decimals": ("rows.csv", csv_bytes("konflik,kabkota,32.73,Kota Bandung,2024,2.5"), [
        "row 2, column value: konflik counts whole incidents; got 2.5"]),
    "count-thousands": ("rows.csv", csv_bytes("konflik,kabkota,32.73,Kota Bandung,2024,1.234"), [
        "row 2, column value: konflik counts whole incidents; got 1.234 - thousands separators "
        "are not allowed; write 1234, not 1.234"]),
    "exponent": ("rows.csv", csv_bytes(f"{ROW},7e1"), [
        "row 2, column value: not a number: '7e1'; expected a number such as 79.81 or 79,81 "
        "(no units, no % sign)"]),
    "underscore": ("rows.csv", csv_bytes(f"{ROW},7_0"), [
        "row 2, column value: not a number: '7_0'; expected a number such as 79.81 or 79,81 "
        "(no units, no % sign)"]),
    "merged-cells": ("rows.xlsx", xlsx_bytes([*XLSX_ROW, None], build=_merged), [
        "merged cells F2:G2 on sheet 'Sheet'; unmerge them so that every value has its own "
        "cell"]),
    "formula": ("rows.xlsx", xlsx_bytes(XLSX_ROW, build=_formula), [
        "row 2, column value (cell F2): a formula '=35*2'; values must be plain numbers or "
        "text (copy, then Paste Special > Values)"]),
    "unquoted-decimal-comma": ("rows.csv", csv_bytes(f"{ROW},79,81"), [
        'row 2: 7 cells, but the header has 6 columns; put a decimal comma inside quotes '
        '("79,81"), write 79.81, or separate the columns with semicolons']),
    # Refused by both doors, with the same message, one rule each.
    "unknown-indicator": ("rows.csv", csv_bytes("idx,kabkota,32.73,Kota Bandung,2024,70"), [
        f"row 2, column indicator: unknown indicator 'idx'; known: {KNOWN}"]),
    "unknown-level": ("rows.csv", csv_bytes(f"{IND},kota,32.73,Kota Bandung,2024,70"), [
        "row 2, column level: unknown level 'kota'; expected one of nasional, provinsi, "
        "kabkota, kecamatan"]),
    "empty-code": ("rows.csv", csv_bytes(f"{IND},kabkota,,Kota Bandung,2024,70"), [
        "row 2, column code: empty region code"]),
    "unknown-code": ("rows.csv", csv_bytes(f"{IND},kabkota,32.99,Kota Antah,2024,70"), [
        "row 2, column code: unknown region code '32.99'"]),
    "dropped-zero": ("rows.csv", csv_bytes(f"{IND},kabkota,32.1,Kota Bandung,2024,70"), [
        "row 2, column code: unknown region code '32.1' (a trailing zero may have been dropped "
        "by Excel: use the XLSX template or format the column as Text)"]),
    "level-mismatch": ("rows.csv", csv_bytes(f"{IND},kecamatan,32.73,Kota Bandung,2024,70"), [
        "row 2, column level: 32.73 is a kabkota code, but level says kecamatan"]),
    "name-mismatch": ("rows.csv", csv_bytes(f"{IND},kabkota,32.73,Kabupaten Bandung,2024,70"), [
        "row 2, column name: 'Kabupaten Bandung' does not match code 32.73 (Kota Bandung)"]),
    "below-lowest-level": ("rows.csv", csv_bytes("idi,kabkota,32.73,Kota Bandung,2024,70"), [
        "row 2, column level: idi is not defined below provinsi"]),
    "short-year": ("rows.csv", csv_bytes(f"{IND},kabkota,32.73,Kota Bandung,24,70"), [
        "row 2, column year: bad year '24'; expected a year 1945-2100, such as 2024"]),
    "year-before-range": ("rows.csv", csv_bytes(f"{IND},kabkota,32.73,Kota Bandung,1944,70"), [
        "row 2, column year: bad year '1944'; expected a year 1945-2100, such as 2024"]),
    "year-after-range": ("rows.csv", csv_bytes(f"{IND},kabkota,32.73,Kota Bandung,2101,70"), [
        "row 2, column year: bad year '2101'; expected a year 1945-2100, such as 2024"]),
    "words": ("rows.csv", csv_bytes(f"{ROW},tujuh puluh"), [
        "row 2, column value: not a number: 'tujuh puluh'; expected a number such as 79.81 or "
        "79,81 (no units, no % sign)"]),
    "thousands": ("rows.csv", csv_bytes(f'{ROW},"1.234,5"'), [
        "row 2, column value: '1.234,5' has thousands separators or several decimal marks; "
        "write the number with one decimal point or comma and no thousands separators, e.g. "
        "1234.5 or 1234,5"]),
    "above-scale": ("rows.csv", csv_bytes(f"{ROW},100.5"), [
        "row 2, column value: 100.5 is outside the range of turnout_pilkada (0 to 100)"]),
    "below-scale": ("rows.csv", csv_bytes(f"{ROW},-1"), [
        "row 2, column value: -1 is outside the range of turnout_pilkada (0 to 100)"]),
    "boolean-cell": ("rows.xlsx", xlsx_bytes([*XLSX_ROW[:5], True]), [
        "row 2, column value: True is not a number"]),
    "date-cell": ("rows.xlsx", xlsx_bytes([*XLSX_ROW[:5], date(2024, 1, 2)]),
                  ["row 2, column value: a date or time (2024-01-02 00:00:00), not a number; "
                   "format the cell as Number"]),
    "duplicate": ("rows.csv", csv_bytes(f"{ROW},70", f"{ROW},71"), [
        f"row 3, column code: duplicate of row 2 ({IND}, 32.73, 2024)"]),
    "missing-column": ("rows.csv", csv_bytes(f"{IND},kabkota,32.73,Kota Bandung,70",
                                             header="indicator,level,code,name,value"), [
        "row 1: missing column year; the header must name indicator,level,code,name,year,"
        "value (optional: {optional})"]),
    "column-twice": ("rows.csv", csv_bytes(f"{ROW},70,71", header=HEADER + ",value"), [
        "row 1: column value appears twice (columns F and G)"]),
    "no-rows": ("rows.csv", csv_bytes(), ["no data rows below the header"]),
    "empty-file": ("rows.csv", b"", ["the file is empty"]),
    "file-type": ("rows.ods", csv_bytes(f"{ROW},70"), [
        "unsupported file type '.ods'; upload the template as .xlsx or as CSV UTF-8 (.csv)"]),
    "latin-1": ("rows.csv", csv_bytes(f"{IND},kabkota,32.73,Kota Bandung,2024,70,café",
                                      header=HEADER + ",note").decode().encode("latin-1"), [
        f"row 2: not UTF-8 text (byte 96: b'\\xe9'); {SAVE_AS}"]),
    "utf16-without-bom": ("rows.csv", csv_bytes(f"{ROW},70").decode().encode("utf-16-le"), [
        f"the file holds NUL bytes (UTF-16 without a byte-order mark?); {SAVE_AS}"]),
    "nul-character": ("rows.txt", codecs.BOM_UTF16_LE + f"{HEADER}\n{ROW},7\x000\n".encode(
        "utf-16-le"), [f"the file holds NUL characters; {SAVE_AS}"]),
    "not-xlsx": ("rows.xlsx", csv_bytes(f"{ROW},70"), [
        "not an XLSX workbook (an old .xls file?); in Excel choose File > Save As > 'Excel "
        "Workbook (*.xlsx)'"]),
    "zip-bomb": ("rows.xlsx", with_member(xlsx_bytes(XLSX_ROW), "xl/media/zeros.bin",
                                          bytes(MAX_UNZIPPED)), [
        "the workbook unpacks to more than 50 MB; split it into smaller files"]),
    "macros": ("rows.xlsx", with_member(xlsx_bytes(XLSX_ROW), "xl/vbaProject.bin", b"vba"), [
        "the workbook contains macros; save it as 'Excel Workbook (*.xlsx)' without macros"]),
    "broken-xlsx": ("rows.xlsx", b"PK\x03\x04 cut short", [
        "cannot be read as an XLSX workbook: File is not a zip file"]),
    "huge-field": ("rows.csv", csv_bytes(f'{ROW},"{"7" * 140_000}"'), [
        "row 2: cannot be read as CSV: field larger than field limit (131072)"]),
    "huge-number": ("rows.csv", csv_bytes(f"{ROW},{'9' * 400}"), [
        f"row 2, column value: not a number: {'9' * 400!r}"]),
    "year-leading-zero": ("rows.csv", csv_bytes(f"{IND},kabkota,32.73,Kota Bandung,02024,70"), [
        "row 2, column year: bad year '02024'; expected a year 1945-2100, such as 2024"]),
    # Text and numbers are read by one function each (issue 10): refused by both doors.
    "control-character": ("rows.csv", csv_bytes(f"{IND},kabkota,32.73,Kota\x01Bandung,2024,70"), [
        "row 2, column name: the character U+0001 at position 5 is not allowed (a control "
        "character); type the text again without it"]),
    "line-break-in-name": ("rows.csv", csv_bytes(f'{IND},kabkota,32.73,"Kota\nBandung",2024,70'), [
        "row 2, column name: the character U+000A at position 5 is not allowed (a control "
        "character); type the text again without it"]),
    "noncharacter": ("rows.xlsx", xlsx_bytes([*XLSX_ROW[:3], "Kota Bandung\ufdd0",
                                              *XLSX_ROW[4:]]), [
        "row 2, column name: the character U+FDD0 at position 13 is not allowed (a "
        "noncharacter); type the text again without it"]),
    "arabic-indic-digits": ("rows.csv", csv_bytes(f"{ROW},\u0665\u0665"), [
        "row 2, column value: '\u0665\u0665' has digits other than 0-9; type the number with "
        "the digits 0-9"]),
    "fullwidth-digits": ("rows.csv", csv_bytes(f"{ROW},\uff15\uff15"), [
        "row 2, column value: '\uff15\uff15' has digits other than 0-9; type the number with "
        "the digits 0-9"]),
    "fullwidth-digits-xlsx": ("rows.xlsx", xlsx_bytes([*XLSX_ROW[:5], "\uff15\uff15"]), [
        "row 2, column value: '\uff15\uff15' has digits other than 0-9; type the number with "
        "the digits 0-9"]),
    "underflow": ("rows.csv", csv_bytes(f"{ROW},0.{'0' * 400}1"), [
        f"row 2, column value: '0.{'0' * 400}1' is too close to zero to be stored; write 0 "
        "or a larger number"]),
    "fullwidth-year": ("rows.csv", csv_bytes(f"{IND},kabkota,32.73,Kota Bandung,２０２４,70"), [
        "row 2, column year: bad year '２０２４'; expected a year 1945-2100, such as 2024"]),
    "exponent-underflow": ("rows.csv", csv_bytes(f"{ROW},1e-400"), [
        "row 2, column value: not a number: '1e-400'; expected a number such as 79.81 or "
        "79,81 (no units, no % sign)"]),
    "two-sheets": ("rows.xlsx", xlsx_bytes(XLSX_ROW, build=_second_sheet), [
        "the workbook has 2 sheets ('Sheet', 'Catatan'); keep only the data sheet: delete "
        "'Catatan'"]),
}
OPTIONAL = {"import": "unit,source_url,note", "upload": "reason"}


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize("case", CASES)
def test_both_doors_give_the_same_answer(engine: sa.Engine, registry: Registry,
                                         tmp_path: Path, case: str, door: str) -> None:
    filename, data, expected = CASES[case]
    through, named = DOORS[door]
    problems = [named(filename, p.replace("{optional}", OPTIONAL[door])) for p in expected]
    assert through(engine, registry, tmp_path, filename, data) == (
        problems, 0 if expected else 1)


def test_each_door_keeps_its_own_rules(engine: sa.Engine, registry: Registry,
                                       tmp_path: Path) -> None:
    # Published history older than the catalogue's periods is imported; an office enters
    # only the periods open for entry.
    idi = load_catalogue_file()["idi"]
    history = csv_bytes("idi,nasional,,Indonesia,2012,62.63")
    assert by_import(engine, registry, tmp_path, "idi.csv", history) == ([], 1)
    periods = ", ".join(map(str, idi.periods))
    assert by_upload(engine, registry, tmp_path, "idi.csv", history) == (
        [f"row 2, column year: idi has no period 2012; periods: {periods}"], 0)
    # An empty value is "no change" in an upload, and a missing figure in an import.
    data = csv_bytes(f"{ROW},70", f"{IND},kabkota,32.01,Kabupaten Bogor,2024,")
    assert by_upload(engine, registry, tmp_path, "rows.csv", data) == ([], 1)
    assert by_import(engine, registry, tmp_path, "rows.csv", data) == (
        ["rows.csv: row 3, column value: not a number: ''; expected a number such as 79.81 "
         "or 79,81 (no units, no % sign)"], 0)



@pytest.mark.parametrize("year", [1945, 2100])
def test_the_years_range_includes_its_ends(registry: Registry, year: int) -> None:
    data = csv_bytes(f"idi,nasional,,Indonesia,{year},60")
    rows, problems = read_rows("idi.csv", data, registry, load_catalogue_file(), optional=(),
                               max_rows=1)
    assert (problems, [(r.code, r.year, r.value, r.errors) for r in rows]) == (
        [], [("ID", year, 60.0, [])])


def test_targets_read_numbers_and_text_by_the_same_rules(engine: sa.Engine,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text("indicator,period,target_low,target_high,note\n"
                    "idi,２０２４,70,80,catatan\n"
                    "idi,2024,\u0667\u0660,80,catatan\n"
                    "idi,2024,1e-400,80,ok\x01\n", encoding="utf-8")
    with pytest.raises(ImportRejectedError) as caught:
        import_targets(path, engine)
    need = "need two numbers with target_low <= target_high, got"
    assert caught.value.errors == [
        "targets.csv: row 2, column period: bad year '２０２４'",
        f"targets.csv: row 3, column target_low: {need} '\u0667\u0660', '80'",
        "targets.csv: row 4, column note: the character U+0001 at position 3 is not allowed "
        "(a control character); type the text again without it",
        f"targets.csv: row 4, column target_low: {need} '1e-400', '80'"]
    assert stored(engine) == 0
