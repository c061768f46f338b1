r"""Tidy indicator files: one reader and one row check, whichever door a file comes in by.

Rows of indicator values come in by two doors: the import of published figures
(``mata-garuda data import``, :mod:`ingest.published`) and the office upload on
``/unggah`` (:mod:`ingest.upload`). Both read and check a file with :func:`read_rows`, so a
row gets the same answer from both. A door adds only what is its own: the upload checks
the operator's region, the periods open for entry and the reason, and takes an empty value
as "no change"; the import needs a value in every row.

Columns: ``indicator,level,code,name,year,value`` plus the door's optional columns (the
import: ``unit,source_url,note``; the upload: ``reason``). Any other column is ignored. A
header may carry a note in brackets, e.g. ``value (indeks 0-100; 0 s.d. 100)``.

Decisions
---------
Files
    CSV in UTF-8, with or without a byte-order mark, or in UTF-16 with a byte-order
    mark (Excel's "Unicode Text"); any other encoding is refused with a message to
    save as "CSV UTF-8". The delimiter is read from the header: comma, semicolon
    (Excel in the Indonesian locale) or tab. An XLSX workbook that unpacks to more than
    :data:`MAX_UNZIPPED` bytes is refused from its ZIP directory; then every XML part is
    counted as a stream before anything is loaded (:func:`ingest.xlsx.scan`: data rows,
    at most :data:`ingest.xlsx.MAX_COLUMNS` columns, cells, shared strings, XML
    elements, whatever the sheet's ``<dimension>`` claims), and the sheet is streamed in
    openpyxl's read-only mode (fastexcel/calamine always loads everything). A workbook
    must have exactly one sheet, no merged cells and no formulas; macros, DTDs and old
    ``.xls`` files are refused. Each door sets its own limit of data rows; the limits on
    cells follow from it.
Text
    Every text cell is stripped and normalised by :func:`presentation.text.clean_text`
    (NFC; no control characters, lone surrogates or noncharacters), the rule the entry
    grid uses too. Only ``reason`` and ``note`` may hold tabs and line breaks. A cell
    that breaks it is a problem of its row and column, and the row is checked no further.
Rows
    The indicator is in the catalogue; the level is ``nasional``, ``provinsi``,
    ``kabkota`` or ``kecamatan``; the code is a known region of that level (an empty
    code at level ``nasional`` means the national figure) and not finer than the
    indicator is defined at; the name is required and matches the code (common forms
    such as ``Kab. Bandung`` are accepted); one row per indicator, code and year.
Years
    Four digits (0 to 9) from ``YEARS[0]`` to ``YEARS[1]`` (independence to the end of the
    century): a plausible range rather than the catalogue's periods, so published
    history that predates the catalogue (IDI since 2009) stays importable. The upload
    also requires a period open for entry.
Numbers
    Read by :func:`presentation.text.parse_number`, as the entry grid reads them:
    ``79.81`` and ``79,81`` are both 79.81: one decimal point *or* one decimal comma, the
    digits 0 to 9 only, no exponent, nothing that would be stored as infinity or 0.
    Thousands separators are refused (``1.234,5``, ``1,234.5``, ``1 234``) since
    ``1.234`` means 1234 to an Indonesian reader and 1.234 to Python; for an
    indicator shown with no decimals (counts) a value must be a whole number, so a
    ``1.234`` meant as a thousand-count is caught too. An unquoted ``79,81`` in a
    comma-separated file would split into two cells: every CSV row must have exactly
    as many cells as the header, so it is refused. XLSX number cells are taken as
    they are. A value must lie on the indicator's scale.
Empty values
    An empty ``value`` cell gives ``None``, never zero; the door decides what it means.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from geodata.registry import LEVELS, NATIONAL_CODE, Registry, level_of, normalize_name
from i18n import Message
from ingest.xlsx import Limits, Scan, WorkbookRefusedError, scan
from presentation.text import NumberError, TextError, clean_text, parse_number
from queries.catalogue import Indicator

REQUIRED_COLUMNS = ("indicator", "level", "code", "name", "year", "value")
YEARS = (1945, 2100)
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
MAX_UNZIPPED = 50 * 1024 * 1024  # an XLSX is a ZIP archive: guard against a zip bomb
ROW_LEVELS = LEVELS[:4]
MULTILINE_COLUMNS = ("reason", "note")  # may hold tabs and line breaks
_HEADER_NOTE = re.compile(r"[\s(\[]")
_DROPPED_ZERO = re.compile(r"^\d{2}(?:\.\d{2})?\.\d$")


@dataclass
class Table:
    """Cells of a file: the header and the non-blank data rows with their row numbers."""

    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    errors: list[Message] = field(default_factory=list)


@dataclass
class TidyRow:
    """One data row and what the check found.

    ``row`` is the row number a spreadsheet shows (the header is row 1). ``code`` is the
    code as written, or the national code for an empty code at level ``nasional``.
    ``indicator``, ``year`` and ``value`` are None where the cell is bad (``value`` also
    where it is empty). Each problem in ``errors`` names the row and the column.
    """

    row: int
    cells: dict[str, object]
    indicator: Indicator | None = None
    code: str = ""
    year: int | None = None
    value: float | None = None
    errors: list[Message] = field(default_factory=list)

    def text(self, column: str) -> str:
        """Return the cell of ``column`` as text, stripped ("" when empty or absent)."""
        return as_text(self.cells.get(column))

    def err(self, column: str, problem: Message) -> None:
        """Record a problem in ``column`` of this row."""
        self.errors.append(Message("upload.cell", row=self.row, column=column, problem=problem))


# ------------------------------------------------------------------------------ reading


def column_key(header: object) -> str:
    """Return the column name of a header cell, without a bracketed note."""
    text = str(header or "").strip().lstrip("\ufeff").lower()
    return _HEADER_NOTE.split(text, maxsplit=1)[0]


def _at_row(row: int, problem: Message) -> Message:
    return Message("upload.at_row", row=row, problem=problem)


def _blank(cells: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _decode(data: bytes) -> tuple[str, Message | None]:
    """Return the text of a CSV file, or an error message (and empty text)."""
    save_as = Message("upload.save_as")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in data:
        return "", Message("upload.nul_bytes", save_as=save_as)
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start: exc.start + 1]
        kind = "UTF-16" if encoding == "utf-16" else "UTF-8"
        return "", _at_row(line, Message("upload.not_text", kind=kind, offset=exc.start,
                                         bad=repr(bad), save_as=save_as))
    if "\x00" in text:
        return "", Message("upload.nul_chars", save_as=save_as)
    return text, None


def _delimiter(text: str, columns: Sequence[str]) -> str:
    """Return the delimiter whose split of the first line finds the most known columns."""
    first = text.split("\n", 1)[0]
    best, found = ",", -1
    for delimiter in (",", ";", "\t"):
        cells = next(csv.reader([first], delimiter=delimiter), [])
        known = sum(column_key(c) in columns for c in cells)
        if known > found:
            best, found = delimiter, known
    return best


def _read_csv(data: bytes, columns: Sequence[str], max_rows: int) -> Table:
    table = Table()
    text, problem = _decode(data)
    if problem is not None:
        table.errors.append(problem)
        return table
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, columns))
    try:
        for index, cells in enumerate(reader):
            if index == 0:
                table.header = cells
            elif not _blank(cells):
                if len(table.rows) == max_rows:
                    return Table(errors=[Message("upload.too_many_more", n=max_rows)])
                if len(cells) != len(table.header):
                    # "79,81" unquoted in a comma-separated file splits into 79 and 81.
                    table.errors.append(_at_row(index + 1, Message(
                        "upload.cell_count", cells=Message("upload.cells", n=len(cells)),
                        columns=Message("upload.columns", n=len(table.header)))))
                table.rows.append((index + 1, list(cells)))
    except csv.Error as exc:
        table.errors.append(_at_row(reader.line_num, Message("upload.bad_csv",
                                                             detail=str(exc))))
    return table


def _read_xlsx(data: bytes, max_rows: int) -> Table:
    table = Table()
    if not data.startswith(b"PK\x03\x04"):
        table.errors.append(Message("upload.not_xlsx"))
        return table
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_UNZIPPED:
                table.errors.append(Message("upload.unzipped", limit=MAX_UNZIPPED // 2**20))
                return table
            if any(m.filename.lower().endswith("vbaproject.bin") for m in members):
                table.errors.append(Message("upload.macros"))
                return table
            found = scan(archive, Limits.for_rows(max_rows))
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except WorkbookRefusedError as exc:
        table.errors.append(exc.message)
        return table
    except Exception as exc:  # noqa: BLE001 - any parser error becomes a clear message
        table.errors.append(Message("upload.bad_xlsx", detail=str(exc)))
        return table
    try:
        _read_sheet(wb, found, table)
    except Exception as exc:  # noqa: BLE001 - as above, for a sheet that streams badly
        return Table(errors=[Message("upload.bad_xlsx", detail=str(exc))])
    finally:
        wb.close()
    return table


def _read_sheet(wb: openpyxl.Workbook, found: Scan, table: Table) -> None:
    """Stream the only sheet of ``wb`` (read-only) into ``table``; refuse merges, formulas.

    ``found`` comes from :func:`ingest.xlsx.scan`: a read-only sheet shows neither its
    merged cells nor which cells hold a formula (streamed as values, a formula is its
    text, ``=35*2``, like text typed with a leading ``=``).
    """
    names: list[str] = list(wb.sheetnames)
    if len(names) != 1:
        table.errors.append(Message("upload.sheets", n=len(names),
                                    names=tuple(map(repr, names)),
                                    extra=tuple(map(repr, names[1:]))))
        return
    ws = wb[names[0]]
    if not isinstance(ws, ReadOnlyWorksheet):
        table.errors.append(Message("upload.chart", sheet=names[0]))
        return
    if found.merged:
        table.errors.append(Message("upload.merged", cells=", ".join(found.merged),
                                    sheet=names[0]))
        return
    ws.reset_dimensions()  # read the cells that are there, whatever <dimension> says
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells: list[object] = list(values)
        if number == 1:
            table.header = ["" if c is None else str(c) for c in cells]
        for column in found.formulas.get(number, ()):
            formula = cells[column - 1] if column <= len(cells) else ""
            name = column_key(table.header[column - 1]) if column <= len(table.header) else ""
            letter = get_column_letter(column)
            table.errors.append(Message(
                "upload.formula", row=number, column=name or letter, cell=f"{letter}{number}",
                formula=getattr(formula, "text", None) or str(formula)))
        if number > 1 and not table.errors and not _blank(cells):
            table.rows.append((number, cells))
    if table.errors:
        table.rows.clear()


def read_table(filename: str, data: bytes, *, columns: Sequence[str], max_rows: int) -> Table:
    """Read the cells of a CSV (also ``.tsv``, ``.txt``) or XLSX file.

    Parameters
    ----------
    filename
        The file's name; its suffix chooses the format.
    data
        The file's bytes.
    columns
        The column names the door knows; a CSV's delimiter is the one that finds most
        of them in the header.
    max_rows
        The most data rows the door accepts.

    Returns
    -------
    Table
        The header and the non-blank rows, or ``errors`` naming what is wrong with the
        file (encoding, format, sheets, merged cells, formulas, size).
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (*CSV_SUFFIXES, ".xlsx"):
        return Table(errors=[Message("upload.file_type", suffix=suffix or filename)])
    if not data:
        return Table(errors=[Message("upload.empty_file")])
    return _read_xlsx(data, max_rows) if suffix == ".xlsx" else _read_csv(data, columns,
                                                                          max_rows)


