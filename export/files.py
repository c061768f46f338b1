"""Tables to files: CSV (UTF-8 with BOM) and XLSX, safe against formula injection.

The formats of every export are named here, the images' too (drawn by
:mod:`export.image`), so a page's download links need none of the drawing code.

A :class:`Table` is a Polars frame plus what a reader needs to use it on its own: a
title, lines naming the indicator, period, sources and export time, and the
DATA SIMULASI warning when any value is simulated. :func:`to_csv` writes the header
row and the data only (a plain table a program can read); :func:`to_xlsx` writes the
title lines above the same plain table, on one sheet, with no merged cells or formulas.

Every text cell, header and title line goes through :func:`presentation.cells.safe_cell`.
Numbers stay numbers in XLSX; a missing value is an empty cell, never zero.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Final, Literal

import openpyxl
import polars as pl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from presentation.cells import safe_cell

Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ImageFormat = Literal["png", "svg", "pdf"]
IMAGE_FORMATS: tuple[ImageFormat, ...] = ("png", "svg", "pdf")
IMAGE_MIMETYPES: Final = {"png": "image/png", "svg": "image/svg+xml",
                          "pdf": "application/pdf"}
PREFIX = "mata-garuda"
SHEET_TITLE = "data"
Cell = str | int | float | datetime | date | None

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_DIGITS = 10  # rounding of floats: removes binary noise such as 1.2300000000000004
_WARNING = Font(bold=True, color="C00000")


@dataclass(frozen=True)
class Column:
    """One exported column: the frame's column, its header, and for numbers the decimals."""

    key: str
    header: str
    decimals: int | None = None


@dataclass(frozen=True)
class Table:
    """A frame ready to export, with its title lines and file name."""

    name: str  # file name without extension, see :func:`filename`
    title: str
    columns: tuple[Column, ...]
    frame: pl.DataFrame
    meta: tuple[str, ...] = field(default_factory=tuple)  # indicator, period, sources, time
    warning: str | None = None  # DATA SIMULASI and its note, when any value is simulated

    def rows(self) -> Iterator[list[Cell]]:
        """Yield the data rows, columns in order, cleaned for a spreadsheet."""
        return _rows(self.frame, self.columns)


def _rows(frame: pl.DataFrame, columns: Sequence[Column]) -> Iterator[list[Cell]]:
    keys = [c.key for c in columns]
    for row in frame.select(keys).iter_rows():
        yield [_clean(v) for v in row]


def filename(*parts: object) -> str:
    """Return a file name stem such as ``mata-garuda_idi_2024_provinsi``.

    Parts that are None or empty are left out; anything but letters, digits, ``.``,
    ``_`` and ``-`` becomes ``-``.
    """
    words = [_UNSAFE_NAME.sub("-", str(p)).strip("-") for p in parts if p not in (None, "")]
    return "_".join([PREFIX, *[w for w in words if w]])


def _clean(value: object) -> Cell:
    """Return a cell value: floats without binary noise, datetimes naive UTC, text safe."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, float):
        return None if value != value else round(value, _DIGITS)  # NaN is missing
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    return safe_cell(str(value))


def _csv_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(table: Table) -> bytes:
    """Return the table as CSV: UTF-8 with a byte-order mark, header row, CRLF lines.

    Comma-separated with a decimal point, as programs read it; missing values are
    empty fields.
    """
    return b"".join(csv_chunks(table.columns, [table.frame]))


def csv_chunks(columns: Sequence[Column], frames: Iterable[pl.DataFrame],
               rows: int = 10_000) -> Iterator[bytes]:
    """Yield the CSV of :func:`to_csv` for the rows of ``frames``, a few thousand at a time.

    For a streamed download of more rows than a response should hold at once.
    """
    yield _csv_lines([[safe_cell(c.header) for c in columns]]).encode("utf-8-sig")
    for frame in frames:
        for part in frame.iter_slices(rows):
            yield _csv_lines([_csv_text(v) for v in row]
                             for row in _rows(part, columns)).encode("utf-8")


def _csv_lines(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def to_xlsx(table: Table) -> bytes:
    """Return the table as an XLSX workbook with one sheet.

    The title lines come first (the title in bold, the DATA SIMULASI warning in bold
    red), then an empty row, then the header row and the data: a plain table with a
    filter and frozen header. Numbers are number cells formatted with the column's
    decimals; missing values are empty cells.
    """
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = SHEET_TITLE
    ws.append([safe_cell(table.title)])
    ws.cell(1, 1).font = Font(bold=True, size=13)
    if table.warning:
        ws.append([safe_cell(table.warning)])
        ws.cell(ws.max_row, 1).font = _WARNING
    for line in table.meta:
        ws.append([safe_cell(line)])
    ws.append([])
    ws.append([safe_cell(c.header) for c in table.columns])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    for row in table.rows():
        ws.append(row)
    _format_columns(ws, table, header_row)
    last = get_column_letter(max(len(table.columns), 1))
    ws.auto_filter.ref = f"A{header_row}:{last}{ws.max_row}"
    ws.freeze_panes = f"A{header_row + 1}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _format_columns(ws: Worksheet, table: Table, header_row: int) -> None:
    """Set column widths from the header and the first rows, and number formats."""
    for pos, column in enumerate(table.columns, start=1):
        letter = get_column_letter(pos)
        cells = [c for (c,) in ws.iter_rows(min_row=header_row, min_col=pos, max_col=pos)]
        longest = max(len(str(c.value)) for c in cells[:500] if c.value is not None)
        ws.column_dimensions[letter].width = max(8, min(longest + 2, 60))
        if column.decimals is None:
            continue
        number_format = "#,##0" + ("." + "0" * column.decimals if column.decimals else "")
        for cell in cells[1:]:
            if isinstance(cell.value, int | float):
                cell.number_format = number_format
