r"""Upload of entered values from a spreadsheet: template, preview, apply.

An operator downloads a :func:`template` for one indicator and period (every region
of their scope at the levels the indicator is defined for), fills the ``value``
column, and uploads it. :func:`preview` reads and checks the file, compares every row
with the value stored now and writes nothing; :func:`apply` then saves the new and
changed rows as drafts through :func:`ingest.entry.save_draft`, all or nothing.

Columns: ``indicator,level,code,name,year,value,reason`` (``reason`` optional; any
other column, such as the template's ``current_value``, is ignored). A header may
carry a note in brackets, e.g. ``value (indeks 0-100; 0 s.d. 100)``.

Decisions
---------
Files
    CSV in UTF-8, with or without a byte-order mark, or in UTF-16 with a byte-order
    mark (Excel's "Unicode Text"); any other encoding is refused with a message to
    save as "CSV UTF-8". The delimiter is read from the header: comma, semicolon
    (Excel in the Indonesian locale) or tab. XLSX must have exactly one sheet, no
    merged cells and no formulas; macros and old ``.xls`` files are refused. At most
    :data:`MAX_BYTES` bytes and :data:`MAX_ROWS` data rows.
Numbers
    ``79.81`` and ``79,81`` are both 79.81: one decimal point *or* one decimal comma.
    Thousands separators are refused (``1.234,5``, ``1,234.5``, ``1 234``) since
    ``1.234`` means 1234 to an Indonesian reader and 1.234 to Python; for an
    indicator shown with no decimals (counts) a value must be a whole number, so a
    ``1.234`` meant as a thousand-count is caught too. An unquoted ``79,81`` in a
    comma-separated file would split into two cells: every CSV row must have exactly
    as many cells as the header, so it is refused. XLSX number cells are taken as
    they are.
Empty values
    An empty ``value`` means "no change" (status ``skipped``), never zero.
Text
    Stored as typed (SQL is always parameterised); text written to a spreadsheet goes
    through :func:`safe_cell` so it cannot run as a formula.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any, Literal, overload

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from sqlalchemy import Connection, select

from auth.accounts import Account, audit
from auth.scope import Scope
from geodata.registry import LEVELS, NATIONAL_CODE, Region, Registry, level_of, normalize_name
from i18n import t as translate
from ingest.entry import MAX_REASON, SOURCE_KIND, ConflictError, EntryError, Target, save_draft
from queries.catalogue import Indicator
from queries.schema import observation

MAX_BYTES = 5 * 1024 * 1024  # size of an uploaded file
MAX_ROWS = 20_000  # data rows of an uploaded file (a whole province with kecamatan is ~1,000)
MAX_UNZIPPED = 50 * 1024 * 1024  # an XLSX is a ZIP archive: guard against a zip bomb
COLUMNS = ("indicator", "level", "code", "name", "year", "value", "reason")
REQUIRED_COLUMNS = COLUMNS[:6]
TEMPLATE_COLUMNS = (*COLUMNS, "current_value")
STATUSES = ("new", "changed", "unchanged", "skipped", "error")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
SHEET_TITLE = "isian"
Format = Literal["csv", "xlsx"]
Key = tuple[str, str, int]  # indicator_id, region_code, period

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$")
_VALUE = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)$")
_HEADER_NOTE = re.compile(r"[\s(\[]")
_DROPPED_ZERO = re.compile(r"^\d{2}(?:\.\d{2})?\.\d$")
_LOOKUP_CHUNK = 500
_READ_ONLY_FILL = PatternFill("solid", fgColor="EEEEEE")



def _text(key: str, lang: str, **values: object) -> str:
    return translate(f"upload.{key}", lang, **values)


class UploadError(ValueError):
    """An upload request that cannot be done (a bad template request, a preview with errors)."""


class UploadConflictError(ConflictError):
    """A value changed between preview and apply; nothing of the upload was saved."""

    def __init__(self, row: PreviewRow, cause: ConflictError) -> None:
        self.row = row
        self.current = cause.current
        ValueError.__init__(
            self, f"row {row.row} ({row.indicator_id} {row.code} {row.period}): {cause}; "
                  "nothing of this upload was saved - upload the file again to see the "
                  "current values")


@dataclass(frozen=True)
class PreviewRow:
    """One data row of an uploaded file, checked and compared with the stored value.

    ``row`` is the row number a spreadsheet shows (the header is row 1). ``value`` is
    None when the cell is empty (no change). ``current``, ``current_status`` and
    ``base_version`` describe the newest entered version the preview saw (None when
    there is none); :func:`apply` saves on top of ``base_version``.
    """

    row: int
    indicator_id: str
    level: str
    code: str
    name: str
    period: int | None
    value: float | None
    reason: str
    status: str
    current: float | None = None
    current_status: str | None = None
    base_version: int | None = None
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Preview:
    """What an upload would do; nothing has been written.

    Picklable, so a page can keep it in the server cache between the preview and the
    apply callbacks. ``errors`` holds the file-level problems followed by every row's,
    each as ``row R, column C: message`` where a row is concerned.
    """

    filename: str
    sha256: str
    username: str
    rows: tuple[PreviewRow, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Return whether the file has no problem and may be applied."""
        return not self.errors

    @property
    def totals(self) -> dict[str, int]:
        """Return the number of rows per status (every status, zero included)."""
        counts = dict.fromkeys(STATUSES, 0)
        for r in self.rows:
            counts[r.status] += 1
        return counts

    def records(self) -> list[dict[str, object]]:
        """Return one plain dict per row, e.g. for a Dash AG Grid ``rowData``."""
        return [{"row": r.row, "indicator": r.indicator_id, "level": r.level, "code": r.code,
                 "name": r.name, "year": r.period, "value": r.value, "current": r.current,
                 "current_status": r.current_status, "status": r.status,
                 "errors": "; ".join(r.errors)} for r in self.rows]