def header_index(header: Sequence[str], optional: Sequence[str]
                 ) -> tuple[dict[str, int], list[Message]]:
    """Return the position of each known column in ``header``, and the header's problems.

    A column named twice and a missing required column are problems; columns other than
    :data:`REQUIRED_COLUMNS` and ``optional`` are ignored.
    """
    known = (*REQUIRED_COLUMNS, *optional)
    index: dict[str, int] = {}
    errors: list[Message] = []
    for i, cell in enumerate(header):
        key = column_key(cell)
        if key in known and key in index:
            errors.append(_at_row(1, Message(
                "upload.twice", column=key, first=get_column_letter(index[key] + 1),
                second=get_column_letter(i + 1))))
        elif key in known:
            index[key] = i
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        errors.append(_at_row(1, Message("upload.missing_columns", missing=", ".join(missing),
                                         n=len(missing), required=",".join(REQUIRED_COLUMNS),
                                         optional=",".join(optional))))
    return index, errors


# ----------------------------------------------------------------------------- checking


def as_text(cell: object) -> str:
    """Return a cell as stripped text: ``2024.0`` as ``2024``, a date in ISO form."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date | time):
        return cell.isoformat()
    return str(cell).replace("\u00a0", " ").strip()


def unknown_indicator(indicator_id: str, catalogue: Mapping[str, Indicator]) -> Message:
    """Return the message for an indicator id the catalogue does not have."""
    return Message("upload.unknown_indicator", indicator=indicator_id,
                   known=", ".join(sorted(catalogue)))


def parse_value(cell: object, ind: Indicator | None) -> tuple[float | None, Message | None]:
    """Return ``(value, problem)`` for a value cell; ``(None, None)`` when it is empty.

    The value must be a number written as described under "Numbers" above, lie on the
    scale of ``ind`` and be whole when ``ind`` shows no decimals.
    """
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None, None
    if isinstance(cell, bool):
        return None, Message("entry.not_number", value=str(cell))
    if isinstance(cell, datetime | date | time):
        return None, Message("upload.date", value=str(cell))
    text = as_text(cell)
    if isinstance(cell, int | float):
        value = float(cell)
    else:
        try:
            value = parse_number(text)
        except NumberError as exc:
            return None, exc.message
    if not math.isfinite(value):
        return None, Message("upload.not_finite", text=text)
    if ind is not None:
        if not ind.in_range(value):
            return None, Message("entry.out_of_range", value=text, indicator=ind.id,
                                 range=ind.range_message())
        if ind.decimals == 0 and not value.is_integer():
            if re.fullmatch(r"\d{1,3}[.,]\d{3}", text):
                return None, Message("upload.count_thousands", indicator=ind.id,
                                     unit_id=ind.unit_id, unit_en=ind.unit_en, text=text)
            return None, Message("upload.count_whole", indicator=ind.id, unit_id=ind.unit_id,
                                 unit_en=ind.unit_en, text=text)
    return value, None


def _check_region(row: TidyRow, registry: Registry, level: str) -> None:
    """Check the code, and the level and name against it; set ``row.code``."""
    row.code = row.text("code") or (NATIONAL_CODE if level == "nasional" else "")
    if not row.code:
        row.err("code", Message("upload.empty_code"))
        return
    if row.code not in registry:
        row.err("code", Message("upload.dropped_zero", code=row.code)
                if _DROPPED_ZERO.match(row.code) else Message("entry.unknown_code", code=row.code))
        return
    actual = level_of(row.code)
    if level in ROW_LEVELS and actual != level:
        row.err("level", Message("upload.level_mismatch", code=row.code, actual=actual,
                                 level=level))
    name, official = row.text("name"), registry.name(row.code)
    if not name:
        row.err("name", Message("upload.empty_name", official=official))
    elif normalize_name(name) != normalize_name(official):
        row.err("name", Message("upload.name_mismatch", name=name, code=row.code,
                                official=official))
    ind = row.indicator
    if ind is not None and LEVELS.index(actual) > LEVELS.index(ind.lowest_level):
        row.err("level", Message("entry.not_defined_below", indicator=ind.id,
                                 level=ind.lowest_level))


def _clean_cells(row: TidyRow) -> None:
    """Strip and normalise the row's text cells (:func:`presentation.text.clean_text`).

    Only ``reason`` and ``note`` may hold tabs and line breaks; a cell with a character
    that has no place in text is a problem of its row and column.
    """
    for column, cell in row.cells.items():
        if isinstance(cell, str):
            try:
                row.cells[column] = clean_text(cell.strip(), column,
                                               multiline=column in MULTILINE_COLUMNS)
            except TextError as exc:
                row.err(column, exc.problem)


def check_row(row: TidyRow, registry: Registry, catalogue: Mapping[str, Indicator]) -> None:
    """Check one row against the rules above; set its fields and record its problems."""
    ind_id = row.text("indicator")
    row.indicator = catalogue.get(ind_id)
    if row.indicator is None:
        row.err("indicator", unknown_indicator(ind_id, catalogue))
    level = row.text("level")
    if level not in ROW_LEVELS:
        row.err("level", Message("upload.unknown_level", level=level,
                                 levels=", ".join(ROW_LEVELS)))
    _check_region(row, registry, level)
    year = row.text("year")
    if re.fullmatch(r"[0-9]{4}", year) and YEARS[0] <= int(year) <= YEARS[1]:
        row.year = int(year)
    else:
        row.err("year", Message("upload.bad_year", year=year, low=YEARS[0], high=YEARS[1]))
    row.value, problem = parse_value(row.cells.get("value"), row.indicator)
    if problem is not None:
        row.err("value", problem)


def read_rows(filename: str, data: bytes, registry: Registry,
              catalogue: Mapping[str, Indicator], *, optional: Sequence[str],
              max_rows: int) -> tuple[list[TidyRow], list[Message]]:
    """Read a tidy file and check every row.

    Parameters
    ----------
    filename, data
        The file's name (its suffix chooses the format) and bytes.
    registry, catalogue
        The region registry and the indicator catalogue.
    optional
        The door's optional columns, besides :data:`REQUIRED_COLUMNS`.
    max_rows
        The most data rows the door accepts.

    Returns
    -------
    rows, problems
        The checked rows, each with its own problems, and the file's problems. When the
        file itself is bad (encoding, format, header, no data rows) there are no rows.
    """
    table = read_table(filename, data, columns=(*REQUIRED_COLUMNS, *optional),
                       max_rows=max_rows)
    if table.errors:
        return [], table.errors
    index, problems = header_index(table.header, optional)
    if problems:
        return [], problems
    if not table.rows:
        return [], [Message("upload.no_rows")]
    rows: list[TidyRow] = []
    seen: dict[tuple[str, str, int], int] = {}
    for number, cells in table.rows:
        row = TidyRow(number, {c: cells[i] if i < len(cells) else None
                               for c, i in index.items()})
        _clean_cells(row)
        if not row.errors:
            check_row(row, registry, catalogue)
        if row.code and row.year is not None:
            key = (row.text("indicator"), row.code, row.year)
            if key in seen:
                row.err("code", Message("upload.duplicate", first=seen[key], indicator=key[0],
                                        code=row.code, period=row.year))
            seen.setdefault(key, number)
        rows.append(row)
    return rows, []
