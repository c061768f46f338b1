"""What an uploaded workbook holds, counted before it is loaded.

An XLSX file is a ZIP archive of XML parts. A small file can unpack to a sheet of a
million cells, one row of a million cells, or a table of a million shared strings, and
loading any of them takes seconds and hundreds of megabytes. :func:`scan` reads every
XML part once, as a stream (a chunk at a time, with expat, the C parser of the
standard library), keeping no element; it counts rows, columns and cells of the sheets,
shared strings and elements of every part, and stops at the first limit passed. It
also notes the sheets' merged cells (``<mergeCell>``, after the cells in a sheet), which
openpyxl's streaming read-only mode does not expose, and the cells that hold a formula,
so that the cells can then be streamed as plain values.

A part that declares a DTD is refused: a spreadsheet never needs one, and it is where
entity expansion attacks ("billion laughs") live.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat

from openpyxl.utils.cell import column_index_from_string, range_boundaries

from i18n import Message, MessageError

MAX_COLUMNS = 32  # the tidy format has at most 9 known columns; others are ignored
CELLS_PER_ROW = 12  # cells allowed per data row, on average over the file
ELEMENTS_PER_CELL = 8  # XML elements allowed per allowed cell (cell, value, text, styles)
BASE_ELEMENTS = 100_000  # for the parts that hold no cells (styles, theme, relations)
_CHUNK = 64 * 1024
_DIGITS = "0123456789"


class WorkbookRefusedError(MessageError):
    """A workbook passes a limit or cannot be read; nothing of it was loaded."""


@dataclass(frozen=True)
class Limits:
    """How much a workbook may hold: data rows, columns, cells, XML elements."""

    rows: int
    columns: int
    cells: int
    elements: int

    @classmethod
    def for_rows(cls, rows: int) -> Limits:
        """Return the limits for a door that accepts ``rows`` data rows below the header."""
        cells = (rows + 1) * CELLS_PER_ROW
        return cls(rows, MAX_COLUMNS, cells, cells * ELEMENTS_PER_CELL + BASE_ELEMENTS)


@dataclass
class Scan:
    """What :func:`scan` found besides counts: merged ranges and cells holding a formula.

    ``formulas`` maps a row number to the column numbers (from 1) of its formula cells.
    """

    merged: list[str] = field(default_factory=list)
    formulas: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class _Counter:
    """The counts of one scan; the expat handlers of each part."""

    limits: Limits
    found: Scan = field(default_factory=Scan)
    elements: int = 0
    cells: int = 0
    strings: int = 0
    root: str = ""
    row: int = 0
    column: int = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > self.limits.elements:
            raise WorkbookRefusedError(Message("upload.too_complex",
                                               limit=self.limits.elements))
        local = name.rpartition(":")[2]  # the name without a namespace prefix
        if not self.root:
            self.root = local
        elif self.root == "worksheet":
            self._sheet(local, attrs)
        elif self.root == "sst" and local == "si":
            self.strings += 1
            if self.strings > self.limits.cells:
                raise WorkbookRefusedError(Message("upload.too_many_cells",
                                                   limit=self.limits.cells))

    def _sheet(self, local: str, attrs: dict[str, str]) -> None:
        limits = self.limits
        if local == "c":
            self.cells += 1
            if self.cells > limits.cells:
                raise WorkbookRefusedError(Message("upload.too_many_cells", limit=limits.cells))
            ref = attrs.get("r")
            self.column = (column_index_from_string(ref.rstrip(_DIGITS)) if ref
                           else self.column + 1)
            if self.column > limits.columns:
                raise WorkbookRefusedError(Message("upload.too_many_columns_more",
                                                   limit=limits.columns))
        elif local == "row":
            ref = attrs.get("r", "")
            self.row = int(ref) if ref.isdigit() else self.row + 1
            self.column = 0
            if self.row - 1 > limits.rows:
                raise WorkbookRefusedError(Message("upload.too_many_more", n=limits.rows))
        elif local == "dimension":
            # Written by Excel before the cells: a quick refusal with the sheet's size.
            _, _, columns, rows = range_boundaries(attrs.get("ref", "A1"))
            if rows is not None and rows - 1 > limits.rows:
                raise WorkbookRefusedError(Message("upload.too_many", n=rows - 1,
                                                   limit=limits.rows))
            if columns is not None and columns > limits.columns:
                raise WorkbookRefusedError(Message("upload.too_many_columns", n=columns,
                                                   limit=limits.columns))
        elif local == "f":
            self.found.formulas.setdefault(self.row, []).append(self.column)
        elif local == "mergeCell":
            self.found.merged.append(attrs.get("ref", ""))

    def part(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """Count the elements of one XML part, a chunk at a time."""

        def doctype(*_args: object) -> None:
            raise WorkbookRefusedError(Message("upload.dtd", part=info.filename))

        parser = expat.ParserCreate()
        parser.StartElementHandler = self.start
        parser.StartDoctypeDeclHandler = doctype
        self.root, self.row, self.column = "", 0, 0
        with archive.open(info) as source:
            while chunk := source.read(_CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)


def scan(archive: zipfile.ZipFile, limits: Limits) -> Scan:
    """Check every XML part of a workbook against ``limits``; return merges and formulas.

    Parameters
    ----------
    archive
        The workbook, opened as a ZIP archive (its unpacked size already checked).
    limits
        What the door accepts (:meth:`Limits.for_rows`).

    Returns
    -------
    Scan
        The merged cell ranges of its sheets (``"F2:G2"``, in file order) and where its
        formulas are.

    Raises
    ------
    WorkbookRefusedError
        At the first limit passed (data rows, columns, cells, shared strings, XML
        elements), on a DTD, or when a part is not well-formed XML; the message says
        which.
    """
    counter = _Counter(limits)
    for info in archive.infolist():
        if info.filename.lower().endswith((".xml", ".rels")):
            try:
                counter.part(archive, info)
            except WorkbookRefusedError:
                raise
            except (expat.ExpatError, ValueError) as exc:  # not XML, or a bad cell reference
                raise WorkbookRefusedError(Message("upload.bad_xlsx",
                                                   detail=f"{info.filename}: {exc}")) from None
    return counter.found