@dataclass(frozen=True)
class ApplyReport:
    """What :func:`apply` wrote: one draft version per new or changed row."""

    filename: str
    new: int
    changed: int
    unchanged: int
    skipped: int
    versions: tuple[tuple[str, str, int, int], ...] = field(default_factory=tuple)

    @property
    def written(self) -> int:
        """Return the number of versions written."""
        return len(self.versions)


# ---------------------------------------------------------------------------- safe_cell


@overload
def safe_cell(value: str) -> str: ...


@overload
def safe_cell(value: float | None) -> float | None: ...


def safe_cell(value: str | float | None) -> str | float | None:
    """Neutralise spreadsheet formula injection in a cell written to CSV or XLSX.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading apostrophe, so Excel, LibreOffice and Google Sheets show it as text instead
    of running it (OWASP, "CSV Injection"). Numbers, and text that is a plain number
    such as ``-12.5``, stay as they are.

    Parameters
    ----------
    value
        The cell value.

    Returns
    -------
    str or float or None
        ``value``, with an apostrophe in front when it could be read as a formula.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("@SUM(A1)")
    ("'=1+1", "'@SUM(A1)")
    >>> safe_cell("-12.5"), safe_cell(-12.5), safe_cell("Kota Bandung")
    ('-12.5', -12.5, 'Kota Bandung')
    """
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


# ----------------------------------------------------------------------------- template


def template_filename(indicator_id: str, period: int, account: Account, fmt: Format) -> str:
    """Return a file name for a template, e.g. ``isian_turnout_pilkada_2024_32.73.xlsx``."""
    return f"isian_{indicator_id}_{period}_{account.region_code or NATIONAL_CODE}.{fmt}"


def template_regions(registry: Registry, scope: Scope, indicator: Indicator) -> list[Region]:
    """Return the regions a template lists: the scope's region and the regions in it.

    Only levels the indicator is defined for, and only regions ``scope`` may write; a
    national scope starts at the national figure. Parents come before their children.
    """
    lowest = LEVELS.index(indicator.lowest_level)
    found: list[Region] = []
    stack = [registry.get(scope.region or NATIONAL_CODE)]
    while stack:
        region = stack.pop()
        if LEVELS.index(region.level) > lowest:
            continue
        if scope.can_write(region.code):
            found.append(region)
        stack.extend(reversed(registry.children(region.code)))
    return found


def _range_note(ind: Indicator, lang: str) -> str:
    low = None if ind.scale_min is None else f"{ind.scale_min:g}"
    high = None if ind.scale_max is None else f"{ind.scale_max:g}"
    if low is not None and high is not None:
        note = _text("range", lang, low=low, high=high)
    elif low is not None:
        note = _text("min", lang, low=low)
    elif high is not None:
        note = _text("max", lang, high=high)
    else:
        note = ""
    if ind.decimals == 0:
        note = f"{note}; {_text('whole', lang)}" if note else _text("whole", lang)
    return note


def template(registry: Registry, catalogue: Mapping[str, Indicator], account: Account,
             indicator_id: str, period: int, fmt: Format, lang: str = "id", *,
             conn: Connection | None = None) -> bytes:
    """Return a fill-in file for one indicator and period in the account's scope.

    Columns ``indicator,level,code,name,year,value,reason,current_value``: the first
    five prefilled, ``value`` and ``reason`` empty, ``current_value`` the newest entered
    value (only when ``conn`` is given; it is not read back). The ``value`` header
    names the unit and range. An XLSX has one sheet, codes stored as text, the
    prefilled columns shaded, the range as data validation and the instructions as a
    note on the ``value`` header. A CSV is UTF-8 with a byte-order mark (so Excel reads
    it as UTF-8). Every text cell goes through :func:`safe_cell`.

    Parameters
    ----------
    registry, catalogue
        The region registry and the indicator catalogue.
    account
        The operator; the template lists the regions they may write.
    indicator_id, period
        Which value to fill in.
    fmt
        ``"csv"`` or ``"xlsx"``.
    lang
        ``"id"`` (default) or ``"en"`` for the header notes and instructions.
    conn
        When given, the current entered values fill ``current_value``.

    Raises
    ------
    UploadError
        If the indicator, period or format is unknown.
    auth.scope.ScopeError
        If the account may not enter values.
    """
    ind = catalogue.get(indicator_id)
    if ind is None:
        raise UploadError(f"unknown indicator {indicator_id!r}; known: "
                          f"{', '.join(sorted(catalogue))}")
    if period not in ind.periods:
        raise UploadError(f"{ind.id} has no period {period}; periods: "
                          f"{', '.join(map(str, ind.periods))}")
    if fmt not in ("csv", "xlsx"):
        raise UploadError(f"unknown format {fmt!r}; expected csv or xlsx")
    lang = "en" if lang == "en" else "id"
    scope = account.scope
    home = scope.region or NATIONAL_CODE
    scope.require(scope.can_write(home), "write", home)
    regions = template_regions(registry, scope, ind)
    stored = (_current_entries(conn, [(ind.id, r.code, period) for r in regions])
              if conn is not None else {})
    range_note = _range_note(ind, lang)
    value_note = "; ".join(p for p in (ind.unit(lang), range_note) if p)
    header = [*COLUMNS[:5], f"value ({value_note})", f"reason ({_text('reason', lang)})",
              f"current_value ({_text('current', lang)})"]
    rows: list[list[str | float | None]] = []
    for r in regions:
        now = stored.get((ind.id, r.code, period))
        rows.append([ind.id, r.level, r.code, r.name, period, None, "",
                     None if now is None else now[1]])
    if fmt == "csv":
        return _template_csv(header, rows)
    help_text = _text("help", lang, unit=ind.unit(lang), range=range_note or "-")
    return _template_xlsx(header, rows, ind, help_text)


def _template_csv(header: list[str], rows: list[list[str | float | None]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _template_xlsx(header: list[str], rows: list[list[str | float | None]], ind: Indicator,
                   help_text: str) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    ws.append([safe_cell(h) for h in header])
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    value_col = COLUMNS.index("value") + 1
    editable = {value_col, COLUMNS.index("reason") + 1}
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.cell(1, value_col).comment = Comment(help_text, "Mata Garuda", width=360, height=160)
    for col in range(1, len(header) + 1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = 40 if col in (4, value_col) else 16
        if col in editable:
            continue
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.fill = _READ_ONLY_FILL
            if col == COLUMNS.index("code") + 1:
                cell.number_format = "@"  # keep "32.10" from becoming the number 32.1
    if rows:
        last = len(rows) + 1
        check = DataValidation(type="whole" if ind.decimals == 0 else "decimal",
                               allow_blank=True, showErrorMessage=True)
        if ind.scale_min is not None and ind.scale_max is not None:
            check.operator, check.formula1, check.formula2 = (
                "between", f"{ind.scale_min:g}", f"{ind.scale_max:g}")
        elif ind.scale_min is not None:
            check.operator, check.formula1 = "greaterThanOrEqual", f"{ind.scale_min:g}"
        elif ind.scale_max is not None:
            check.operator, check.formula1 = "lessThanOrEqual", f"{ind.scale_max:g}"
        check.add(f"{get_column_letter(value_col)}2:{get_column_letter(value_col)}{last}")
        ws.add_data_validation(check)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------ reading


@dataclass
class _Sheet:
    """Cells of an uploaded file: the header and the data rows with their numbers."""

    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _column_key(header: object) -> str:
    """Return the column name of a header cell, without a bracketed note."""
    text = str(header or "").strip().lstrip("\ufeff").lower()
    return _HEADER_NOTE.split(text, maxsplit=1)[0]


def _blank(cells: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _too_many_rows(count: str) -> str:
    return f"{count} data rows; the limit is {MAX_ROWS:,}: split the file into smaller ones"


def _decode(data: bytes) -> tuple[str, str]:
    """Return the text of a CSV file, or an error message (and empty text)."""
    save_as = "in Excel choose File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)'"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in data:
        return "", f"the file holds NUL bytes (UTF-16 without a byte-order mark?); {save_as}"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start: exc.start + 1]
        kind = "UTF-16" if encoding == "utf-16" else "UTF-8"
        return "", f"row {line}: not {kind} text (byte {exc.start}: {bad!r}); {save_as}"
    if "\x00" in text:
        return "", f"the file holds NUL characters; {save_as}"
    return text, ""


def _delimiter(text: str) -> str:
    """Return the delimiter whose split of the first line finds the most known columns."""
    first = text.split("\n", 1)[0]
    best, found = ",", -1
    for delimiter in (",", ";", "\t"):
        cells = next(csv.reader([first], delimiter=delimiter), [])
        known = sum(_column_key(c) in COLUMNS for c in cells)
        if known > found:
            best, found = delimiter, known
    return best


def _read_csv(data: bytes) -> _Sheet:
    sheet = _Sheet()
    text, problem = _decode(data)
    if problem:
        sheet.errors.append(problem)
        return sheet
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for index, cells in enumerate(reader):
            if index == 0:
                sheet.header = cells
            elif not _blank(cells):
                if len(sheet.rows) == MAX_ROWS:
                    return _Sheet(errors=[_too_many_rows(f"more than {MAX_ROWS:,}")])
                if len(cells) != len(sheet.header):
                    # "79,81" unquoted in a comma-separated file splits into 79 and 81.
                    sheet.errors.append(
                        f"row {index + 1}: {len(cells)} cells, but the header has "
                        f"{len(sheet.header)} columns; put a decimal comma inside quotes "
                        '("79,81"), write 79.81, or separate the columns with semicolons')
                sheet.rows.append((index + 1, list(cells)))
    except csv.Error as exc:
        sheet.errors.append(f"row {reader.line_num}: cannot be read as CSV: {exc}")
    return sheet


def _read_xlsx(data: bytes) -> _Sheet:
    sheet = _Sheet()
    if not data.startswith(b"PK\x03\x04"):
        sheet.errors.append("not an XLSX workbook (an old .xls file?); in Excel choose File > "
                            "Save As > 'Excel Workbook (*.xlsx)'")
        return sheet
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
        if sum(m.file_size for m in members) > MAX_UNZIPPED:
            sheet.errors.append(f"the workbook unpacks to more than {MAX_UNZIPPED // 2**20} MB;"
                                " split it into smaller files")
            return sheet
        if any(m.filename.lower().endswith("vbaproject.bin") for m in members):
            sheet.errors.append("the workbook contains macros; save it as 'Excel Workbook "
                                "(*.xlsx)' without macros")
            return sheet
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # noqa: BLE001 - any parser error becomes a clear message
        sheet.errors.append(f"cannot be read as an XLSX workbook: {exc}")
        return sheet
    names: list[str] = list(wb.sheetnames)
    if len(names) != 1:
        extra = ", ".join(repr(n) for n in names[1:])
        sheet.errors.append(f"the workbook has {len(names)} sheets ({', '.join(map(repr, names))})"
                            f"; keep only the data sheet: delete {extra}")
        return sheet
    ws = wb[names[0]]
    if not hasattr(ws, "merged_cells"):
        sheet.errors.append(f"sheet {names[0]!r} is a chart, not a table of values")
        return sheet
    merged = [str(r) for r in ws.merged_cells.ranges]
    if merged:
        sheet.errors.append(f"merged cells {', '.join(merged)} on sheet {names[0]!r}; unmerge "
                            "them so that every value has its own cell")
        return sheet
    if ws.max_row - 1 > MAX_ROWS:
        sheet.errors.append(_too_many_rows(f"{ws.max_row - 1:,}"))
        return sheet
    grid = [[cell for cell in row] for row in ws.iter_rows()]
    if not grid:
        return sheet
    sheet.header = ["" if c.value is None else str(c.value) for c in grid[0]]
    for row in grid:
        for cell in row:
            if cell.data_type == "f" or isinstance(cell.value, ArrayFormula | DataTableFormula):
                formula = getattr(cell.value, "text", None) or str(cell.value)
                column = _column_key(sheet.header[cell.column - 1]) if (
                    cell.column <= len(sheet.header)) else ""
                sheet.errors.append(
                    f"row {cell.row}, column {column or cell.column_letter} (cell "
                    f"{cell.coordinate}): a formula {formula!r}; values must be plain numbers "
                    "or text (copy, then Paste Special > Values)")
    if sheet.errors:
        return sheet
    for row in grid[1:]:
        cells: list[object] = [c.value for c in row]
        if not _blank(cells):
            sheet.rows.append((row[0].row, cells))
    return sheet


# ----------------------------------------------------------------------------- checking


def _as_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date | time):
        return cell.isoformat()
    return str(cell).replace("\u00a0", " ").strip()


def _parse_value(cell: object, ind: Indicator | None) -> tuple[float | None, str]:
    """Return ``(value, problem)``; ``(None, "")`` for an empty cell (no change)."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None, ""
    if isinstance(cell, bool):
        return None, f"{cell} is not a number"
    if isinstance(cell, datetime | date | time):
        return None, f"a date or time ({cell}), not a number; format the cell as Number"
    text = _as_text(cell)
    if isinstance(cell, int | float):
        value = float(cell)
    elif _VALUE.match(text):
        value = float(text.replace(",", "."))
    elif re.fullmatch(r"[+-]?[\d.,\s]+", text) and re.search(r"\d", text):
        return None, (f"{text!r} has thousands separators or several decimal marks; write "
                      "the number with one decimal point or comma and no thousands "
                      "separators, e.g. 1234.5 or 1234,5")
    else:
        return None, (f"not a number: {text!r}; expected a number such as 79.81 or 79,81 "
                      "(no units, no % sign)")
    if not math.isfinite(value):
        return None, f"not a number: {text!r}"
    if ind is not None:
        if not ind.in_range(value):
            return None, f"{text} is outside the range of {ind.id} ({ind.range_text()})"
        if ind.decimals == 0 and not value.is_integer():
            hint = (" - thousands separators are not allowed; write 1234, not 1.234"
                    if re.fullmatch(r"\d{1,3}[.,]\d{3}", text) else "")
            return None, f"{ind.id} counts whole {ind.unit_en}; got {text}{hint}"
    return value, ""


def _scope_problem(scope: Scope, registry: Registry, code: str) -> str:
    if scope.can_write(code):
        return ""
    if scope.region is None:
        return f"your account ({scope.role}) may not enter values"
    return (f"{code} ({registry.name(code)}) is outside your region {registry.name(scope.region)}"
            f" ({scope.region}); you may enter values for {scope.region} and the regions in it")


def _current_entries(conn: Connection, keys: Iterable[Key]) -> dict[Key, tuple[int, float, str]]:
    """Return the newest entered version of each key: (version, value, status)."""
    groups: dict[tuple[str, int], set[str]] = {}
    for ind_id, code, period in keys:
        groups.setdefault((ind_id, period), set()).add(code)
    o = observation.c
    found: dict[Key, tuple[int, float, str]] = {}
    for (ind_id, period), code_set in groups.items():
        codes = sorted(code_set)
        for start in range(0, len(codes), _LOOKUP_CHUNK):
            chunk = codes[start: start + _LOOKUP_CHUNK]
            result = conn.execute(
                select(o.region_code, o.version, o.value, o.status)
                .where(o.indicator_id == ind_id, o.period == period,
                       o.source_kind == SOURCE_KIND, o.region_code.in_(chunk))
                .order_by(o.region_code, o.version))
            for code, version, value, status in result:
                found[(ind_id, code, period)] = (int(version), float(value), str(status))
    return found


@dataclass
class _Draft:
    """A row while it is being checked."""

    row: int
    cells: dict[str, object]
    errors: list[str] = field(default_factory=list)

    def text(self, column: str) -> str:
        return _as_text(self.cells.get(column))

    def err(self, column: str, message: str) -> None:
        self.errors.append(f"row {self.row}, column {column}: {message}")


def _header_index(header: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    index: dict[str, int] = {}
    errors: list[str] = []
    for i, cell in enumerate(header):
        key = _column_key(cell)
        if key in COLUMNS and key in index:
            errors.append(f"row 1: column {key} appears twice (columns "
                          f"{get_column_letter(index[key] + 1)} and {get_column_letter(i + 1)})")
        elif key:
            index.setdefault(key, i)
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        errors.append(f"row 1: missing column(s) {', '.join(missing)}; the header must name "
                      f"{','.join(COLUMNS)} (reason is optional)")
    return index, errors


def _check_row(draft: _Draft, registry: Registry, catalogue: Mapping[str, Indicator],
               scope: Scope) -> tuple[Indicator | None, str, int | None, float | None]:
    """Check one row; return (indicator, code, period, value) with problems in ``draft``."""
    ind_id = draft.text("indicator")
    ind = catalogue.get(ind_id)
    if ind is None:
        draft.err("indicator", f"unknown indicator {ind_id!r}; known: "
                               f"{', '.join(sorted(catalogue))}")
    level, code, name = draft.text("level"), draft.text("code"), draft.text("name")
    known = False
    if level not in LEVELS[:4]:
        draft.err("level", f"unknown level {level!r}; expected one of {', '.join(LEVELS[:4])}")
    if not code:
        draft.err("code", "empty region code")
    elif code not in registry:
        hint = (" (a trailing zero may have been dropped by Excel: use the XLSX template or "
                "format the column as Text)" if _DROPPED_ZERO.match(code) else "")
        draft.err("code", f"unknown region code {code!r}{hint}")
    else:
        known = True
        official = registry.name(code)
        if level in LEVELS[:4] and level_of(code) != level:
            draft.err("level", f"{code} is a {level_of(code)} code, but level says {level}")
        if not name:
            draft.err("name", f"empty name; expected {official!r} (the name guards against a "
                              "mistyped code)")
        elif normalize_name(name) != normalize_name(official):
            draft.err("name", f"{name!r} does not match code {code} ({official})")
        if ind is not None and LEVELS.index(level_of(code)) > LEVELS.index(ind.lowest_level):
            draft.err("level", f"{ind.id} is not defined below {ind.lowest_level}")
        problem = _scope_problem(scope, registry, code)
        if problem:
            draft.err("code", problem)
    year_text = draft.text("year")
    period = int(year_text) if re.fullmatch(r"\d{4}", year_text) else None
    if period is None:
        draft.err("year", f"bad year {year_text!r}; expected a year such as 2024")
    elif ind is not None and period not in ind.periods:
        draft.err("year", f"{ind.id} has no period {period}; periods: "
                          f"{', '.join(map(str, ind.periods))}")
    value, problem = _parse_value(draft.cells.get("value"), ind)
    if problem:
        draft.err("value", problem)
    if len(draft.text("reason")) > MAX_REASON:
        draft.err("reason", f"{len(draft.text('reason'))} characters; at most {MAX_REASON}")
    return ind, code if known else "", period, value


def preview(conn: Connection, registry: Registry, catalogue: Mapping[str, Indicator],
            account: Account, filename: str, data: bytes) -> Preview:
    """Read and check an uploaded file and compare it with the stored values.

    Nothing is written. Each data row gets a status: ``new`` (no entered value yet),
    ``changed`` (differs from the newest entered version, or that version was
    withdrawn), ``unchanged``, ``skipped`` (empty value: no change) or ``error``.
    Blank rows are ignored.

    Parameters
    ----------
    conn
        A connection to read the current values from.
    registry, catalogue
        The region registry and the indicator catalogue.
    account
        The operator uploading; every row must lie in their scope.
    filename
        The uploaded file's name; ``.csv`` (also ``.tsv``, ``.txt``) or ``.xlsx``.
    data
        The file's bytes.

    Returns
    -------
    Preview
        The checked rows; ``ok`` is false when the file or any row has a problem.
    """
    name = PurePath(filename.replace("\\", "/")).name[:200] or "upload"
    digest = hashlib.sha256(data).hexdigest()

    def refused(*errors: str) -> Preview:
        return Preview(name, digest, account.username, errors=errors)

    scope = account.scope
    home = scope.region or NATIONAL_CODE
    if not scope.can_write(home):
        return refused(f"your account ({account.role}) may not enter values")
    suffix = PurePath(name).suffix.lower()
    if suffix not in (*CSV_SUFFIXES, ".xlsx"):
        return refused(f"unsupported file type {suffix or name!r}; upload the template as "
                       ".xlsx or as CSV UTF-8 (.csv)")
    if len(data) > MAX_BYTES:
        return refused(f"the file is {len(data) / 2**20:.1f} MB, more than the limit of "
                       f"{MAX_BYTES // 2**20} MB; split it into smaller files")
    if not data:
        return refused("the file is empty")
    sheet = _read_xlsx(data) if suffix == ".xlsx" else _read_csv(data)
    if sheet.errors:
        return refused(*sheet.errors)
    index, header_errors = _header_index(sheet.header)
    if header_errors:
        return refused(*header_errors)
    if not sheet.rows:
        return refused("no data rows below the header")

    drafts: list[tuple[_Draft, Indicator | None, str, int | None, float | None]] = []
    seen: dict[tuple[str, str, int | None], int] = {}
    for number, cells in sheet.rows:
        draft = _Draft(number, {c: cells[i] if i < len(cells) else None
                                for c, i in index.items() if c in COLUMNS})
        ind, code, period, value = _check_row(draft, registry, catalogue, scope)
        key = (draft.text("indicator"), draft.text("code"), period)
        if key[1] and key in seen:
            draft.err("code", f"duplicate of row {seen[key]} ({key[0]}, {key[1]}, {period})")
        seen.setdefault(key, number)
        drafts.append((draft, ind, code, period, value))

    valid = [(ind.id, code, period) for d, ind, code, period, _ in drafts
             if not d.errors and ind is not None and period is not None]
    stored = _current_entries(conn, valid)
    rows: list[PreviewRow] = []
    for draft, ind, code, period, value in drafts:
        base: dict[str, Any] = {
            "row": draft.row, "indicator_id": ind.id if ind else draft.text("indicator"),
            "level": draft.text("level"), "code": draft.text("code"), "name": draft.text("name"),
            "period": period, "value": value, "reason": draft.text("reason")}
        if draft.errors or ind is None or period is None:
            rows.append(PreviewRow(**base, status="error", errors=tuple(draft.errors)))
            continue
        now = stored.get((ind.id, code, period))
        if value is None:
            status = "skipped"
        elif now is None:
            status = "new"
        elif now[1] == value and now[2] != "withdrawn":
            status = "unchanged"
        else:
            status = "changed"
        rows.append(PreviewRow(**base, status=status,
                               current=None if now is None else now[1],
                               current_status=None if now is None else now[2],
                               base_version=None if now is None else now[0]))
    errors = [e for r in rows for e in r.errors]
    if not errors and all(r.status == "skipped" for r in rows):
        errors.append("every value cell is empty; fill in the value column (an empty value "
                      "means no change)")
    return Preview(name, digest, account.username, tuple(rows), tuple(errors))


# -------------------------------------------------------------------------------- apply


def apply(conn: Connection, registry: Registry, catalogue: Mapping[str, Indicator],
          account: Account, preview: Preview, remote_addr: str = "") -> ApplyReport:
    """Save the new and changed rows of a checked upload as drafts, all or nothing.

    Call inside the caller's transaction (``with engine.begin() as conn``). Each row is
    saved with :func:`ingest.entry.save_draft` on top of the version the preview saw;
    unchanged and skipped rows write nothing, so applying the same file twice changes
    nothing. When any row fails the error propagates and the caller's transaction rolls
    back, so none of the rows stays (no savepoint: pysqlite commits a savepoint on release
    when no explicit BEGIN ran, which would break all-or-nothing). When anything was
    written, one
    ``upload.apply`` audit entry names the file and its SHA-256 (besides the
    ``entry.draft`` entry of each row).

    Raises
    ------
    UploadError
        If the preview has errors, belongs to another account, or a row is refused by
        the write path (the message names the row).
    UploadConflictError
        If a value changed after the preview (a :class:`ingest.entry.ConflictError`).
    auth.scope.ScopeError
        If the account may not write a row's region.
    """
    if not preview.ok:
        raise UploadError(f"{preview.filename}: {len(preview.errors)} problem(s); fix the file "
                          "and upload it again; nothing was saved")
    if preview.username != account.username:
        raise UploadError(f"{preview.filename} was checked for {preview.username!r}, not "
                          f"{account.username!r}; upload it again")
    versions: list[tuple[str, str, int, int]] = []
    for row in preview.rows:
        if row.status not in ("new", "changed"):
            continue
        ind = catalogue.get(row.indicator_id)
        if ind is None or row.period is None or row.value is None:
            raise UploadError(f"row {row.row}: {row.indicator_id} is no longer in the "
                              "catalogue; nothing was saved")
        target = Target(ind, row.code, row.period)
        try:
            version = save_draft(conn, registry, account, target, row.value,
                                 base_version=row.base_version, reason=row.reason,
                                 remote_addr=remote_addr)
        except ConflictError as exc:
            raise UploadConflictError(row, exc) from None
        except EntryError as exc:
            raise UploadError(f"row {row.row}: {exc}; nothing was saved") from None
        versions.append((ind.id, row.code, row.period, version))
    totals = preview.totals
    if versions:
        audit(conn, account.username, "upload.apply", preview.filename,
              f"sha256:{preview.sha256} new {totals['new']} changed {totals['changed']} "
              f"unchanged {totals['unchanged']} skipped {totals['skipped']}", remote_addr)
    return ApplyReport(preview.filename, totals["new"], totals["changed"], totals["unchanged"],
                       totals["skipped"], tuple(versions))
